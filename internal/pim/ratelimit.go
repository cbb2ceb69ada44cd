package pim

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// WithWriteLimit wraps c so that its writes (create, cancel, remove) share one token bucket of
// qps writes per second with the given burst, across every worker of the process. Graph allows
// about 20 identity writes per second per app and tenant; staying under it client-side keeps
// the operator out of 429s. Reads pass through. A write whose context ends before its turn
// comes fails as ClassThrottled, so the reconciler requeues instead of holding a worker.
func WithWriteLimit(c Client, qps float64, burst int) Client {
	if qps <= 0 {
		return c
	}
	return &writeLimited{Client: c, lim: rate.NewLimiter(rate.Limit(qps), max(burst, 1))}
}

type writeLimited struct {
	Client
	lim *rate.Limiter
}

func (w *writeLimited) wait(ctx context.Context, op string) error {
	if err := w.lim.Wait(ctx); err != nil {
		return &Error{Op: op, Class: ClassThrottled, RetryAfter: time.Duration(float64(time.Second) / float64(w.lim.Limit())),
			Detail: "client-side write limit (--graph-write-qps): " + err.Error()}
	}
	return nil
}

func (w *writeLimited) CreateAssignment(ctx context.Context, in CreateInput) (*Request, error) {
	if err := w.wait(ctx, "createRequest"); err != nil {
		return nil, err
	}
	return w.Client.CreateAssignment(ctx, in)
}

func (w *writeLimited) CancelRequest(ctx context.Context, id string) error {
	if err := w.wait(ctx, "cancelRequest"); err != nil {
		return err
	}
	return w.Client.CancelRequest(ctx, id)
}

func (w *writeLimited) RemoveAssignment(ctx context.Context, t Triple, justification string) (*Request, error) {
	if err := w.wait(ctx, "removeAssignment"); err != nil {
		return nil, err
	}
	return w.Client.RemoveAssignment(ctx, t, justification)
}
