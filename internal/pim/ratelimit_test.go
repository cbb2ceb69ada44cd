package pim

import (
	"context"
	"math/rand/v2"
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

// However the writes bunch, no window of the budget's length holds more than its limit, and
// a full window makes the next write wait only until the oldest slot leaves it.
func TestWriteBudgetBoundsEveryWindow(t *testing.T) {
	const limit, window = 30, 3 * time.Second
	start := time.Unix(1000, 0)
	b := newWriteBudget(limit, window, start)
	var admitted []time.Time
	now := start
	rnd := rand.New(rand.NewPCG(1, 2))
	for now.Before(start.Add(40 * time.Second)) {
		if wait := b.admit(now); wait == 0 {
			admitted = append(admitted, now)
		} else if wait > window+writeBudgetSlot {
			t.Fatalf("at %v: wait %v, longer than the window", now.Sub(start), wait)
		}
		now = now.Add(time.Duration(rnd.IntN(int(100 * time.Millisecond))))
	}
	for i := range admitted {
		if j := i + limit; j < len(admitted) && admitted[j].Sub(admitted[i]) < window {
			t.Fatalf("writes %d and %d %v apart: more than %d in %v", i, j, admitted[j].Sub(admitted[i]), limit, window)
		}
	}
	// Offered twice the limit's rate, it admits close to the limit in every window.
	if got, least := len(admitted), int(0.9*40*limit/3); got < least {
		t.Fatalf("admitted %d in 40 s, want ≥ %d", got, least)
	}

	b = newWriteBudget(2, window, start)
	if b.admit(start) != 0 || b.admit(start.Add(500*time.Millisecond)) != 0 {
		t.Fatal("two writes within a limit of 2 must go at once")
	}
	at := start.Add(time.Second)
	if wait := b.admit(at); wait != window+writeBudgetSlot-time.Second {
		t.Fatalf("third write: wait %v, want until the first write's slot leaves the window (%v)", wait, window+writeBudgetSlot-time.Second)
	}
	if wait := b.admit(start.Add(window + writeBudgetSlot)); wait != 0 {
		t.Fatalf("after the first slot left: wait %v, want 0", wait)
	}
}

// The token bucket alone would let burst + qps × window writes through: one window holds no
// more than qps × window.
func TestWriteLimitHoldsTheWindow(t *testing.T) {
	inner := &countingGraph{}
	g := withWriteLimit(inner, 10, 5, time.Second) // the bucket alone: 15 in the first second
	ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
	defer cancel()
	var sent int
	for range 15 {
		if err := g.For(KindAssignment).Cancel(ctx, "x"); err != nil {
			if !IsClass(err, ClassThrottled) || !NotSent(err) {
				t.Fatalf("got %v, want ClassThrottled and NotSent", err)
			}
			break
		}
		sent++
	}
	if sent > 10 {
		t.Fatalf("%d writes within 0.9 s at qps 10, burst 5 and a 1 s window; want at most 10", sent)
	}
	if sent < 9 {
		t.Fatalf("only %d writes within 0.9 s; the bucket allows 5 at once and 10/s", sent)
	}
}
