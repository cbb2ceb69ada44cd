package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// The defaults of main.go's flags, which live in package main and cannot be imported.
// TestDefaultsMatchMain keeps these in step with main.go until they are exported.
const (
	defaultGraphWriteQPS           = 5.0
	defaultGraphWriteBurst         = 10
	defaultMaxConcurrentReconciles = 4
)

// managerSettings are the knobs the benchmark turns; everything else is main.go's default.
type managerSettings struct {
	writeQPS     float64
	writeBurst   int
	workers      int
	minActiveAge time.Duration
}

// runningManager is a manager started in-process, the way main.go builds it.
type runningManager struct {
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	stopErr error
}

// startManager builds the manager as main.go's run does (same cache options, same reconciler
// wiring, the write limiter around the Graph client), with the metrics and probe servers off.
// cfg must already count its writes; it gets main.go's client-side rate limit: none
// (ctrl.GetConfig sets QPS −1 on a config that has none, as every kubeconfig does).
func startManager(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, gc pim.Client, s managerSettings) (*runningManager, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		LeaderElection:         false,
		Cache: cache.Options{
			DefaultTransform: cache.TransformStripManagedFields(),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	r := &controllers.Reconciler{
		Client:   mgr.GetClient(),
		Graph:    pim.WithWriteLimit(gc, s.writeQPS, s.writeBurst),
		Recorder: mgr.GetEventRecorder("pim-operator"),
		Options: controllers.Options{
			PollInterval:       controllers.DefaultPollInterval,
			ResyncPeriod:       controllers.DefaultResyncPeriod,
			CreateSettlePeriod: controllers.DefaultCreateSettlePeriod,
			MinActiveAge:       s.minActiveAge,
		},
		MaxConcurrentReconciles: s.workers,
		// The limiter phase runs a second manager in the same process.
		SkipNameValidation: true,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the controller: %w", err)
	}
	mctx, cancel := context.WithCancel(ctx)
	m := &runningManager{cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(mctx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, 2*time.Minute)
	defer syncCancel()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		m.stop()
		return nil, errors.New("the manager's cache did not sync")
	}
	return m, nil
}

// stop stops the manager and waits for it; calling it again returns the same result.
func (m *runningManager) stop() error {
	m.once.Do(func() {
		m.cancel()
		select {
		case m.stopErr = <-m.done:
		case <-time.After(time.Minute):
			m.stopErr = errors.New("the manager did not stop within a minute")
		}
	})
	return m.stopErr
}
