package main

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
)

// At Graph's real write rate: a fresh manager with --graph-write-qps 20 (Graph's budget for
// identity writes, 3,000 per 150 s per app and tenant) and the default burst, GraphRateObjects
// creates against an emulator that enforces that budget — so any 429 is one the operator
// caused by writing too fast. The achieved POST rate is read from the emulator's call log.

// graphRatePart is what the phase measured.
type graphRatePart struct {
	QPS              float64
	Burst            int
	Objects, Reached int
	Wall             time.Duration
	Rate             rateStats
	// Budget and BudgetWindow are the emulator's write budget; Throttled the writes it refused.
	Budget       int
	BudgetWindow time.Duration
	Throttled    int
	// MaxInBudgetWindow is the most POSTs within any BudgetWindow.
	MaxInBudgetWindow int
	// Steady is the POST rate between the 10th and the 90th percentile of the POSTs' times,
	// leaving out the ramp-up (the burst) and the tail (the last objects' Ready).
	Steady float64
	Err    string
}

func (b *bench) runGraphRate(ctx context.Context) (*graphRatePart, error) {
	cfg := b.cfg
	gc, err := b.newGraphClient()
	if err != nil {
		return nil, err
	}
	p := &graphRatePart{QPS: cfg.GraphRateQPS, Burst: cfg.GraphRateBurst, Objects: cfg.GraphRateObjects,
		Budget: graphemu.GraphWriteBudget, BudgetWindow: graphemu.GraphWriteBudgetWindow}
	b.logf("graph rate: a manager at --graph-write-qps %g --graph-write-burst %d; the emulator enforces %d writes per %s",
		p.QPS, p.Burst, p.Budget, p.BudgetWindow)
	b.emu.SetWriteBudget(p.Budget, p.BudgetWindow)
	defer b.emu.SetWriteBudget(0, 0)
	mgr, err := startManager(ctx, newWriteCounter().wrap(b.env.Config), gc, managerSettings{
		writeQPS: p.QPS, writeBurst: p.Burst, workers: cfg.Workers, minActiveAge: controllers.DefaultMinActiveAge,
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.stop() }()
	tr, err := startTracker(ctx, b.userCfg, b.scheme, nsRate)
	if err != nil {
		return nil, err
	}
	defer tr.stop()

	tr.expect(names(p.Objects), isReady)
	mark := len(b.emu.Calls())
	start, now := time.Now(), time.Now()
	err = parallel(ctx, p.Objects, cfg.Clients, func(ctx context.Context, i int) error {
		return b.user.Create(ctx, newObject(nsRate, 4, i, isFuture(i, p.Objects), now))
	})
	tr.check()
	var end time.Time
	if err == nil {
		end, p.Reached, err = tr.wait(ctx, cfg.PhaseTimeout)
	}
	if end.IsZero() {
		end = time.Now()
	}
	p.Wall = end.Sub(start)
	calls := b.emu.Calls()[mark:]
	p.Rate = analyzeRate(calls)
	var times []time.Time
	for _, c := range calls {
		if c.Method != http.MethodPost {
			continue
		}
		if c.Throttled {
			p.Throttled++
			continue
		}
		times = append(times, c.Time)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	p.MaxInBudgetWindow = maxInWindow(times, p.BudgetWindow)
	if n := len(times); n >= 20 {
		lo, hi := n/10, n*9/10
		if span := times[hi].Sub(times[lo]); span > 0 {
			p.Steady = float64(hi-lo) / span.Seconds()
		}
	}
	if err != nil {
		p.Err = err.Error()
		return p, err
	}
	b.logf("graph rate: %d creates in %s, %.2f POSTs/s (%.1f %% of %g/s), %d answered 429 by the budget",
		p.Rate.Posts, p.Rate.Span.Round(time.Millisecond), p.Rate.Avg, 100*p.Rate.Avg/p.QPS, p.QPS, p.Throttled)
	return p, mgr.stop()
}

func graphRateReport(pr func(string, ...any), r *results) {
	p := r.GraphRate
	pr("## At Graph's write rate (%g/s, burst %d)", p.QPS, p.Burst)
	pr("")
	pr("A fresh manager with --graph-write-qps %g and the default --graph-write-burst %d; %d creates (half starting now, half in 24 h). "+
		"The emulator enforces Graph's budget for identity writes, %d per %s per app and tenant, answering a write over it with 429 and "+
		"Retry-After: the emulator answers 429 only then (no fault is set), so a 429 here is one the operator caused. POST times from the "+
		"emulator's call log.", p.QPS, p.Burst, p.Objects, p.Budget, dur(p.BudgetWindow))
	pr("")
	graphRate := float64(p.Budget) / p.BudgetWindow.Seconds()
	pr("| creates | all Ready after | POSTs | first to last POST | average POSTs/s | share of Graph's %g/s (of the configured %g/s) | steady (10th–90th percentile) | max in any 1 s (bucket bound %d) | max in any %s (budget %d) | answered 429 |",
		graphRate, p.QPS, p.Burst+int(p.QPS), dur(p.BudgetWindow), p.Budget)
	pr("|---|---|---|---|---|---|---|---|---|---|")
	pr("| %d | %s | %d | %s | %.2f | **%.1f %%** (%.1f %%) | %.2f/s | %d | %d | **%d** |", p.Objects, dur(p.Wall), p.Rate.Posts, dur(p.Rate.Span),
		p.Rate.Avg, 100*p.Rate.Avg/graphRate, 100*p.Rate.Avg/p.QPS, p.Steady, p.Rate.MaxIn1s, p.MaxInBudgetWindow, p.Throttled)
	pr("")
	pr("A token bucket of qps with burst b alone would let b + qps × w writes through in a window w (%d in %s at burst %d); "+
		"the operator's limiter also holds at most qps × %s in any %s, so that its own writes stay within Graph's %d.",
		p.Burst+int(p.QPS*p.BudgetWindow.Seconds()), dur(p.BudgetWindow), p.Burst, dur(p.BudgetWindow), dur(p.BudgetWindow), p.Budget)
	pr("")
	if p.Err != "" {
		pr("**Did not finish:** %s", p.Err)
		pr("")
	}
}
