package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// TestBenchmarkSmall runs the whole benchmark with 20 objects so that it cannot rot. It checks
// what must hold on any machine — every object reached every phase's end state, nothing
// called Graph at rest, one create per object — and never a timing.
func TestBenchmarkSmall(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	cfg := defaultConfig()
	cfg.N, cfg.Idle = 20, 5*time.Second
	cfg.LimiterObjects, cfg.Storm = 20, 3*time.Second
	cfg.GraphRateObjects = 60
	cfg.PhaseTimeout = 3 * time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	res, err := run(ctx, cfg, testLog{t})
	if res != nil {
		var b strings.Builder
		report(&b, res, "go test ./hack/bench")
		t.Log("\n" + b.String())
	}
	if err != nil {
		t.Fatal(err)
	}

	if len(res.Baseline) != 3 {
		t.Fatalf("baseline phases: got %d, want 3", len(res.Baseline))
	}
	for _, p := range res.Baseline {
		if p.Reached != cfg.N || p.Err != "" {
			t.Errorf("baseline %s: %d of %d objects done (%s)", p.Name, p.Reached, cfg.N, p.Err)
		}
	}
	want := []string{phaseCreate, phaseIdle, phaseCancel, phaseDelete}
	if len(res.Throughput) != len(want) {
		t.Fatalf("operator phases: got %d, want %d", len(res.Throughput), len(want))
	}
	for i, p := range res.Throughput {
		if p.Name != want[i] {
			t.Errorf("phase %d: got %q, want %q", i, p.Name, want[i])
		}
		if p.Reached != cfg.N || p.Err != "" {
			t.Errorf("%s: %d of %d objects reached the end state (%s)", p.Name, p.Reached, cfg.N, p.Err)
		}
	}
	if idle := res.Throughput[1]; idle.Graph.Total != 0 {
		t.Errorf("Graph calls in the idle window: got %d %v, want 0", idle.Graph.Total, idle.Graph.ByOp)
	}
	if n := res.Throughput[0].Graph.ByOp["createRequest/adminAssign"]; n != cfg.N {
		t.Errorf("creates: got %d, want %d (one per object)", n, cfg.N)
	}
	if len(res.Limiter) != 2 {
		t.Fatalf("limiter parts: got %d, want 2", len(res.Limiter))
	}
	for _, l := range res.Limiter {
		if l.Reached != l.Objects || l.Err != "" {
			t.Errorf("limiter %s: %d of %d objects Ready (%s)", l.Name, l.Reached, l.Objects, l.Err)
		}
	}
	if res.Limiter[1].Rate.Throttled == 0 {
		t.Error("the 429 storm answered no create with 429")
	}
	if g := res.GraphRate; g == nil || g.Reached != g.Objects || g.Err != "" {
		t.Errorf("Graph rate phase: %+v, want every object Ready", g)
	} else if g.Throttled != 0 {
		t.Errorf("at --graph-write-qps %g the operator went over Graph's write budget %d times", g.QPS, g.Throttled)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestMaxInWindow(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	for _, tc := range []struct {
		times []time.Time
		want  int
	}{
		{nil, 0},
		{at(0), 1},
		{at(0, 999, 1000, 1001), 3},
		{at(0, 100, 200, 1500, 1600, 1700, 1800), 4},
	} {
		if got := maxInWindow(tc.times, time.Second); got != tc.want {
			t.Errorf("maxInWindow(%v): got %d, want %d", tc.times, got, tc.want)
		}
	}
}

func TestResourceOf(t *testing.T) {
	for path, want := range map[string]string{
		"/apis/access.pim-operator.dev/v1alpha1/namespaces/bench/pimassignmentrequests":          "pimassignmentrequests",
		"/apis/access.pim-operator.dev/v1alpha1/namespaces/bench/pimassignmentrequests/x":        "pimassignmentrequests",
		"/apis/access.pim-operator.dev/v1alpha1/namespaces/bench/pimassignmentrequests/x/status": "pimassignmentrequests/status",
		"/apis/events.k8s.io/v1/namespaces/bench/events":                                         "events",
		"/api/v1/namespaces":       "namespaces",
		"/api/v1/namespaces/bench": "namespaces",
	} {
		if got := resourceOf(path); got != want {
			t.Errorf("resourceOf(%s): got %q, want %q", path, got, want)
		}
	}
}
