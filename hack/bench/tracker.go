package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// tracker watches the objects of one namespace (an informer of its own, outside the manager)
// and tells when every object of a phase has reached the phase's end state. It keeps only
// what it checks of each object, so its memory stays small next to the manager's.
type tracker struct {
	mu      sync.Mutex
	last    map[string]*v1.PIMAssignmentRequest
	phase   *trackedPhase
	stopped context.CancelFunc
}

type trackedPhase struct {
	pred       func(*v1.PIMAssignmentRequest) bool // nil: the phase ends when the object is gone
	want, done map[string]bool
	finished   chan struct{}
	finishedAt time.Time
}

// Phase end states.
var (
	isReady = func(o *v1.PIMAssignmentRequest) bool {
		return o.Status.RequestID != "" && meta.IsStatusConditionTrue(o.Status.Conditions, v1.ConditionReady)
	}
	isCancelled = func(o *v1.PIMAssignmentRequest) bool {
		return meta.IsStatusConditionTrue(o.Status.Conditions, v1.ConditionCancelled) &&
			meta.IsStatusConditionTrue(o.Status.Conditions, v1.ConditionReady)
	}
	isGone func(*v1.PIMAssignmentRequest) bool // nil
)

func startTracker(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, namespace string) (*tracker, error) {
	c, err := cache.New(cfg, cache.Options{
		Scheme:            scheme,
		DefaultNamespaces: map[string]cache.Config{namespace: {}},
		DefaultTransform:  slim,
	})
	if err != nil {
		return nil, err
	}
	inf, err := c.GetInformer(ctx, &v1.PIMAssignmentRequest{})
	if err != nil {
		return nil, err
	}
	t := &tracker{last: map[string]*v1.PIMAssignmentRequest{}}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.seen(obj, false) },
		UpdateFunc: func(_, obj any) { t.seen(obj, false) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			t.seen(obj, true)
		},
	}); err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(ctx)
	t.stopped = cancel
	go func() { _ = c.Start(cctx) }()
	if !c.WaitForCacheSync(ctx) {
		cancel()
		return nil, fmt.Errorf("the tracker's cache did not sync")
	}
	return t, nil
}

// slim keeps what the tracker looks at: the name, whether a request id is recorded, and the
// Ready, Cancelled and Stalled conditions (the message shortened). Strings are copied, so the
// decoded object — which would keep them alive — is garbage at once: the tracker's share of
// the heap stays small and shows apart from the manager's in a heap profile (main.slim).
func slim(obj any) (any, error) {
	o, ok := obj.(*v1.PIMAssignmentRequest)
	if !ok {
		return obj, nil
	}
	s := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{
		Name: strings.Clone(o.Name), Namespace: strings.Clone(o.Namespace), ResourceVersion: strings.Clone(o.ResourceVersion),
	}}
	if o.Status.RequestID != "" {
		s.Status.RequestID = "set"
	}
	for _, c := range o.Status.Conditions {
		switch c.Type {
		case v1.ConditionReady, v1.ConditionCancelled, v1.ConditionStalled:
			msg := c.Message
			if len(msg) > 160 {
				msg = msg[:160] + "…"
			}
			s.Status.Conditions = append(s.Status.Conditions, metav1.Condition{Type: strings.Clone(c.Type),
				Status: metav1.ConditionStatus(strings.Clone(string(c.Status))), Reason: strings.Clone(c.Reason), Message: strings.Clone(msg)})
		}
	}
	return s, nil
}

func (t *tracker) stop() { t.stopped() }

func (t *tracker) seen(obj any, deleted bool) {
	o, ok := obj.(*v1.PIMAssignmentRequest)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if deleted {
		delete(t.last, o.Name)
	} else {
		t.last[o.Name] = o
	}
	t.checkLocked(o.Name)
}

func (t *tracker) checkLocked(name string) {
	p := t.phase
	if p == nil || !p.want[name] || p.done[name] {
		return
	}
	o, present := t.last[name]
	switch {
	case p.pred == nil && present, p.pred != nil && (!present || !p.pred(o)):
		return
	}
	p.done[name] = true
	if len(p.done) == len(p.want) {
		p.finishedAt = time.Now()
		close(p.finished)
	}
}

// expect starts a phase: the named objects must each reach pred (nil: be gone). Call it before
// the writes that start the phase.
func (t *tracker) expect(names []string, pred func(*v1.PIMAssignmentRequest) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := &trackedPhase{pred: pred, want: map[string]bool{}, done: map[string]bool{}, finished: make(chan struct{})}
	for _, n := range names {
		p.want[n] = true
	}
	t.phase = p
	if len(names) == 0 {
		p.finishedAt = time.Now()
		close(p.finished)
	}
}

// check evaluates the objects already seen (after the writes that must change them have been
// sent: an object that already satisfies pred before its write would otherwise count early).
func (t *tracker) check() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for n := range t.phase.want {
		t.checkLocked(n)
	}
}

// wait blocks until every object of the phase got there, or timeout. It returns when the last
// one did, and how many did.
func (t *tracker) wait(ctx context.Context, timeout time.Duration) (time.Time, int, error) {
	t.mu.Lock()
	p := t.phase
	t.mu.Unlock()
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-p.finished:
		return p.finishedAt, len(p.want), nil
	case <-tm.C:
	case <-ctx.Done():
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return time.Now(), len(p.done), fmt.Errorf("%d of %d objects reached the phase's end state within %s; the others: %s",
		len(p.done), len(p.want), timeout, t.stragglersLocked(p))
}

// stragglersLocked summarises where the objects that did not make it are: counts by Ready and
// Stalled reasons, with one message each.
func (t *tracker) stragglersLocked(p *trackedPhase) string {
	type group struct {
		n   int
		msg string
	}
	groups := map[string]*group{}
	for n := range p.want {
		if p.done[n] {
			continue
		}
		key, msg := "not seen", ""
		if o, ok := t.last[n]; ok {
			key = "no Ready condition"
			if c := meta.FindStatusCondition(o.Status.Conditions, v1.ConditionReady); c != nil {
				key, msg = fmt.Sprintf("Ready=%s/%s", c.Status, c.Reason), c.Message
			}
			if c := meta.FindStatusCondition(o.Status.Conditions, v1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
				key, msg = "Stalled/"+c.Reason, c.Message
			}
			if p.pred == nil {
				key = "still present, " + key
			}
		}
		g := groups[key]
		if g == nil {
			g = &group{msg: msg}
			groups[key] = g
		}
		g.n++
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d × %s", groups[k].n, k)
		if groups[k].msg != "" {
			fmt.Fprintf(&b, " (e.g. %q)", groups[k].msg)
		}
	}
	return b.String()
}
