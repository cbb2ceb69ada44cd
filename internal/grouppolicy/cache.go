package grouppolicy

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// DefaultTTL is how long a group's policy is trusted without reading it again. An
// administrator's change to the group's PIM settings is seen within it; a request refused by
// Graph for a policy reason invalidates it at once (Invalidate).
const DefaultTTL = 5 * time.Minute

// opGetGroupPolicy names a wait for the policy that ended with the caller's context, as the
// client names the read.
const opGetGroupPolicy = "getGroupPolicy"

// maxEntries is when storing a policy also drops the expired ones.
const maxEntries = 1024

// Options configure a Cache.
type Options struct {
	// TTL is how long a read policy, or a Forbidden answer, is kept. 0 means DefaultTTL; a
	// negative value keeps nothing (concurrent callers still share one read).
	TTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Cache holds the groups' policies per (group, access) for a bounded time, and reads a
// missing or expired one once however many callers ask for it at the same time. It is safe
// for concurrent use.
type Cache struct {
	reader pim.PolicyReader
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[key]*entry
	flights map[key]*flight
	// forbiddenReported is set once a Forbidden result has been handed out with
	// FirstForbidden, and cleared by the next successful read.
	forbiddenReported bool
}

type key struct {
	group  string // lower case: Graph's ids are GUIDs
	access pim.AccessID
}

// entry is a remembered answer: a policy, or a Forbidden error.
type entry struct {
	policy    *pim.GroupPolicy
	forbidden error
	expires   time.Time
}

// flight is a read in progress; done is closed when its answer is in.
type flight struct {
	done   chan struct{}
	policy *pim.GroupPolicy
	err    error
	// stale: Invalidate ran during the read, so its answer is handed to those who waited for
	// it but not remembered.
	stale bool
}

// New returns a Cache over r.
func New(r pim.PolicyReader, opts Options) *Cache {
	ttl := opts.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Cache{reader: r, ttl: ttl, now: now, entries: map[key]*entry{}, flights: map[key]*flight{}}
}

// Result is what Get answers.
type Result struct {
	// Policy is the group's policy for the access; nil when it could not be read.
	Policy *pim.GroupPolicy
	// Err is why not: a *pim.Error. With Forbidden it is Graph's 403, whose message names
	// pim.PermissionPolicyRead.
	Err error
	// Forbidden says that the operator may not read the group's policy: it sends the request
	// unchecked (Graph still enforces the policy). Remembered for the TTL, so it costs no
	// further read.
	Forbidden bool
	// FirstForbidden is true for the first Forbidden result handed out since the process
	// started or since a policy was last read successfully: log it (and raise the condition)
	// once, not for every request.
	FirstForbidden bool
}

// Get returns the policy of the group and access: remembered, or read now. A read that fails
// otherwise than Forbidden is not remembered: the caller decides (throttled or transient:
// requeue; anything else: send unchecked). When ctx ends first, Get returns at once and the
// read goes on for the next caller.
func (c *Cache) Get(ctx context.Context, groupID string, access pim.AccessID) Result {
	k := key{strings.ToLower(groupID), access}
	c.mu.Lock()
	if e := c.entries[k]; e != nil && c.now().Before(e.expires) {
		r := c.resultLocked(e.policy, e.forbidden)
		c.mu.Unlock()
		return r
	}
	f := c.flights[k]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.flights[k] = f
		// The read outlives a caller that gives up: the others, and the next caller, get it.
		go c.read(context.WithoutCancel(ctx), k, groupID, access, f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		return Result{Err: &pim.Error{Op: opGetGroupPolicy, Class: pim.ClassTransient,
			Detail: "waiting for the group's PIM policy: " + ctx.Err().Error()}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resultLocked(f.policy, f.err)
}

// read runs one Graph read and remembers what it may.
func (c *Cache) read(ctx context.Context, k key, groupID string, access pim.AccessID, f *flight) {
	p, err := c.reader.GroupPolicy(ctx, groupID, access)
	if err == nil && p == nil {
		p = &pim.GroupPolicy{GroupID: groupID, AccessID: access}
	}
	remember := true
	switch {
	case err == nil:
	case pim.IsClass(err, pim.ClassForbidden):
		p = nil
	default:
		p, remember = nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f.policy, f.err = p, err
	if c.flights[k] == f {
		delete(c.flights, k)
	}
	if err == nil {
		c.forbiddenReported = false
	}
	if remember && !f.stale && c.ttl > 0 {
		c.storeLocked(k, &entry{policy: p, forbidden: err, expires: c.now().Add(c.ttl)})
	}
	close(f.done)
}

// resultLocked is the Result of a policy or an error, reporting the first Forbidden.
func (c *Cache) resultLocked(p *pim.GroupPolicy, err error) Result {
	r := Result{Policy: p, Err: err}
	if err != nil && pim.IsClass(err, pim.ClassForbidden) {
		r.Policy, r.Forbidden = nil, true
		if !c.forbiddenReported {
			c.forbiddenReported, r.FirstForbidden = true, true
		}
	}
	return r
}

func (c *Cache) storeLocked(k key, e *entry) {
	if len(c.entries) >= maxEntries {
		now := c.now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[k] = e
}

// Invalidate forgets the policy of the group and access (every access when access is ""),
// so that the next Get reads it again: call it when Graph refused a request for a policy
// reason (RoleAssignmentRequestPolicyValidationFailed), which proves the remembered policy
// out of date. A read in progress is not remembered.
func (c *Cache) Invalidate(groupID string, access pim.AccessID) {
	group := strings.ToLower(groupID)
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.group == group && (access == "" || k.access == access) {
			delete(c.entries, k)
		}
	}
	for k, f := range c.flights {
		if k.group == group && (access == "" || k.access == access) {
			f.stale = true
			delete(c.flights, k)
		}
	}
}

// Outcome is a request checked against its group's policy: the Result of reading it and,
// when it was read, the violations.
type Outcome struct {
	Result
	Violations []Violation
}

// Check reads the policy of the request's group and access (through the cache) and checks
// the request against it (see the package's Check).
func (c *Cache) Check(ctx context.Context, kind pim.Kind, in pim.CreateInput, now time.Time) Outcome {
	o := Outcome{Result: c.Get(ctx, in.GroupID, in.AccessID)}
	if o.Policy != nil {
		o.Violations = Check(o.Policy, kind, in, now)
	}
	return o
}
