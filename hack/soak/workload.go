package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	apiGroup   = "access.pim-operator.dev"
	apiVersion = apiGroup + "/v1alpha1"

	kindAssignment  = "PIMAssignmentRequest"
	kindEligibility = "PIMEligibilityRequest"

	// assignmentLength and eligibilityLength are how long the soak's access lasts: longer than
	// any run, so nothing expires during one. The policy allows exactly these.
	assignmentLength  = 8 * time.Hour
	eligibilityLength = 720 * time.Hour

	// operatorNamespace holds the leader election Lease and the operator's own Secret.
	operatorNamespace = "pim-operator-system"
)

// liveCondition is the condition that says the access is in force, by kind.
func liveCondition(kind string) string {
	if kind == kindEligibility {
		return "Eligible"
	}
	return "Active"
}

func gvk(kind string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: apiGroup, Version: "v1alpha1", Kind: kind}
}

// startKind is when an object's access starts.
type startKind int

const (
	startNow  startKind = iota // Graph answers Provisioned
	startSoon                  // Graph answers Granted, and Provisioned at the start, during the run
	startFar                   // Graph answers Granted; the start is a day away
)

func (s startKind) String() string {
	return [...]string{"now", "soon", "in 24 h"}[s]
}

// workloadShape is what every object is drawn from.
type workloadShape struct {
	namespaces []string
	groups     int
}

// groupID is group g of the soak; the policy permits groups 0 … groups-1, and group -1 (the
// denied objects') is not in it.
func groupID(g int) string {
	if g < 0 {
		return "de0ed000-0000-4000-8000-000000000000"
	}
	return fmt.Sprintf("50a0c000-0000-4000-8000-%012x", g)
}

// plan is what the driver does with one object: when it creates it, whether and when it sets
// spec.cancelled, whether and when it deletes it. Offsets count from the workload's start.
type plan struct {
	Index     int
	Kind      string
	Namespace string
	Name      string
	Principal string
	Group     int
	Start     startKind
	// SoonAfter is, for startSoon, how long after its creation the access starts.
	SoonAfter time.Duration
	// Orphan sets spec.deletionPolicy: Orphan: deleting the object leaves its access.
	Orphan bool
	// Denied asks for a group no policy permits: the object must stall NotPermitted and never
	// reach Graph.
	Denied bool
	// TwinOf is the index of the object this one duplicates (same kind and triple), as a
	// GitOps rename applies the new object before pruning the old; -1 for none. A twin is
	// created once its original is submitted and deleted later.
	TwinOf int
	// CreateAt, CancelAt, DeleteAt are offsets from the workload's start (CancelAt, DeleteAt
	// < 0: never); a twin's DeleteAt counts from its creation.
	CreateAt, CancelAt, DeleteAt time.Duration
}

func (p *plan) key() string { return p.Kind + " " + p.Namespace + "/" + p.Name }

// workloadConfig are the shares and times plans are drawn with.
type workloadConfig struct {
	N                                     int
	Window                                time.Duration
	EligibilityShare, SoonShare, FarShare float64
	CancelShare, DeleteShare, OrphanShare float64
	TwinShare, DeniedShare                float64
	Shape                                 workloadShape
}

// makePlans draws the objects. Creates spread over the first half of the window; a cancel or a
// delete follows a few seconds to a third of the window later (a quarter of them within 3 s,
// racing the create or the cancel before them); everything ends inside the window.
func makePlans(w workloadConfig, rng *rand.Rand) []*plan {
	var plans []*plan
	spread := w.Window / 2
	gap := func() time.Duration {
		if rng.Float64() < 0.25 {
			return time.Duration(rng.Int64N(int64(3 * time.Second)))
		}
		return 5*time.Second + time.Duration(rng.Int64N(int64(w.Window/3)))
	}
	clamp := func(d time.Duration) time.Duration { return min(d, w.Window) }
	for i := range w.N {
		p := &plan{Index: i, Kind: kindAssignment, TwinOf: -1, CancelAt: -1, DeleteAt: -1}
		if rng.Float64() < w.EligibilityShare {
			p.Kind = kindEligibility
		}
		p.Namespace = w.Shape.namespaces[i%len(w.Shape.namespaces)]
		p.Name = fmt.Sprintf("soak-%04d", i)
		p.Principal = fmt.Sprintf("50a0b000-0000-4000-8000-%012x", i)
		p.Group = i % w.Shape.groups
		switch u := rng.Float64(); {
		case u < w.SoonShare:
			p.Start = startSoon
			p.SoonAfter = 60*time.Second + time.Duration(rng.Int64N(int64(90*time.Second)))
		case u < w.SoonShare+w.FarShare:
			p.Start = startFar
		}
		p.Orphan = rng.Float64() < w.OrphanShare
		if rng.Float64() < w.DeniedShare {
			p.Denied, p.Group = true, -1
		}
		p.CreateAt = time.Duration(rng.Int64N(int64(spread)))
		last := p.CreateAt
		if rng.Float64() < w.CancelShare {
			p.CancelAt = clamp(last + gap())
			last = p.CancelAt
		}
		if rng.Float64() < w.DeleteShare {
			p.DeleteAt = clamp(last + gap())
		}
		plans = append(plans, p)
	}
	// Twins of some objects that keep their access (neither cancelled nor deleted, nor denied).
	nTwins := int(float64(w.N)*w.TwinShare + 0.5)
	for _, i := range rng.Perm(w.N) {
		if nTwins == 0 {
			break
		}
		o := plans[i]
		if o.Denied || o.Orphan || o.CancelAt >= 0 || o.DeleteAt >= 0 || o.CreateAt > w.Window/4 {
			continue
		}
		nTwins--
		t := &plan{Index: len(plans), Kind: o.Kind, Namespace: o.Namespace, Name: o.Name + "-twin", Principal: o.Principal,
			Group: o.Group, Start: o.Start, SoonAfter: o.SoonAfter, TwinOf: o.Index, CancelAt: -1}
		t.CreateAt = o.CreateAt + 20*time.Second + time.Duration(rng.Int64N(int64(20*time.Second)))
		// A twin is deleted this long after it was created (its create may wait for the original).
		t.DeleteAt = 15*time.Second + time.Duration(rng.Int64N(int64(30*time.Second)))
		plans = append(plans, t)
	}
	return plans
}

// record is what happened to one object: the plan and the driver's writes as they landed.
type record struct {
	*plan
	UID     string
	StartAt time.Time // the requested start (startSoon, startFar)
	// Created, Cancelled, Deleted are when the driver's write was accepted (zero: not done).
	Created, Cancelled, Deleted time.Time
	// WriteErrors counts the driver's writes that failed and were tried again (the API server
	// restart makes some).
	WriteErrors int
	// Skipped says why a planned write was not made (a twin whose original never got a request).
	Skipped string
}

// tracked is a record the driver is filling in.
type tracked struct {
	mu sync.Mutex
	record
}

func (t *tracked) snapshot() record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.record
}

// object is the object's manifest, and the start it asks for (zero: now).
func (r *record) object(now time.Time) (*unstructured.Unstructured, time.Time) {
	sched := map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "8h"}}
	if r.Kind == kindEligibility {
		sched["expiration"] = map[string]any{"type": "afterDuration", "duration": "720h"}
	}
	var startAt time.Time
	switch r.Start {
	case startSoon:
		startAt = now.Add(r.SoonAfter).Truncate(time.Second)
	case startFar:
		startAt = now.Add(24 * time.Hour).Truncate(time.Second)
	}
	if !startAt.IsZero() {
		sched["startDateTime"] = startAt.UTC().Format(time.RFC3339)
	}
	spec := map[string]any{
		"groupId":       groupID(r.Group),
		"principalId":   r.Principal,
		"accessId":      "member",
		"justification": "pim-operator soak: " + r.Name,
		"schedule":      sched,
	}
	if r.Orphan {
		spec["deletionPolicy"] = "Orphan"
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": r.Name, "namespace": r.Namespace},
		"spec":     spec,
	}}
	u.SetGroupVersionKind(gvk(r.Kind))
	return u, startAt
}

func (r *record) ref() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk(r.Kind))
	u.SetNamespace(r.Namespace)
	u.SetName(r.Name)
	return u
}

// driver makes the user's writes: one goroutine per object, each write retried (every second,
// for up to writeRetryFor) until the API server takes it.
type driver struct {
	c       client.Client
	records []*tracked
	watch   *watcher
	window  time.Duration
	logf    func(string, ...any)
}

const writeRetryFor = 5 * time.Minute

// run makes every planned write, relative to start, and returns when all are done.
func (d *driver) run(ctx context.Context, start time.Time) {
	var wg sync.WaitGroup
	for _, r := range d.records {
		wg.Go(func() { d.drive(ctx, start, r) })
	}
	wg.Wait()
}

func (d *driver) drive(ctx context.Context, start time.Time, r *tracked) {
	if !sleepUntil(ctx, start.Add(r.CreateAt)) {
		return
	}
	// A twin waits for its original to hold the triple, and must be gone before the window ends.
	twinDeadline := start.Add(d.window - 50*time.Second)
	if r.TwinOf >= 0 && !d.waitSubmitted(ctx, d.records[r.TwinOf], twinDeadline) {
		r.mu.Lock()
		r.Skipped = "its original had no Graph request in time"
		r.mu.Unlock()
		return
	}
	if !d.retry(ctx, r, "create", func(ctx context.Context) error {
		u, _ := r.object(time.Now())
		err := d.c.Create(ctx, u)
		if apierrors.IsAlreadyExists(err) {
			// An earlier attempt was applied, its answer lost (the API server restart).
			err = d.c.Get(ctx, client.ObjectKeyFromObject(u), u)
		}
		if err == nil {
			r.mu.Lock()
			r.UID, r.Created = string(u.GetUID()), time.Now()
			// The start as stored (an earlier attempt's, when its answer was lost).
			if s, _, _ := unstructured.NestedString(u.Object, "spec", "schedule", "startDateTime"); s != "" {
				r.StartAt, _ = time.Parse(time.RFC3339, s)
			}
			r.mu.Unlock()
		}
		return err
	}) {
		return
	}
	if r.CancelAt >= 0 {
		if !sleepUntil(ctx, start.Add(r.CancelAt)) {
			return
		}
		if !d.retry(ctx, r, "cancel", func(ctx context.Context) error {
			err := d.c.Patch(ctx, r.ref(), client.RawPatch(types.MergePatchType, []byte(`{"spec":{"cancelled":true}}`)))
			if err == nil {
				r.mu.Lock()
				r.Cancelled = time.Now()
				r.mu.Unlock()
			}
			return err
		}) {
			return
		}
	}
	if r.DeleteAt >= 0 {
		at := start.Add(r.DeleteAt)
		if r.TwinOf >= 0 {
			r.mu.Lock()
			at = r.Created.Add(r.DeleteAt)
			r.mu.Unlock()
		}
		if !sleepUntil(ctx, at) {
			return
		}
		d.retry(ctx, r, "delete", func(ctx context.Context) error {
			err := d.c.Delete(ctx, r.ref())
			if apierrors.IsNotFound(err) {
				err = nil // an earlier attempt was applied
			}
			if err == nil {
				r.mu.Lock()
				r.Deleted = time.Now()
				r.mu.Unlock()
			}
			return err
		})
	}
}

// waitSubmitted waits (up to deadline) until the object has a Graph request recorded.
func (d *driver) waitSubmitted(ctx context.Context, orig *tracked, deadline time.Time) bool {
	for time.Now().Before(deadline) {
		if v, ok := d.watch.view(orig.Kind, orig.Namespace, orig.Name); ok && v.Status.RequestID != "" {
			return true
		}
		if !sleepUntil(ctx, time.Now().Add(time.Second)) {
			return false
		}
	}
	return false
}

func (d *driver) retry(ctx context.Context, r *tracked, what string, write func(context.Context) error) bool {
	deadline := time.Now().Add(writeRetryFor)
	for {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := write(wctx)
		cancel()
		if err == nil {
			return true
		}
		r.mu.Lock()
		r.WriteErrors++
		r.mu.Unlock()
		if ctx.Err() != nil || time.Now().After(deadline) {
			d.logf("driver: %s %s failed for good: %v", what, r.key(), err)
			r.mu.Lock()
			r.Skipped = fmt.Sprintf("%s failed: %v", what, err)
			r.mu.Unlock()
			return false
		}
		if !sleepUntil(ctx, time.Now().Add(time.Second)) {
			return false
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// chaosEvent is one thing the soak does to the operator or its control plane.
type chaosEvent struct {
	At   time.Duration
	What string // "kill" or "apiserver"
}

// makeChaos draws the leader kills and the API server restarts inside the window, at least
// spacing apart (the leader election needs time to settle between two).
func makeChaos(kills, restarts int, window, spacing time.Duration, rng *rand.Rand) []chaosEvent {
	n := kills + restarts
	if n == 0 {
		return nil
	}
	lo, hi := window/8, window*7/8
	for attempt := 0; ; attempt++ {
		var ev []chaosEvent
		for i := range n {
			what := "kill"
			if i >= kills {
				what = "apiserver"
			}
			ev = append(ev, chaosEvent{At: lo + time.Duration(rng.Int64N(int64(hi-lo))), What: what})
		}
		sort.Slice(ev, func(i, j int) bool { return ev[i].At < ev[j].At })
		ok := true
		for i := 1; i < len(ev); i++ {
			ok = ok && ev[i].At-ev[i-1].At >= spacing
		}
		if ok || attempt > 1000 {
			if !ok { // too many for the window: spread them evenly
				for i := range ev {
					ev[i].At = lo + time.Duration(i)*(hi-lo)/time.Duration(n)
				}
			}
			return ev
		}
	}
}
