package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconciler reconciles PIMAssignmentRequest objects with Microsoft Graph: it reads, decides
// (decide, a pure function of DESIGN §4) and takes at most one Graph write per reconcile.
type Reconciler struct {
	client.Client
	// Graph is the PIM client; main wraps it in the shared write limiter.
	Graph pim.Client
	// Recorder emits events.k8s.io events (mgr.GetEventRecorder).
	Recorder events.EventRecorder
	Options  Options
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxConcurrentReconciles is the number of workers; 0 means 1.
	MaxConcurrentReconciles int
	// SkipNameValidation allows several managers with this controller in one process (tests).
	SkipNameValidation bool
	// PolicyMode is --policy-mode; the zero value enforces the PIMAccessPolicies.
	PolicyMode PolicyMode
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager registers the controller. Status-only updates (the operator's own patches)
// do not trigger a reconcile; see changePredicate. When policies are enforced it also watches
// PIMAccessPolicies (spec changes, creation, deletion) and the labels of namespaces (metadata
// only), and reconciles the objects whose verdict changed; with --policy-mode=disabled it
// neither reads nor watches them.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Options = r.Options.withDefaults()
	opts := controller.Options{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1)}
	if r.SkipNameValidation {
		skip := true
		opts.SkipNameValidation = &skip
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1.PIMAssignmentRequest{}, builder.WithPredicates(changePredicate())).
		Named("pimassignmentrequest").
		WithOptions(opts)
	if r.PolicyMode.enforces() {
		b = b.Watches(&v1.PIMAccessPolicy{}, handler.EnqueueRequestsFromMapFunc(r.requestsForPolicy),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
			WatchesMetadata(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.requestsForNamespace),
				builder.WithPredicates(namespaceLabelsChanged()))
	}
	return b.Complete(r)
}

// Reconcile follows Cluster API's shape: fetch; add the finalizer and return; one deferred
// status patch; then the delete path or the normal path.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	obj := &v1.PIMAssignmentRequest{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	deleting := !obj.DeletionTimestamp.IsZero()
	if !controllerutil.ContainsFinalizer(obj, v1.Finalizer) {
		if deleting {
			return ctrl.Result{}, nil
		}
		// Before the first Graph call, and alone: the update's watch event brings the next
		// reconcile (changePredicate passes finalizer changes). A patch of metadata, not an
		// Update: re-encoding the typed spec would rewrite what the user wrote ("8h" → "8h0m0s").
		base := obj.DeepCopy()
		controllerutil.AddFinalizer(obj, v1.Finalizer)
		return ctrl.Result{}, r.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	}

	before := obj.Status.DeepCopy()
	defer func() {
		if deleting && len(obj.Finalizers) == 0 {
			// The last finalizer is gone: the API server deletes the object, status and all,
			// and a patch would only 404. Another finalizer keeps it, and then the status counts.
			return
		}
		if err := r.patchStatus(ctx, obj, before); err != nil {
			res, retErr = ctrl.Result{}, err
		}
	}()
	if deleting {
		return r.reconcileDelete(ctx, obj)
	}
	return r.reconcileNormal(ctx, obj)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, obj *v1.PIMAssignmentRequest) (ctrl.Result, error) {
	d := r.run(ctx, obj)
	return ctrl.Result{RequeueAfter: d.After}, d.Err
}

// reconcileDelete ends the request when the effective policy is Cancel (the same table, right
// column), then lets the object go; with Orphan it lets it go without any Graph write.
func (r *Reconciler) reconcileDelete(ctx context.Context, obj *v1.PIMAssignmentRequest) (ctrl.Result, error) {
	d := r.run(ctx, obj)
	if d.Step != stepFinish {
		return ctrl.Result{RequeueAfter: d.After}, d.Err
	}
	base := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, v1.Finalizer)
	patch := client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})
	if err := r.Patch(ctx, obj.DeepCopy(), patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}

// effectivePolicy is spec.deletionPolicy, else Cancel for a created request and Orphan for an
// adopted one.
func effectivePolicy(obj *v1.PIMAssignmentRequest) v1.DeletionPolicy {
	switch {
	case obj.Spec.DeletionPolicy != "":
		return obj.Spec.DeletionPolicy
	case obj.Spec.RequestID != "":
		return v1.DeletionPolicyOrphan
	}
	return v1.DeletionPolicyCancel
}

// graphView is what Graph told this reconcile beyond what the status records.
type graphView struct {
	gone           bool
	searched       bool
	matches        []pim.Request
	outcome        outcome
	liveScheduleID string
	reread         bool
	// scheduleRead: the schedule was read in place of a purged request.
	scheduleRead bool
	// scheduleGone: the schedule of an active assignment is gone (checkSchedule).
	scheduleGone bool
}

func (r *Reconciler) observation(obj *v1.PIMAssignmentRequest, g *graphView) observation {
	o := observation{
		Now:            r.now(),
		Adopted:        obj.Spec.RequestID != "",
		Cancelled:      obj.Spec.Cancelled,
		Deleting:       !obj.DeletionTimestamp.IsZero(),
		Policy:         obj.Status.DeletionPolicy,
		Status:         obj.Status,
		Gone:           g.gone,
		Searched:       g.searched,
		Matches:        g.matches,
		Outcome:        g.outcome,
		LiveScheduleID: g.liveScheduleID,
		ScheduleGone:   g.scheduleGone,
	}
	if v, ok := obj.Annotations[v1.AnnotationCreatePending]; ok {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			o.CreatePending = &t
		} else {
			// Unreadable: still a marker. Treat it as just written so the settle period applies.
			now := o.Now
			o.CreatePending = &now
		}
	}
	return o
}

// run observes, decides and acts until the decision is to wait or to finish, with at most one
// successful Graph write, and records the final decision.
func (r *Reconciler) run(ctx context.Context, obj *v1.PIMAssignmentRequest) decision {
	obj.Status.DeletionPolicy = effectivePolicy(obj)
	if obj.Spec.RequestID != "" && obj.Status.RequestID == "" {
		obj.Status.RequestID = obj.Spec.RequestID
	}
	g := &graphView{}
	o := r.observation(obj, g)
	if err := r.observe(ctx, obj, g, whatToRead(o)); err != nil {
		return r.fail(ctx, obj, decision{}, "observe", err)
	}
	// The guard rails, from the cache; nothing is read with --policy-mode=disabled.
	in, err := r.readPolicyInputs(ctx, obj)
	if err != nil {
		return r.fail(ctx, obj, decision{}, "read the PIMAccessPolicies", err)
	}
	done := map[step]bool{}
	wrote, counted := false, false
	for {
		o = r.observation(obj, g)
		o.Verdict = in.verdict(obj)
		d := decide(o, r.Options)
		if done[d.Step] || (wrote && d.Step.mutates()) {
			// Never the same step twice, nor a second write, in one reconcile: look again soon.
			d.Step, d.After, d.Gate = stepPoll, r.Options.PollInterval, ""
		}
		if d.Gate != "" && !counted {
			policyDecisions.WithLabelValues(d.Gate).Inc()
			counted = true
		}
		var act func(context.Context, *v1.PIMAssignmentRequest, *graphView) error
		switch d.Step {
		case stepFind:
			act = r.find
		case stepCreate:
			act = r.create
		case stepCancel:
			act = r.cancel
		case stepRemove:
			act = r.remove
		}
		if act == nil {
			r.record(ctx, obj, d, actionName(d.Step))
			return d
		}
		done[d.Step] = true
		if err := act(ctx, obj, g); err != nil {
			return r.fail(ctx, obj, d, string(d.Step), err)
		}
		wrote = wrote || d.Step.mutates()
	}
}

func (r *Reconciler) fail(ctx context.Context, obj *v1.PIMAssignmentRequest, pre decision, op string, err error) decision {
	d := failed(pre, op, err, r.observation(obj, &graphView{}), r.Options)
	r.record(ctx, obj, d, actionName(pre.Step))
	return d
}

func actionName(s step) string {
	switch s {
	case stepCreate:
		return "Create"
	case stepFind:
		return "Find"
	case stepCancel:
		return "Cancel"
	case stepRemove:
		return "Remove"
	case stepFinish:
		return "Finish"
	}
	return "Observe"
}

// statusPatchAttempts is how often the deferred status patch is tried: a requestId just
// recorded must not be lost to one failed write (find-before-post covers the rest).
const statusPatchAttempts = 3

// patchStatus writes the status once, as a merge patch from the snapshot taken at the start
// of the reconcile, and not at all when nothing changed.
func (r *Reconciler) patchStatus(ctx context.Context, obj *v1.PIMAssignmentRequest, before *v1.PIMAssignmentRequestStatus) error {
	if equality.Semantic.DeepEqual(*before, obj.Status) {
		return nil
	}
	meta := metav1.ObjectMeta{Name: obj.Name, Namespace: obj.Namespace}
	base := &v1.PIMAssignmentRequest{ObjectMeta: meta, Status: *before}
	var err error
	for attempt := range statusPatchAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		cur := &v1.PIMAssignmentRequest{ObjectMeta: meta, Status: *obj.Status.DeepCopy()}
		err = r.Status().Patch(ctx, cur, client.MergeFrom(base))
		if err == nil || apierrors.IsNotFound(err) {
			return nil
		}
	}
	return err
}
