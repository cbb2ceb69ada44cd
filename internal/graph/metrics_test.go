package graph

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pim-operator/pim-operator/internal/pim"
)

func TestMetrics(t *testing.T) {
	rec := newRecorder(t, func(n int, _ *http.Request, w http.ResponseWriter) {
		if n == 1 {
			writeJSON(w, 200, `{"value":[]}`)
			return
		}
		w.Header().Set("Retry-After", "30")
		graphError(w, 429, "TooManyRequests", "slow down")
	})
	reg := prometheus.NewRegistry()
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.Registerer = reg })
	ctx := ctxT(t)
	if _, err := c.For(pim.KindAssignment).FindRequests(ctx, testPrincipal, testGroup); err != nil {
		t.Fatal(err)
	}
	_, err := c.For(pim.KindEligibility).Assign(ctx, pim.CreateInput{Triple: pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}})
	mustPimError(t, err, pim.ClassThrottled)
	// Refused before sending: no Graph call, so not counted.
	_, err = c.For(pim.KindEligibility).GetSchedule(ctx, "")
	mustPimError(t, err, pim.ClassUserFixable)

	want := `
# HELP pim_operator_graph_requests_total Microsoft Graph calls by kind (assignment, eligibility; policy for a group's PIM settings), operation and outcome (success, or the error class).
# TYPE pim_operator_graph_requests_total counter
pim_operator_graph_requests_total{kind="assignment",operation="findRequests",outcome="success"} 1
pim_operator_graph_requests_total{kind="eligibility",operation="createRequest",outcome="Throttled"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pim_operator_graph_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c.metrics.duration, "pim_operator_graph_request_duration_seconds"); n != 2 {
		t.Errorf("%d duration series, want 2", n)
	}

	// A second client in the same registry shares the collectors instead of failing.
	c2 := newTestClient(t, rec.baseURL(), func(c *Config) { c.Registerer = reg })
	if c2.metrics.requests != c.metrics.requests {
		t.Error("second client did not share the registered counter")
	}
}

func TestMetricsDefaultToControllerRuntimeRegistry(t *testing.T) {
	c, err := New(context.Background(), Config{BaseURL: "http://127.0.0.1:1/v1.0", Auth: AuthNone})
	if err != nil {
		t.Fatal(err)
	}
	c.metrics.requests.WithLabelValues(string(pim.KindAssignment), OpGetRequest, OutcomeSuccess).Add(0)
	mfs, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		found = found || mf.GetName() == "pim_operator_graph_requests_total"
	}
	if !found {
		t.Error("pim_operator_graph_requests_total is not in controller-runtime's registry")
	}
}

// Many goroutines share one client; -race reports any shared mutable state.
func TestConcurrentUse(t *testing.T) {
	rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/cancel"):
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodPost:
			createAnswer(0, r, w)
		case strings.HasSuffix(r.URL.Path, "ScheduleRequests"):
			writeJSON(w, 200, `{"value":[`+requestJSON("r1", "Provisioned", `{"expiration":{"type":"afterDuration","duration":"PT8H"}}`)+`]}`)
		default:
			writeJSON(w, 200, requestJSON(testRequestID, "Provisioned", `{"expiration":{"type":"afterDuration","duration":"P30D"}}`))
		}
	})
	g := newTestClient(t, rec.baseURL())
	ctx := ctxT(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 10 {
				c := g.For(pim.Kinds()[j%2])
				var err error
				switch (i + j) % 4 {
				case 0:
					_, err = c.GetRequest(ctx, testRequestID)
				case 1:
					_, err = c.FindRequests(ctx, testPrincipal, testGroup)
				case 2:
					err = c.Cancel(ctx, testRequestID)
				case 3:
					err = runOp(ctx, c, OpCreateRequest)
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
