package pim

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// WithWriteLimit wraps g so that the writes (assign, cancel, remove) of every kind share one
// token bucket of qps writes per second with the given burst, across every worker of the
// process: Graph's budget is per app and tenant, not per collection. Graph allows about 20
// identity writes per second; staying under it client-side keeps the operator out of 429s.
// Reads pass through. A write whose context ends before its turn comes fails as ClassThrottled
// with NotSent set, so the reconciler requeues instead of holding a worker.
func WithWriteLimit(g Graph, qps float64, burst int) Graph {
	if qps <= 0 {
		return g
	}
	return &writeLimitedGraph{Graph: g, lim: rate.NewLimiter(rate.Limit(qps), max(burst, 1))}
}

type writeLimitedGraph struct {
	Graph
	lim *rate.Limiter
}

func (w *writeLimitedGraph) For(k Kind) Client {
	return &writeLimited{Client: w.Graph.For(k), lim: w.lim}
}

type writeLimited struct {
	Client
	lim *rate.Limiter
}

func (w *writeLimited) wait(ctx context.Context, op string) error {
	if err := w.lim.Wait(ctx); err != nil {
		return &Error{Op: op, Class: ClassThrottled, NotSent: true,
			RetryAfter: time.Duration(float64(time.Second) / float64(w.lim.Limit())),
			Detail:     "client-side write limit (--graph-write-qps): " + err.Error()}
	}
	return nil
}

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
