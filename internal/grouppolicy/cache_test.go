package grouppolicy

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// fakeReader answers with answer and counts the reads per group; with gate set, every read
// waits for it to close.
type fakeReader struct {
	mu     sync.Mutex
	reads  map[string]int
	total  atomic.Int32
	gate   chan struct{}
	answer func(groupID string, access pim.AccessID) (*pim.GroupPolicy, error)
}

func newFakeReader() *fakeReader {
	return &fakeReader{reads: map[string]int{}, answer: func(g string, a pim.AccessID) (*pim.GroupPolicy, error) {
		return expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour), nil
	}}
}

func (f *fakeReader) GroupPolicy(_ context.Context, groupID string, access pim.AccessID) (*pim.GroupPolicy, error) {
	f.total.Add(1)
	f.mu.Lock()
	f.reads[groupID+"/"+string(access)]++
	gate, answer := f.gate, f.answer
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return answer(groupID, access)
}

func (f *fakeReader) count(groupID string, access pim.AccessID) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads[groupID+"/"+string(access)]
}

func (f *fakeReader) setAnswer(a func(string, pim.AccessID) (*pim.GroupPolicy, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = a
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newCache(r pim.PolicyReader, ttl time.Duration) (*Cache, *clock) {
	clk := &clock{t: now}
	return New(r, Options{TTL: ttl, Now: clk.now}), clk
}

var forbidden = &pim.Error{Op: opGetGroupPolicy, Class: pim.ClassForbidden, HTTPStatus: 403, Code: "Authorization_RequestDenied",
	Detail: "needs " + pim.PermissionPolicyRead}

const otherGroup = "7e526275-97a8-4dc6-932a-4db521cccf96"

func TestOneReadForManyConcurrentCallers(t *testing.T) {
	r := newFakeReader()
	r.gate = make(chan struct{})
	c, _ := newCache(r, time.Minute)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]Result, 64)
	for i := range results {
		wg.Go(func() { results[i] = c.Get(ctx, group, pim.AccessMember) })
	}
	// Let the callers pile up behind the one read, then let it answer.
	deadline := time.Now().Add(5 * time.Second)
	for r.total.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(r.gate)
	wg.Wait()
	for i, res := range results {
		if res.Err != nil || res.Policy == nil || res.Policy.Assignment.Expiration.MaximumDuration != "PT8H" {
			t.Fatalf("caller %d: %+v", i, res)
		}
	}
	if n := r.total.Load(); n != 1 {
		t.Errorf("%d reads for %d callers, want 1", n, len(results))
	}
	// The group's other access and another group are read on their own; case does not matter.
	c.Get(ctx, group, pim.AccessOwner)
	c.Get(ctx, otherGroup, pim.AccessMember)
	c.Get(ctx, "6B1F2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", pim.AccessMember)
	if n := r.total.Load(); n != 3 {
		t.Errorf("%d reads, want 3", n)
	}
}

func TestReadAgainAfterTTL(t *testing.T) {
	r := newFakeReader()
	c, clk := newCache(r, time.Minute)
	ctx := context.Background()
	c.Get(ctx, group, pim.AccessMember)
	clk.advance(59 * time.Second)
	c.Get(ctx, group, pim.AccessMember)
	if n := r.count(group, pim.AccessMember); n != 1 {
		t.Fatalf("%d reads within the TTL, want 1", n)
	}
	clk.advance(time.Second)
	r.setAnswer(func(string, pim.AccessID) (*pim.GroupPolicy, error) {
		return expiration(pim.KindAssignment, true, "PT2H", 2*time.Hour), nil
	})
	res := c.Get(ctx, group, pim.AccessMember)
	if n := r.count(group, pim.AccessMember); n != 2 || res.Policy.Assignment.Expiration.MaximumDuration != "PT2H" {
		t.Fatalf("after the TTL: %d reads, policy %+v", n, res.Policy)
	}

	// A negative TTL keeps nothing; 0 is the default.
	none, _ := newCache(r, -1)
	none.Get(ctx, otherGroup, pim.AccessOwner)
	none.Get(ctx, otherGroup, pim.AccessOwner)
	if n := r.count(otherGroup, pim.AccessOwner); n != 2 {
		t.Errorf("negative TTL: %d reads, want 2", n)
	}
	if d := New(r, Options{}); d.ttl != DefaultTTL {
		t.Errorf("default TTL %v", d.ttl)
	}
}

func TestReadAgainAfterInvalidate(t *testing.T) {
	r := newFakeReader()
	c, _ := newCache(r, time.Hour)
	ctx := context.Background()
	c.Get(ctx, group, pim.AccessMember)
	c.Get(ctx, group, pim.AccessOwner)
	c.Invalidate(group, pim.AccessMember)
	c.Get(ctx, group, pim.AccessMember)
	c.Get(ctx, group, pim.AccessOwner)
	if m, o := r.count(group, pim.AccessMember), r.count(group, pim.AccessOwner); m != 2 || o != 1 {
		t.Fatalf("after invalidating member: %d member reads, %d owner reads; want 2 and 1", m, o)
	}
	c.Invalidate("6B1F2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "") // every access, any case
	c.Get(ctx, group, pim.AccessMember)
	c.Get(ctx, group, pim.AccessOwner)
	if m, o := r.count(group, pim.AccessMember), r.count(group, pim.AccessOwner); m != 3 || o != 2 {
		t.Fatalf("after invalidating the group: %d member reads, %d owner reads; want 3 and 2", m, o)
	}

	// A read in progress when Invalidate runs answers its callers but is not remembered.
	r.mu.Lock()
	r.gate = make(chan struct{})
	r.mu.Unlock()
	c.Invalidate(group, pim.AccessMember)
	done := make(chan Result)
	go func() { done <- c.Get(ctx, group, pim.AccessMember) }()
	for r.count(group, pim.AccessMember) != 4 {
		time.Sleep(time.Millisecond)
	}
	c.Invalidate(group, pim.AccessMember)
	r.mu.Lock()
	gate := r.gate
	r.gate = nil
	r.mu.Unlock()
	close(gate)
	if res := <-done; res.Policy == nil {
		t.Fatalf("the caller of the invalidated read: %+v", res)
	}
	c.Get(ctx, group, pim.AccessMember)
	if n := r.count(group, pim.AccessMember); n != 5 {
		t.Errorf("%d member reads, want 5: an invalidated read must not be remembered", n)
	}
}

// Without the permission the cache says Forbidden, so the operator sends unchecked; it
// remembers that for the TTL (no read per request) and reports it first only once.
func TestForbiddenFallback(t *testing.T) {
	r := newFakeReader()
	r.setAnswer(func(string, pim.AccessID) (*pim.GroupPolicy, error) { return nil, forbidden })
	c, clk := newCache(r, time.Minute)
	ctx := context.Background()
	in := request(permanent)

	o := c.Check(ctx, pim.KindAssignment, in, now)
	if !o.Forbidden || !o.FirstForbidden || o.Policy != nil || o.Violations != nil || pim.ClassOf(o.Err) != pim.ClassForbidden {
		t.Fatalf("first: %+v", o)
	}
	for range 3 {
		if res := c.Get(ctx, group, pim.AccessMember); !res.Forbidden || res.FirstForbidden {
			t.Fatalf("again: %+v", res)
		}
	}
	if n := r.count(group, pim.AccessMember); n != 1 {
		t.Fatalf("%d reads while Forbidden is remembered, want 1", n)
	}
	// Another group is read (the permission may differ), but the report is not repeated.
	if res := c.Get(ctx, otherGroup, pim.AccessMember); !res.Forbidden || res.FirstForbidden || r.count(otherGroup, pim.AccessMember) != 1 {
		t.Fatalf("other group: %+v", res)
	}
	// After the TTL it is read again: the permission may have been granted.
	clk.advance(time.Minute)
	r.setAnswer(func(string, pim.AccessID) (*pim.GroupPolicy, error) {
		return expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour), nil
	})
	o = c.Check(ctx, pim.KindAssignment, in, now)
	if o.Forbidden || o.Err != nil || len(o.Violations) != 1 || r.count(group, pim.AccessMember) != 2 {
		t.Fatalf("after the TTL, permission granted: %+v", o)
	}
	// Losing it again is reported again.
	r.setAnswer(func(string, pim.AccessID) (*pim.GroupPolicy, error) { return nil, forbidden })
	clk.advance(time.Minute)
	if res := c.Get(ctx, group, pim.AccessMember); !res.Forbidden || !res.FirstForbidden {
		t.Fatalf("lost again: %+v", res)
	}
}

// Other failures are handed to the caller and not remembered.
func TestTransientFailureIsNotRemembered(t *testing.T) {
	r := newFakeReader()
	r.setAnswer(func(string, pim.AccessID) (*pim.GroupPolicy, error) {
		return nil, &pim.Error{Op: opGetGroupPolicy, Class: pim.ClassThrottled, HTTPStatus: 429, RetryAfter: time.Second}
	})
	c, _ := newCache(r, time.Minute)
	ctx := context.Background()
	for range 2 {
		if res := c.Get(ctx, group, pim.AccessMember); res.Policy != nil || res.Forbidden || pim.ClassOf(res.Err) != pim.ClassThrottled {
			t.Fatalf("throttled: %+v", res)
		}
	}
	if n := r.count(group, pim.AccessMember); n != 2 {
		t.Errorf("%d reads, want 2", n)
	}
	// A reader that answers nil without an error reads as a policy without rules.
	r.setAnswer(func(string, pim.AccessID) (*pim.GroupPolicy, error) { return nil, nil })
	if o := c.Check(ctx, pim.KindAssignment, request(permanent), now); o.Err != nil || o.Policy == nil || o.Violations != nil {
		t.Errorf("nil policy: %+v", o)
	}
}

// A caller whose context ends stops waiting; the read goes on and serves the next caller.
func TestCallerGivesUp(t *testing.T) {
	r := newFakeReader()
	r.gate = make(chan struct{})
	c, _ := newCache(r, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := c.Get(ctx, group, pim.AccessMember)
	if res.Policy != nil || pim.ClassOf(res.Err) != pim.ClassTransient {
		t.Fatalf("gave up: %+v", res)
	}
	close(r.gate)
	if res := c.Get(context.Background(), group, pim.AccessMember); res.Policy == nil {
		t.Fatalf("next caller: %+v", res)
	}
	if n := r.total.Load(); n != 1 {
		t.Errorf("%d reads, want 1", n)
	}
}
