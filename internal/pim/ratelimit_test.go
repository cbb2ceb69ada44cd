package pim

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// countingGraph counts the calls that reach Graph, for every kind together.
type countingGraph struct{ writes, reads atomic.Int32 }

func (g *countingGraph) For(Kind) Client {
	return Funcs{
		CancelFunc: func(context.Context, string) error { g.writes.Add(1); return nil },
		GetRequestFunc: func(context.Context, string) (*Request, error) {
			g.reads.Add(1)
			return &Request{}, nil
		},
	}
}

func TestWriteLimitBlocksWritesOnly(t *testing.T) {
	inner := &countingGraph{}
	g := WithWriteLimit(inner, 1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// The burst is shared by the kinds: one write of each uses it up.
	for _, k := range Kinds() {
		if err := g.For(k).Cancel(ctx, "x"); err != nil {
			t.Fatalf("write within burst (%s): %v", k, err)
		}
	}
	err := g.For(KindAssignment).Cancel(ctx, "x")
	if !IsClass(err, ClassThrottled) || !NotSent(err) {
		t.Fatalf("third write at 1 qps within 200ms: got %v, want ClassThrottled and NotSent", err)
	}
	if e := AsError(err); e == nil || e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter: got %+v, want 1s", e)
	}
	for range 10 {
		if _, err := g.For(KindEligibility).GetRequest(ctx, "x"); err != nil {
			t.Fatalf("reads are not limited: %v", err)
		}
	}
	if inner.writes.Load() != 2 || inner.reads.Load() != 10 {
		t.Fatalf("writes %d reads %d, want 2 and 10", inner.writes.Load(), inner.reads.Load())
	}
	if WithWriteLimit(inner, 0, 0) != Graph(inner) {
		t.Fatal("qps 0 must disable the limiter")
	}
}

func TestFuncsNamesAnUnexpectedCall(t *testing.T) {
	_, err := Funcs{}.Remove(context.Background(), Triple{}, "")
	if e := AsError(err); e == nil || e.Op != "removeAccess" || e.Class != ClassTransient {
		t.Fatalf("got %v", err)
	}
}
