package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// runBaseline does, with no operator running, the API-server writes the objects' life needs,
// from a plain client with the same concurrency as the operator run: Clients goroutines make
// the user's writes (create, flip spec.cancelled, delete) and hand each object to Workers
// goroutines that make the writes standing in for the operator's (finalizer and
// create-pending annotation, each a conflict-checked merge patch as the operator sends them; the status
// that carries the outcome; the finalizer's removal). No reads: every write starts from the
// answer to the one before. It runs before the manager starts, in its own namespace.
func (b *bench) runBaseline(ctx context.Context) ([]phaseResult, error) {
	cfg := b.cfg
	count := newWriteCounter()
	wcfg := count.wrap(b.env.Config)
	wcfg.QPS, wcfg.Burst = -1, 0
	worker, err := client.New(wcfg, client.Options{Scheme: b.scheme})
	if err != nil {
		return nil, err
	}
	objs := make([]*v1.PIMAssignmentRequest, cfg.N)
	now := time.Now()
	var out []phaseResult
	runPhase := func(name string, user func(ctx context.Context, i int) error, op func(ctx context.Context, i int) error) error {
		b.logf("baseline: %s (%d objects)", name, cfg.N)
		userBefore, opBefore, cpuBefore := b.userCount.snapshot(), count.snapshot(), sampleCPU()
		start := time.Now()
		reached, err := pipeline(ctx, cfg.N, cfg.Clients, cfg.Workers, user, op)
		p := phaseResult{
			Name: name, Objects: cfg.N, Reached: reached, Wall: time.Since(start),
			UserWrites: diff(b.userCount.snapshot(), userBefore), OperatorWrites: diff(count.snapshot(), opBefore),
			CPU: sampleCPU().since(cpuBefore), Load: loadAvg(),
		}
		if err != nil {
			p.Err = err.Error()
		}
		out = append(out, p)
		b.logf("baseline: %s took %s", name, p.Wall.Round(time.Millisecond))
		return err
	}

	if err := runPhase(phaseCreate, func(ctx context.Context, i int) error {
		objs[i] = newObject(nsBaseline, 1, i, isFuture(i, cfg.N), now)
		return b.user.Create(ctx, objs[i])
	}, func(ctx context.Context, i int) error {
		o := objs[i]
		base := o.DeepCopy()
		o.Finalizers = append(o.Finalizers, v1.Finalizer)
		if err := worker.Patch(ctx, o, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		base = o.DeepCopy()
		o.Annotations = map[string]string{v1.AnnotationCreatePending: time.Now().UTC().Format(time.RFC3339)}
		if err := worker.Patch(ctx, o, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		base = o.DeepCopy()
		o.Status = settledStatus(o, i, isFuture(i, cfg.N))
		return worker.Status().Patch(ctx, o, client.MergeFrom(base))
	}); err != nil {
		return out, err
	}

	if err := runPhase(phaseCancel, func(ctx context.Context, i int) error {
		return b.user.Patch(ctx, objs[i], cancelPatch)
	}, func(ctx context.Context, i int) error {
		o := objs[i]
		base := o.DeepCopy()
		endedStatus(&o.Status, o.Generation, isFuture(i, cfg.N))
		return worker.Status().Patch(ctx, o, client.MergeFrom(base))
	}); err != nil {
		return out, err
	}

	dropFinalizer := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))
	if err := runPhase(phaseDelete, func(ctx context.Context, i int) error {
		return b.user.Delete(ctx, objs[i])
	}, func(ctx context.Context, i int) error {
		return worker.Patch(ctx, ref(nsBaseline, i), dropFinalizer)
	}); err != nil {
		return out, err
	}
	return out, nil
}

// pipeline runs user(i) for every object on clients goroutines, then op(i) on workers
// goroutines as each user write returns, and reports how many objects got through both.
func pipeline(ctx context.Context, n, clients, workers int, user, op func(ctx context.Context, i int) error) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan int, n)
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	var done int
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range queue {
				if ctx.Err() != nil {
					continue
				}
				if err := op(ctx, i); err != nil {
					fail(fmt.Errorf("object %d: %w", i, err))
					continue
				}
				mu.Lock()
				done++
				mu.Unlock()
			}
		})
	}
	err := parallel(ctx, n, clients, func(ctx context.Context, i int) error {
		if err := user(ctx, i); err != nil {
			return fmt.Errorf("object %d: %w", i, err)
		}
		queue <- i
		return nil
	})
	close(queue)
	wg.Wait()
	if err != nil {
		fail(err)
	}
	return done, first
}

// settledStatus is a status of the size and shape the operator writes once the request is
// Provisioned (or Granted for a future start).
func settledStatus(o *v1.PIMAssignmentRequest, i int, future bool) v1.RequestStatus {
	now := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	reqID := guid(0x5e000000, i)
	st := v1.RequestStatus{
		RequestID:          reqID,
		TargetScheduleID:   o.Spec.GroupID + "_member_" + reqID,
		GroupID:            o.Spec.GroupID,
		PrincipalID:        o.Spec.PrincipalID,
		AccessID:           v1.AccessMember,
		GraphStatus:        "Provisioned",
		CreatedDateTime:    &now,
		CompletedDateTime:  &now,
		StartDateTime:      &now,
		DeletionPolicy:     v1.DeletionPolicyCancel,
		ObservedGeneration: o.Generation,
	}
	active := metav1.ConditionTrue
	reason, msg := v1.ReasonProvisioned, fmt.Sprintf("Graph request %s is Provisioned: the access is live", reqID)
	if future {
		active = metav1.ConditionFalse
		start, _ := o.Spec.Schedule.StartDateTime.Get()
		st.GraphStatus, st.StartDateTime = "Granted", &metav1.Time{Time: start}
		reason, msg = v1.ReasonNotStarted, fmt.Sprintf("Graph request %s is Granted; the access starts at %s", reqID, st.StartDateTime.UTC().Format(time.RFC3339))
	}
	end := metav1.NewTime(st.StartDateTime.Add(8 * time.Hour))
	st.EndDateTime = &end
	set := func(t string, s metav1.ConditionStatus, r, m string) {
		st.Conditions = append(st.Conditions, metav1.Condition{Type: t, Status: s, Reason: r, Message: m,
			ObservedGeneration: o.Generation, LastTransitionTime: now})
	}
	set(v1.ConditionSubmitted, metav1.ConditionTrue, v1.ReasonCreated, fmt.Sprintf("Graph request %s, created by this object", reqID))
	set(v1.ConditionActive, active, reason, msg)
	set(v1.ConditionReady, metav1.ConditionTrue, reason, msg)
	return st
}

// endedStatus turns a settled status into the ended one the operator writes after a cancel
// (future start) or an adminRemove (live access).
func endedStatus(st *v1.RequestStatus, generation int64, future bool) {
	now := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	reason, msg := v1.ReasonCancelSucceeded, "Graph returned 204 No Content"
	if future {
		st.GraphStatus = "Canceled"
	} else {
		st.RemovalRequestID, st.RemovalStatus = guid(0x7e000000, int(now.Unix()%1e6)), "Revoked"
		reason, msg = v1.ReasonRemoved, fmt.Sprintf("adminRemove request %s is Revoked: the assignment was removed", st.RemovalRequestID)
	}
	st.ObservedGeneration = generation
	var kept []metav1.Condition
	for _, c := range st.Conditions {
		if c.Type == v1.ConditionSubmitted {
			c.ObservedGeneration = generation
			kept = append(kept, c)
		}
	}
	st.Conditions = append(kept,
		metav1.Condition{Type: v1.ConditionActive, Status: metav1.ConditionFalse, Reason: reason, Message: msg, ObservedGeneration: generation, LastTransitionTime: now},
		metav1.Condition{Type: v1.ConditionCancelled, Status: metav1.ConditionTrue, Reason: reason, Message: msg, ObservedGeneration: generation, LastTransitionTime: now},
		metav1.Condition{Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: reason, Message: msg, ObservedGeneration: generation, LastTransitionTime: now},
	)
}
