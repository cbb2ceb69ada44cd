package prometheus

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graph"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The operator these tests scrape: its namespace, and a write limit no default has, so that
// the gauge is seen to report the configuration.
const (
	operatorNamespace = "pim-operator-system"
	writeQPS          = 7.0
	writeBurst        = 9
	waitTimeout       = 60 * time.Second
)

// family is one metric family as the registry gathered it, in plain values.
type family struct {
	name, typ string
	series    []series
}

type series struct {
	labels map[string]string
	value  float64
}

// scrape is what one run of the operator showed; run runs it once for every test that needs it.
type scrape struct {
	families map[string]*family // while the manager led, with objects in every state below
	body     string             // the manager's /metrics over HTTP at the same time
	failures []string           // what the run found wrong, reported by TestObjectsGauge
	err      error              // the run could not be done at all
}

var run = sync.OnceValue(func() *scrape {
	s := &scrape{}
	s.err = s.run()
	return s
})

// exported is the metrics the operator exports, gathered from a running manager; it fails the
// test when the operator could not be run.
func exported(t *testing.T) map[string]*family {
	t.Helper()
	s := run()
	if s.err != nil {
		t.Fatalf("running the operator to gather its metrics: %v", s.err)
	}
	return s.families
}

// pim_operator_objects counts the objects in the leader's cache by kind and condition, and
// nothing else: the same counts as the API server's objects, nothing from a standby, no API
// list per scrape, and nothing once the manager has stopped.
func TestObjectsGauge(t *testing.T) {
	s := run()
	if s.err != nil {
		t.Fatal(s.err)
	}
	for _, f := range s.failures {
		t.Error(f)
	}
}

// The metrics endpoint serves the operator's own families (a collector that failed would make
// controller-runtime's handler answer 500 for all of them).
func TestMetricsEndpoint(t *testing.T) {
	s := run()
	if s.err != nil {
		t.Fatal(s.err)
	}
	for _, name := range []string{"pim_operator_objects", "pim_operator_cached_objects", "pim_operator_graph_write_limit_qps",
		"pim_operator_graph_requests_total", "pim_operator_policy_decisions_total", "controller_runtime_reconcile_total"} {
		if !strings.Contains(s.body, "# TYPE "+name+" ") {
			t.Errorf("GET /metrics does not serve %s", name)
		}
	}
}

func (s *scrape) fail(format string, args ...any) {
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
}

func (s *scrape) run() error {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return fmt.Errorf("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	// The Graph client's metrics go to controller-runtime's registry, as in production.
	gEnv, stopGraph, err := graphtest.Start(graphemu.Options{}, func(c *graph.Config) { c.Registerer = nil })
	if err != nil {
		return err
	}
	defer stopGraph()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := env.Client
	for _, ns := range []string{operatorNamespace, "team-a"} {
		if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}

	// Every LIST of a request kind that reaches the API server, to show scrapes add none.
	var lists atomic.Int64
	restCfg := rest.CopyConfig(env.Config)
	restCfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && r.URL.Query().Get("watch") != "true" &&
				(strings.HasSuffix(r.URL.Path, "/pimassignmentrequests") || strings.HasSuffix(r.URL.Path, "/pimeligibilityrequests")) {
				lists.Add(1)
			}
			return rt.RoundTrip(r)
		})
	}

	metricsAddr, err := testenv.FreeLocalAddr()
	if err != nil {
		return err
	}
	newManager := func(addr string) (ctrl.Manager, error) {
		return controllers.NewManager(restCfg, controllers.Config{
			Graph:           gEnv.Client,
			GraphWriteQPS:   writeQPS,
			GraphWriteBurst: writeBurst,
			Options: controllers.Options{PollInterval: 200 * time.Millisecond, MaxPollInterval: time.Second,
				StalledBackoff: time.Second, ReplicationGrace: time.Second},
			PolicyMode:              controllers.PolicyModeEnforce,
			Metrics:                 metricsserver.Options{BindAddress: addr},
			HealthProbeBindAddress:  "0",
			LeaderElection:          true,
			LeaderElectionNamespace: operatorNamespace,
			OperatorNamespace:       operatorNamespace,
			Now:                     gEnv.Emulator.Now,
			SkipNameValidation:      true, // a leader and a standby in one process
		})
	}
	leader, err := newManager(metricsAddr)
	if err != nil {
		return err
	}
	leaderDone := start(ctx, leader)
	select {
	case <-leader.Elected():
	case <-time.After(waitTimeout):
		return fmt.Errorf("the manager did not become leader within %v", waitTimeout)
	}
	// A standby, waiting for the Lease: it must add nothing to the counts.
	standby, err := newManager("0")
	if err != nil {
		return err
	}
	standbyCtx, stopStandby := context.WithCancel(ctx)
	standbyDone := start(standbyCtx, standby)
	defer func() { stopStandby(); <-standbyDone }()

	// One policy for team-a: one group as member, active for up to 8 hours or eligible for 90
	// days.
	allowed, denied := "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f", "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
	principal := "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7"
	groups := []v1.AllowedGroup{{GroupID: allowed, AccessIDs: []v1.AccessID{v1.AccessMember}}}
	if err := k.Create(ctx, &v1.PIMAccessPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: v1.PIMAccessPolicySpec{Namespaces: []string{"team-a"}, Groups: groups, MaxDuration: *v1.DurationOf(8 * time.Hour),
			Eligibility: &v1.EligibilityGrant{Groups: groups, MaxDuration: *v1.DurationOf(2160 * time.Hour)}},
	}); err != nil {
		return err
	}
	spec := func(group string) v1.RequestSpec {
		return v1.RequestSpec{GroupID: group, PrincipalID: principal, Justification: "metrics test",
			Schedule: &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(time.Hour)}}}
	}
	objs := []controllers.Object{
		&v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "granted"}, Spec: spec(allowed)},
		&v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "not-permitted"}, Spec: spec(denied)},
		&v1.PIMEligibilityRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "eligible"}, Spec: spec(allowed)},
	}
	for _, o := range objs {
		if err := k.Create(ctx, o); err != nil {
			return err
		}
	}
	for _, o := range objs {
		if err := waitSettled(ctx, k, o); err != nil {
			return err
		}
	}

	// The gauge follows the cache, which follows the API server: wait until they agree.
	var fams map[string]*family
	deadline := time.Now().Add(waitTimeout)
	for {
		if fams, err = gather(); err != nil {
			return err
		}
		want, err := apiCounts(ctx, k)
		if err != nil {
			return err
		}
		got := gaugeCounts(fams["pim_operator_objects"])
		if equalCounts(want, got) {
			break
		}
		if time.Now().After(deadline) {
			s.fail("pim_operator_objects does not match the API server's objects after %v\n  API server: %v\n  gauge:      %v",
				waitTimeout, sortedCounts(want), sortedCounts(got))
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.families = fams
	s.checkValues(fams)

	// Scrapes read the cache: the API server sees no LIST of a request kind.
	before := lists.Load()
	for range 5 {
		if _, err := gather(); err != nil {
			return err
		}
	}
	body, err := httpGet("http://" + metricsAddr + "/metrics")
	if err != nil {
		return err
	}
	s.body = body
	if n := lists.Load() - before; n != 0 {
		s.fail("6 scrapes sent %d LISTs of request objects to the API server, want 0", n)
	}

	// A stopped manager reports nothing: no stale counts from a cache that no longer follows.
	stopStandby()
	<-standbyDone
	cancel()
	<-leaderDone
	after, err := gather()
	if err != nil {
		return err
	}
	for _, name := range []string{"pim_operator_objects", "pim_operator_cached_objects", "pim_operator_graph_write_limit_qps"} {
		if f := after[name]; f != nil && len(f.series) > 0 {
			s.fail("%s still reports %d series after the manager stopped", name, len(f.series))
		}
	}
	return nil
}

// checkValues holds the gauges to what the run created: two assignments (one of them not
// permitted), one eligibility, and the write limit of the configuration.
func (s *scrape) checkValues(fams map[string]*family) {
	value := func(name string, labels map[string]string) (float64, bool) {
		f := fams[name]
		if f == nil {
			return 0, false
		}
		for _, se := range f.series {
			if matches(se.labels, labels) {
				return se.value, true
			}
		}
		return 0, false
	}
	expect := func(name string, labels map[string]string, want float64) {
		got, ok := value(name, labels)
		if !ok || got != want {
			var all []string
			if f := fams[name]; f != nil {
				for _, se := range f.series {
					all = append(all, fmt.Sprintf("%v=%v", se.labels, se.value))
				}
			}
			s.fail("%s%v = %v (found: %v), want %v; the series: %v", name, labels, got, ok, want, all)
		}
	}
	expect("pim_operator_cached_objects", map[string]string{"kind": "PIMAssignmentRequest"}, 2)
	expect("pim_operator_cached_objects", map[string]string{"kind": "PIMEligibilityRequest"}, 1)
	expect("pim_operator_objects", map[string]string{"kind": "PIMAssignmentRequest", "condition": v1.ConditionStalled,
		"status": "True", "reason": v1.ReasonNotPermitted}, 1)
	expect("pim_operator_objects", map[string]string{"kind": "PIMAssignmentRequest", "condition": v1.ConditionReady, "status": "True"}, 1)
	expect("pim_operator_objects", map[string]string{"kind": "PIMEligibilityRequest", "condition": v1.ConditionReady, "status": "True"}, 1)
	expect("pim_operator_objects", map[string]string{"kind": "PIMAssignmentRequest", "condition": v1.ConditionActive, "status": "True"}, 1)
	expect("pim_operator_objects", map[string]string{"kind": "PIMEligibilityRequest", "condition": v1.ConditionEligible, "status": "True"}, 1)
	expect("pim_operator_graph_write_limit_qps", nil, writeQPS)
	expect("pim_operator_graph_write_limit_burst", nil, writeBurst)
	if f := fams["pim_operator_objects"]; f != nil && f.typ != "GAUGE" {
		s.fail("pim_operator_objects is a %s, want a GAUGE", f.typ)
	}
	// The leader and the standby share the process's registry: one set of series, not two.
	if f := fams["pim_operator_graph_write_limit_qps"]; f == nil || len(f.series) != 1 {
		s.fail("pim_operator_graph_write_limit_qps has %v, want one series (the leader's)", f)
	}
}

// waitSettled waits until the operator is done with o: Ready or Stalled.
func waitSettled(ctx context.Context, k client.Client, o controllers.Object) error {
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if err := k.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			return err
		}
		conds := o.GetRequestStatus().Conditions
		if meta.IsStatusConditionTrue(conds, v1.ConditionReady) || meta.IsStatusConditionTrue(conds, v1.ConditionStalled) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s/%s neither Ready nor Stalled after %v: %+v", o.GetNamespace(), o.GetName(), waitTimeout,
		o.GetRequestStatus().Conditions)
}

type countKey struct{ kind, condition, status, reason string }

// apiCounts is what pim_operator_objects should say, from the API server's objects.
func apiCounts(ctx context.Context, k client.Client) (map[countKey]float64, error) {
	out := map[countKey]float64{}
	for _, kind := range controllers.Kinds {
		list := kind.NewList()
		if err := k.List(ctx, list); err != nil {
			return nil, err
		}
		err := meta.EachListItem(list, func(o runtime.Object) error {
			for _, c := range o.(controllers.Object).GetRequestStatus().Conditions {
				out[countKey{kind.Name, c.Type, string(c.Status), c.Reason}]++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func gaugeCounts(f *family) map[countKey]float64 {
	out := map[countKey]float64{}
	if f == nil {
		return out
	}
	for _, s := range f.series {
		out[countKey{s.labels["kind"], s.labels["condition"], s.labels["status"], s.labels["reason"]}] = s.value
	}
	return out
}

func equalCounts(a, b map[countKey]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sortedCounts(m map[countKey]float64) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s %s=%s/%s: %v", k.kind, k.condition, k.status, k.reason, v))
	}
	sort.Strings(out)
	return out
}

func matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// gather is controller-runtime's registry — what the manager's /metrics serves — in plain
// values.
func gather() (map[string]*family, error) {
	mfs, err := crmetrics.Registry.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]*family{}
	for _, mf := range mfs {
		f := &family{name: mf.GetName(), typ: mf.GetType().String()}
		for _, m := range mf.GetMetric() {
			se := series{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				se.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.GetGauge() != nil:
				se.value = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				se.value = m.GetCounter().GetValue()
			case m.GetUntyped() != nil:
				se.value = m.GetUntyped().GetValue()
			}
			f.series = append(f.series, se)
		}
		out[f.name] = f
	}
	return out, nil
}

// labelNames are the label names of a family's series.
func (f *family) labelNames() []string {
	set := map[string]bool{}
	for _, s := range f.series {
		for l := range s.labels {
			set[l] = true
		}
	}
	var out []string
	for l := range set {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

func start(ctx context.Context, mgr ctrl.Manager) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return done
}

func httpGet(url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b), err
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
