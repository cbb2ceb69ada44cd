package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// managerSettings are the knobs the benchmark turns; everything else is the production default.
type managerSettings struct {
	writeQPS     float64
	writeBurst   int
	workers      int
	minActiveAge time.Duration
}

// runningManager is a manager started in-process, built by controllers.NewManager as main.go
// builds it.
type runningManager struct {
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	stopErr error
}

// startManager builds the manager with controllers.NewManager (main.go's one constructor),
// with the metrics and probe servers off. cfg must already count its writes; it gets main.go's
// client-side rate limit: none (ctrl.GetConfig sets QPS −1 on a config that has none, as every
// kubeconfig does).
func startManager(ctx context.Context, cfg *rest.Config, gc pim.Graph, s managerSettings) (*runningManager, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	mgr, err := controllers.NewManager(cfg, controllers.Config{
		Graph:                   gc,
		GraphWriteQPS:           s.writeQPS,
		GraphWriteBurst:         s.writeBurst,
		Options:                 controllers.Options{MinActiveAge: s.minActiveAge},
		MaxConcurrentReconciles: s.workers,
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
		OperatorNamespace:       operatorNamespace,
		// The limiter phase runs a second manager in the same process.
		SkipNameValidation: true,
	})
	if err != nil {
		return nil, err
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
