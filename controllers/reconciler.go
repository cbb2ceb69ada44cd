package controllers

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/grouppolicy"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// The manager only patches: the finalizer and the create-pending annotation as merge patches of
// metadata, the status through /status. No update (a typed Update would rewrite the user's
// spec), and no /finalizers (it sets no ownerReferences, the only thing that subresource guards).
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests;pimeligibilityrequests,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests/status;pimeligibilityrequests/status,verbs=patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconciler reconciles the objects of one kind with Microsoft Graph: it reads, decides
// (decide, a pure function of DESIGN §4) and takes at most one Graph write per reconcile.
type Reconciler struct {
	client.Client
	kind     *Kind
	graph    pim.Client
	recorder events.EventRecorder
	cfg      Config
	seals    sealer
	// groupPolicies checks a create against the group's own PIM policy; nil when the check is off.
	groupPolicies *grouppolicy.Cache
	// denials remembers denied adoptions (adoption.go); policyEpoch counts the policy and
	// namespace changes that may end them.
	denials     sync.Map
	policyEpoch atomic.Uint64
	// startup spreads the first Graph reads after the controller starts (startup.go).
	startup *startupSpread
}

func (r *Reconciler) now() time.Time {
	if r.cfg.Now != nil {
		return r.cfg.Now()
	}
	return time.Now()
}

// setup registers the kind's controller. Status-only updates (the operator's own patches) do
// not trigger a reconcile; see changePredicate. When policies are enforced it also watches
// PIMAccessPolicies (spec changes, creation, deletion) and the labels of namespaces (metadata
// only), and reconciles the objects whose verdict changed; with --policy-mode=disabled it
// neither reads nor watches them.
func (r *Reconciler) setup(mgr ctrl.Manager) error {
	opts := controller.Options{MaxConcurrentReconciles: r.cfg.MaxConcurrentReconciles}
	if r.cfg.SkipNameValidation {
		skip := true
		opts.SkipNameValidation = &skip
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(r.kind.New(), builder.WithPredicates(changePredicate())).
		Named(strings.ToLower(r.kind.Name)).
		WithOptions(opts)
	if r.cfg.PolicyMode.enforces() {
		b = b.Watches(&v1.PIMAccessPolicy{}, handler.EnqueueRequestsFromMapFunc(r.requestsForPolicy),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
			WatchesMetadata(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.requestsForNamespace),
				builder.WithPredicates(namespaceLabelsChanged()))
	}
	return b.Complete(r)
}

// Reconcile follows Cluster API's shape: fetch; add the finalizer and return; run the table;
// one status patch; then, on the delete path, let the object go.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := r.kind.New()
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	deleting := !obj.GetDeletionTimestamp().IsZero()
	if !controllerutil.ContainsFinalizer(obj, v1.Finalizer) {
		if deleting {
			return ctrl.Result{}, nil
		}
		// Before the first Graph call, and alone: the update's watch event brings the next
		// reconcile (changePredicate passes finalizer changes). A patch of metadata, not an
		// Update: re-encoding the typed spec would rewrite what the user wrote ("8h" → "8h0m0s").
		base := obj.DeepCopyObject().(Object)
		controllerutil.AddFinalizer(obj, v1.Finalizer)
		return ctrl.Result{}, r.Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	}

	// The delete path and the normal path are the same table (decide's right and left
	// columns); the delete path then lets the object go.
	before, versionAtStart := obj.GetRequestStatus().DeepCopy(), obj.GetResourceVersion()
	d := r.run(ctx, obj)
	// The status first, once: it records the outcome (a cancel's 204, the removal request)
	// before the finalizer goes and before any event announces it, so neither a failed
	// finalizer patch nor a failed status patch can lose it, and a transition is announced once.
	if err := r.patchStatus(ctx, obj, before); err != nil {
		return ctrl.Result{}, err
	}
	r.emit(obj, d.events)
	err := d.Err
	if deleting && d.Step == stepFinish {
		err = r.removeFinalizer(ctx, obj)
	}
	if err != nil && obj.GetResourceVersion() != versionAtStart {
		r.awaitOwnWrite(ctx, obj)
	}
	if deleting && d.Step == stepFinish {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: d.After}, err
}

// awaitOwnWrite waits, briefly, until the cache holds what this reconcile wrote. An error
// requeues at once, and a reconcile that started from the cache's older copy would decide
// again from a status without this one's outcome: a cancel's 204 would read as "Graph request
// is Canceled already". A write of someone else's in between only makes it wait its limit.
func (r *Reconciler) awaitOwnWrite(ctx context.Context, obj Object) {
	key, want := client.ObjectKeyFromObject(obj), obj.GetResourceVersion()
	for range 40 {
		cur := r.kind.New()
		if err := r.Get(ctx, key, cur); err != nil || cur.GetResourceVersion() == want {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// removeFinalizer lets a deleted object go; with effective policy Orphan nothing was written to
// Graph, with Cancel its request has been ended.
func (r *Reconciler) removeFinalizer(ctx context.Context, obj Object) error {
	base := obj.DeepCopyObject().(Object)
	controllerutil.RemoveFinalizer(obj, v1.Finalizer)
	patch := client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})
	return client.IgnoreNotFound(r.Patch(ctx, obj, patch))
}

// StatusPatchAttempts is how often the deferred status patch is tried: a requestId just
// recorded must not be lost to one failed write (find-before-post covers the rest).
const StatusPatchAttempts = 3

// patchStatus writes the status once, as a merge patch from the snapshot taken at the start
// of the reconcile, and not at all when nothing changed.
func (r *Reconciler) patchStatus(ctx context.Context, obj Object, before *v1.RequestStatus) error {
	if equality.Semantic.DeepEqual(*before, *obj.GetRequestStatus()) {
		return nil
	}
	statusOnly := func(st *v1.RequestStatus) Object {
		o := r.kind.New()
		o.SetName(obj.GetName())
		o.SetNamespace(obj.GetNamespace())
		*o.GetRequestStatus() = *st.DeepCopy()
		return o
	}
	base := statusOnly(before)
	var err error
	for attempt := range StatusPatchAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		cur := statusOnly(obj.GetRequestStatus())
		err = r.Status().Patch(ctx, cur, client.MergeFrom(base))
		if err == nil {
			// A finalizer patch that follows carries the resourceVersion of this write.
			obj.SetResourceVersion(cur.GetResourceVersion())
			return nil
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
	}
	return err
}
