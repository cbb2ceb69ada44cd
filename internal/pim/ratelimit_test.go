package pim

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

type countingClient struct {
	Client
	writes, reads atomic.Int32
}

func (c *countingClient) CancelRequest(context.Context, string) error { c.writes.Add(1); return nil }
func (c *countingClient) GetRequest(context.Context, string) (*Request, error) {
	c.reads.Add(1)
	return &Request{}, nil
}

func TestWriteLimitBlocksWritesOnly(t *testing.T) {
	inner := &countingClient{}
	c := WithWriteLimit(inner, 1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	for range 2 { // the burst
		if err := c.CancelRequest(ctx, "x"); err != nil {
			t.Fatalf("write within burst: %v", err)
		}
	}
	err := c.CancelRequest(ctx, "x")
	if !IsClass(err, ClassThrottled) {
		t.Fatalf("third write at 1 qps within 200ms: got %v, want ClassThrottled", err)
	}
	if e := AsError(err); e == nil || e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter: got %+v, want 1s", e)
	}
	for range 10 {
		if _, err := c.GetRequest(ctx, "x"); err != nil {
			t.Fatalf("reads are not limited: %v", err)
		}
	}
	if inner.writes.Load() != 2 || inner.reads.Load() != 10 {
		t.Fatalf("writes %d reads %d, want 2 and 10", inner.writes.Load(), inner.reads.Load())
	}
	if WithWriteLimit(inner, 0, 0) != Client(inner) {
		t.Fatal("qps 0 must disable the limiter")
	}
}
