package pim

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// WithWriteLimit wraps g so that the writes (assign, cancel, remove) of every kind share one
// limit across every worker of the process: Graph's quota is per app and tenant, not per
// collection. The limit is a token bucket of qps writes per second with the given burst, and
// at most qps × GraphWriteWindow writes in any GraphWriteWindow, the shape of Graph's quota
// (3,000 per 150 s, 20/s on average): so qps 20 uses all of it and is never answered 429 for
// the operator's own writes. Reads pass through. A write whose context ends before its turn
// comes fails as ClassThrottled with NotSent set, so the reconciler requeues instead of
// holding a worker.
func WithWriteLimit(g Graph, qps float64, burst int) Graph {
	return withWriteLimit(g, qps, burst, GraphWriteWindow)
}

func withWriteLimit(g Graph, qps float64, burst int, window time.Duration) Graph {
	if qps <= 0 {
		return g
	}
	return &writeLimitedGraph{Graph: g, lim: &writeLimiter{
		bucket: rate.NewLimiter(rate.Limit(qps), max(burst, 1)),
		window: newWriteBudget(int(qps*window.Seconds()), window, time.Now()),
	}}
}

type writeLimiter struct {
	bucket *rate.Limiter
	window *writeBudget
}

func (l *writeLimiter) wait(ctx context.Context, op string) error {
	throttled := func(err error, retryAfter time.Duration) error {
		return &Error{Op: op, Class: ClassThrottled, NotSent: true, RetryAfter: retryAfter,
			Detail: "client-side write limit (--graph-write-qps): " + err.Error()}
	}
	if err := l.bucket.Wait(ctx); err != nil {
		return throttled(err, time.Duration(float64(time.Second)/float64(l.bucket.Limit())))
	}
	for {
		wait := l.window.admit(time.Now())
		if wait == 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return throttled(ctx.Err(), wait)
		case <-t.C:
		}
	}
}

type writeLimitedGraph struct {
	Graph
	lim *writeLimiter
}

func (w *writeLimitedGraph) For(k Kind) Client {
	return &writeLimited{Client: w.Graph.For(k), lim: w.lim}
}

type writeLimited struct {
	Client
	lim *writeLimiter
}

func (w *writeLimited) wait(ctx context.Context, op string) error { return w.lim.wait(ctx, op) }

func (w *writeLimited) Assign(ctx context.Context, in CreateInput) (*Request, error) {
	if err := w.wait(ctx, "createRequest"); err != nil {
		return nil, err
	}
	return w.Client.Assign(ctx, in)
}

func (w *writeLimited) Cancel(ctx context.Context, id string) error {
	if err := w.wait(ctx, "cancelRequest"); err != nil {
		return err
	}
	return w.Client.Cancel(ctx, id)
}

func (w *writeLimited) Remove(ctx context.Context, t Triple, justification string) (*Request, error) {
	if err := w.wait(ctx, "removeAccess"); err != nil {
		return nil, err
	}
	return w.Client.Remove(ctx, t, justification)
}
