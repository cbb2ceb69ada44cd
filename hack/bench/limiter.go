package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
)

// runLimiter measures the Graph write limiter on its own, at main.go's default
// --graph-write-qps and --graph-write-burst, with a fresh manager: first LimiterObjects
// creates against a healthy Graph, then LimiterObjects more while Graph answers every create
// with 429 and Retry-After for Storm. The write rate is read from the emulator's call log.
func (b *bench) runLimiter(ctx context.Context) ([]limiterPart, error) {
	cfg := b.cfg
	gc, err := b.newGraphClient()
	if err != nil {
		return nil, err
	}
	b.logf("limiter: starting a manager at the default Graph write limit %g/s burst %d", cfg.LimiterQPS, cfg.LimiterBurst)
	mgr, err := startManager(ctx, newWriteCounter().wrap(b.env.Config), gc, managerSettings{
		writeQPS: cfg.LimiterQPS, writeBurst: cfg.LimiterBurst, workers: cfg.Workers, minActiveAge: controllers.DefaultMinActiveAge,
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.stop() }()
	tr, err := startTracker(ctx, b.userCfg, b.scheme, nsLimiter)
	if err != nil {
		return nil, err
	}
	defer tr.stop()

	m := cfg.LimiterObjects
	part := func(name string, first int, during func()) limiterPart {
		b.logf("limiter: %s (%d objects)", name, m)
		p := limiterPart{Name: name, Objects: m}
		var want []string
		for i := first; i < first+m; i++ {
			want = append(want, objName(i))
		}
		tr.expect(want, isReady)
		mark := len(b.emu.Calls())
		start, now := time.Now(), time.Now()
		if during != nil {
			during()
		}
		err := parallel(ctx, m, cfg.Clients, func(ctx context.Context, i int) error {
			return b.user.Create(ctx, newObject(nsLimiter, 2, first+i, false, now))
		})
		var end time.Time
		if err == nil {
			end, p.Reached, err = tr.wait(ctx, cfg.PhaseTimeout)
		}
		if end.IsZero() {
			end = time.Now()
		}
		p.Wall = end.Sub(start)
		p.Rate = analyzeRate(b.emu.Calls()[mark:])
		if err != nil {
			p.Err = err.Error()
		}
		b.logf("limiter: %s took %s", name, p.Wall.Round(time.Millisecond))
		return p
	}

	var out []limiterPart
	steady := part("steady", 0, nil)
	out = append(out, steady)
	if steady.Err != "" {
		return out, errors.New(steady.Err)
	}

	// Let the bucket fill up again, so the storm starts with a full burst.
	time.Sleep(time.Duration(float64(cfg.LimiterBurst)/cfg.LimiterQPS*float64(time.Second)) + time.Second)
	var stormFrom, stormTo time.Time
	stormOver := make(chan struct{})
	storm := part("429 storm", m, func() {
		b.emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Status: http.StatusTooManyRequests, RetryAfter: cfg.StormRetryAfter})
		stormFrom = b.emu.Now()
		time.AfterFunc(cfg.Storm, func() {
			b.emu.ClearFaults()
			stormTo = b.emu.Now()
			close(stormOver)
		})
	})
	<-stormOver
	calls := b.emu.Calls()
	storm.StormPosts, storm.StormLength = postsBetween(calls, stormFrom, stormTo), stormTo.Sub(stormFrom)
	out = append(out, storm)
	if storm.Err != "" {
		return out, errors.New(storm.Err)
	}
	return out, mgr.stop()
}
