// Package envtest runs the operator's manager against a real kube-apiserver and etcd (envtest)
// and the real Graph client against the Graph emulator over HTTP: the scenarios of DESIGN §4
// and the guard rails, where behaviour crosses the API server.
package envtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/pim"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The scenario tests run the real manager against envtest, and the real Graph client over
// HTTP against the emulator. Timings are shortened; the emulator's minimum active age matches
// the reconciler's.
var (
	env *testenv.Env
	emu *graphemu.Emulator
	k8s client.Client // uncached, for the tests' own reads and writes
	// graphClient is the real Graph client on the emulator, for a test playing someone else;
	// suiteGraph is the same client for every kind, for a test's own manager.
	graphClient pim.Client
	suiteGraph  pim.Graph

	// statusFaults makes the next N status writes of one object fail, finalizerFaults its next
	// N finalizer removals (crash-safety tests).
	statusFaults    = &faultBudget{}
	finalizerFaults = &faultBudget{}
)

var suiteOptions = controllers.Options{
	PollInterval:       200 * time.Millisecond,
	MaxPollInterval:    2 * time.Second,
	ResyncPeriod:       10 * time.Minute,
	CreateSettlePeriod: 3 * time.Second,
	MinActiveAge:       time.Second,
	StalledBackoff:     time.Second,
	MaxStalledBackoff:  8 * time.Second,
	ReplicationGrace:   time.Second,
	GraphTimeout:       2 * time.Second,
}

type faultBudget struct {
	mu   sync.Mutex
	name string
	n    int
}

func (f *faultBudget) arm(name string, n int) { f.mu.Lock(); f.name, f.n = name, n; f.mu.Unlock() }

func (f *faultBudget) take(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n > 0 && f.name == name {
		f.n--
		return true
	}
	return false
}

// withWatch lets interceptor.NewClient wrap the manager's client (which does not watch).
type withWatch struct{ client.Client }

func (withWatch) Watch(context.Context, client.ObjectList, ...client.ListOption) (watch.Interface, error) {
	return nil, errors.New("watch not supported")
}

func TestMain(m *testing.M) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		// A silent skip would pass without the scenarios that matter most.
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run `make test`, or "+
			"export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
		os.Exit(1)
	}
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	var logOut io.Writer = io.Discard
	if os.Getenv("PIM_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logOut), zap.UseDevMode(true)))

	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Println(err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8s = env.Client

	graphEnv, stopGraph, err := graphtest.Start(graphemu.Options{MinActiveAge: suiteOptions.MinActiveAge})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer stopGraph()
	emu = graphEnv.Emulator
	gc := graphEnv.Client
	graphClient, suiteGraph = gc.For(pim.KindAssignment), gc
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The managers keep their seal key in a Secret of the operator's namespace; the first to
	// start creates it, the other reads it.
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}}); err != nil {
		fmt.Println(err)
		return 1
	}
	// Three managers, split by a label on the objects (each cache's label selector), so that
	// every object has exactly one operator: the scenarios of DESIGN §4 run with
	// --policy-mode=disabled (their groups are random, and the guard rails are tested on their
	// own); objects labelled managerLabel=enforce belong to a manager with --policy-mode=enforce,
	// the default (policy_scenarios_test.go); managerLabel=grouppolicy to one that checks the
	// group's own PIM policy before it sends (grouppolicy_test.go).
	var dones []chan struct{}
	for _, cfg := range []struct {
		mode          controllers.PolicyMode
		selector      string
		groupPolicies pim.PolicyReader
	}{
		{controllers.PolicyModeDisabled, managerLabel + " notin (" + enforceManager + "," + groupPolicyManager + "),!" + restartLabel, nil},
		{controllers.PolicyModeEnforce, managerLabel + "=" + enforceManager, nil},
		{controllers.PolicyModeDisabled, managerLabel + "=" + groupPolicyManager, gc},
	} {
		done, err := startManager(ctx, gc, cfg.mode, cfg.selector, cfg.groupPolicies, suiteOptions)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		dones = append(dones, done)
	}
	code := m.Run()
	cancel()
	for _, done := range dones {
		<-done
	}
	return code
}

// operatorNamespace holds the managers' seal key.
const operatorNamespace = "pim-operator-system"

// The label that assigns an object to the enforcing manager.
const (
	managerLabel       = "test.pim-operator.dev/manager"
	enforceManager     = "enforce"
	groupPolicyManager = "grouppolicy"
	// restartLabel keeps an object from the suite's managers: a test starts and stops
	// managers of its own for it (startup_test.go).
	restartLabel = "test.pim-operator.dev/restart"
)

// startManager runs a manager whose cache holds the request objects matching selector, with
// reconcilers in the given policy mode and timings, until ctx ends; done closes when it has
// stopped.
func startManager(ctx context.Context, gc pim.Graph, mode controllers.PolicyMode, selector string, groupPolicies pim.PolicyReader,
	opts controllers.Options) (chan struct{}, error) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, err
	}
	mgr, err := controllers.NewManager(env.Config, controllers.Config{
		Graph:                   gc,
		GraphWriteQPS:           100,
		GraphWriteBurst:         100,
		Options:                 opts,
		PolicyMode:              mode,
		GroupPolicies:           groupPolicies,
		MaxConcurrentReconciles: 4,
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		OperatorNamespace:       operatorNamespace,
		Now:                     emu.Now,
		ObjectSelector:          sel,
		WrapClient:              injectStatusFaults,
		SkipNameValidation:      true, // two managers with these controllers in one process
	})
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Println("manager:", err)
		}
	}()
	return done, nil
}

// injectStatusFaults fails the status writes statusFaults is armed for, and the finalizer
// removals finalizerFaults is armed for (the only patch of a deleted object's metadata).
func injectStatusFaults(c client.Client) client.Client {
	return interceptor.NewClient(withWatch{c}, interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			if sub == "status" && statusFaults.take(obj.GetName()) {
				return errors.New("injected: the status write failed")
			}
			return c.SubResource(sub).Patch(ctx, obj, p, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			if !obj.GetDeletionTimestamp().IsZero() && finalizerFaults.take(obj.GetName()) {
				return errors.New("injected: the finalizer patch failed")
			}
			return c.Patch(ctx, obj, p, opts...)
		},
	})
}

func needEnv(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Fatal("the envtest suite did not start")
	}
}

var nsSeq atomic.Int32

// newNS makes a namespace of the test's own.
func newNS(t *testing.T) string {
	t.Helper()
	needEnv(t)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, fmt.Sprintf("t%d-%s", nsSeq.Add(1), strings.ToLower(t.Name())))
	name = strings.TrimRight(name[:min(len(name), 60)], "-")
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

func guid() string { return uuid.NewString() }

// newScenario is a namespace of the test's own, and a principal and a group no other test uses.
func newScenario(t *testing.T) (ns, principal, group string) {
	t.Helper()
	return newNS(t), guid(), guid()
}

// assignment is an object asking for membership now, for an hour.
func assignment(ns, name, principal, group string, mutate ...func(*v1.PIMAssignmentRequest)) *v1.PIMAssignmentRequest {
	obj := &v1.PIMAssignmentRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1.RequestSpec{
			GroupID: group, PrincipalID: principal, Justification: "scenario " + name,
			Schedule: &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(time.Hour)}},
		},
	}
	for _, m := range mutate {
		m(obj)
	}
	return obj
}

func futureStart(obj *v1.PIMAssignmentRequest) {
	obj.Spec.Schedule.StartDateTime = v1.TimeOf(emu.Now().Add(time.Hour).Truncate(time.Second))
}

func mustCreate(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// createLive creates obj and waits until its access is live.
func createLive[O controllers.Object](t *testing.T, obj O) O {
	t.Helper()
	mustCreate(t, obj)
	return waitCond(t, obj, liveCondition(obj), metav1.ConditionTrue, v1.ReasonProvisioned, settle)
}

// liveCondition is the condition that says obj's access is in force: Active, or Eligible.
func liveCondition(obj client.Object) string {
	if _, ok := obj.(*v1.PIMEligibilityRequest); ok {
		return v1.ConditionEligible
	}
	return v1.ConditionActive
}

func get[O controllers.Object](t *testing.T, obj O) O {
	t.Helper()
	out := obj.DeepCopyObject().(O)
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), out); err != nil {
		t.Fatal(err)
	}
	return out
}

// eventually polls f until it returns nil, failing with its last error after timeout.
func eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// consistently checks f over the whole window (a property that must keep holding, not a sleep
// standing in for synchronisation).
func consistently(t *testing.T, window time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		if err := f(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitCond waits until the object's condition has the status and reason, and the status is
// for the current generation.
func waitCond[O controllers.Object](t *testing.T, obj O, typ string, status metav1.ConditionStatus, reason string, timeout time.Duration) O {
	t.Helper()
	var got O
	eventually(t, timeout, func() error {
		got = obj.DeepCopyObject().(O)
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
			return err
		}
		st := got.GetRequestStatus()
		c := meta.FindStatusCondition(st.Conditions, typ)
		if c == nil || c.Status != status || (reason != "" && c.Reason != reason) || st.ObservedGeneration != got.GetGeneration() {
			return fmt.Errorf("%s: condition %s is %+v (generation %d, observed %d), want %s/%s; conditions %+v",
				obj.GetName(), typ, c, got.GetGeneration(), st.ObservedGeneration, status, reason, st.Conditions)
		}
		return nil
	})
	return got
}

func waitGone(t *testing.T, obj client.Object, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, func() error {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj.DeepCopyObject().(client.Object))
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("%s still exists (%v)", obj.GetName(), err)
	})
}

func patchSpec[O controllers.Object](t *testing.T, obj O, mutate func(O)) {
	t.Helper()
	cur := get(t, obj)
	base := cur.DeepCopyObject().(O)
	mutate(cur)
	if err := k8s.Patch(context.Background(), cur, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}

func del(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

// poke asks for a fresh look the way a user would: `kubectl annotate`.
func poke[O controllers.Object](t *testing.T, obj O) {
	t.Helper()
	patchSpec(t, obj, func(o O) {
		a := o.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a["test.pim-operator.dev/poke"] = time.Now().Format(time.RFC3339Nano)
		o.SetAnnotations(a)
	})
}

// callsFor are the Graph calls that concern a principal or any of the ids (request ids also
// appear inside schedule ids).
func callsFor(principal string, ids ...string) []graphemu.Call {
	var out []graphemu.Call
	for _, c := range emu.Calls() {
		if concerns(c, principal, ids...) {
			out = append(out, c)
		}
	}
	return out
}

// concerns: the call names the principal or one of the ids.
func concerns(c graphemu.Call, principal string, ids ...string) bool {
	text := strings.ToLower(c.Path + " " + c.RequestBody)
	hit := principal != "" && strings.Contains(text, strings.ToLower(principal))
	for _, id := range ids {
		hit = hit || (id != "" && strings.Contains(text, strings.ToLower(id)))
	}
	return hit
}

func count(calls []graphemu.Call, op, action string, status int) int {
	n := 0
	for _, c := range calls {
		if c.Operation == op && (action == "" || c.Action == action) && (status == 0 || c.Status == status) {
			n++
		}
	}
	return n
}

func writes(calls []graphemu.Call) int {
	return count(calls, graphemu.OpCreateRequest, "", 0) + count(calls, graphemu.OpCancelRequest, "", 0)
}

// requestsWithMarker are the emulator's requests carrying the object's marker.
func requestsWithMarker(uid types.UID) []graphemu.Request {
	var out []graphemu.Request
	for _, r := range append(emu.Requests(), emu.EligibilityRequests()...) {
		if pim.HasMarker(r.Justification, string(uid)) {
			out = append(out, r)
		}
	}
	return out
}

func hasEvent(t *testing.T, ns, reason, note string) error {
	t.Helper()
	var list eventsv1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return err
	}
	for _, e := range list.Items {
		if e.Reason == reason && strings.Contains(e.Note, note) {
			return nil
		}
	}
	return fmt.Errorf("no event %s %q among %d events", reason, note, len(list.Items))
}

// seedActivation is a user's own activation in the portal (2 hours of membership), of an
// eligibility the user holds, as Entra requires.
func seedActivation(t *testing.T, principal, group string) graphemu.Request {
	t.Helper()
	if _, err := emu.SeedEligibility(graphemu.Eligibility{PrincipalID: principal, GroupID: group, AccessID: "member",
		Justification: "eligible", Duration: 30 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	req, err := emu.SeedActivation(graphemu.Activation{PrincipalID: principal, GroupID: group, AccessID: "member",
		Justification: "portal", Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// removeElsewhere is someone else's adminRemove of the principal's membership, in the portal,
// as soon as Graph's minimum active age allows it.
func removeElsewhere(t *testing.T, principal, group string) {
	t.Helper()
	eventually(t, settle, func() error {
		_, err := graphClient.Remove(context.Background(), pim.Triple{PrincipalID: principal, GroupID: group, AccessID: pim.AccessMember}, "portal")
		return err
	})
}

// noNewCalls counts the Graph calls that concern the principal or the ids, runs do (when not
// nil), and holds for the window that no more come. after says what came before, for the
// message.
func noNewCalls(t *testing.T, window time.Duration, after string, do func(), principal string, ids ...string) {
	t.Helper()
	before := len(callsFor(principal, ids...))
	if do != nil {
		do()
	}
	consistently(t, window, func() error {
		if n := len(callsFor(principal, ids...)) - before; n != 0 {
			return fmt.Errorf("%d Graph calls %s", n, after)
		}
		return nil
	})
}
