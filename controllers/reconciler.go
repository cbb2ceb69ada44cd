package controllers

import (
	"context"
	"strings"
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
	"github.com/pim-operator/pim-operator/internal/pim"
)

// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimassignmentrequests/finalizers,verbs=update
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimeligibilityrequests,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimeligibilityrequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimeligibilityrequests/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconciler reconciles the objects of one kind with Microsoft Graph: it reads, decides
// (decide, a pure function of DESIGN §4) and takes at most one Graph write per reconcile.
type Reconciler struct {
	client.Client
	kind     *Kind
	graph    pim.Client
	recorder events.EventRecorder
	cfg      Config
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

// Reconcile follows Cluster API's shape: fetch; add the finalizer and return; one deferred
// status patch; then the delete path or the normal path.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
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

	before := obj.GetRequestStatus().DeepCopy()
	defer func() {
		if deleting && len(obj.GetFinalizers()) == 0 {
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

func (r *Reconciler) reconcileNormal(ctx context.Context, obj Object) (ctrl.Result, error) {
	d := r.run(ctx, obj)
	return ctrl.Result{RequeueAfter: d.After}, d.Err
}

// reconcileDelete ends the request when the effective policy is Cancel (the same table, right
// column), then lets the object go; with Orphan it lets it go without any Graph write.
func (r *Reconciler) reconcileDelete(ctx context.Context, obj Object) (ctrl.Result, error) {
	d := r.run(ctx, obj)
	if d.Step != stepFinish {
		return ctrl.Result{RequeueAfter: d.After}, d.Err
	}
	base := obj.DeepCopyObject().(Object)
	controllerutil.RemoveFinalizer(obj, v1.Finalizer)
	patch := client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})
	if err := r.Patch(ctx, obj.DeepCopyObject().(Object), patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
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
		err = r.Status().Patch(ctx, statusOnly(obj.GetRequestStatus()), client.MergeFrom(base))
		if err == nil || apierrors.IsNotFound(err) {
			return nil
		}
	}
	return err
}
