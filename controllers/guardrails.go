package controllers

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/policy"
)

// The guard rails' inputs, read from the manager's cache: the PIMAccessPolicies and the labels
// of namespaces; and the watches that bring an object back when its verdict changes.

// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimaccesspolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// guardInputs are the policies and the namespace an object is judged by, read from the cache
// once per reconcile. nil when policies are not enforced.
type guardInputs struct {
	policies []v1.PIMAccessPolicy
	ns       policy.Namespace
	// nsMissing: the namespace is not in the cache (deleted, or being deleted). Its labels are
	// unknown, so it is denied: judging it as unlabelled would let NotIn and DoesNotExist
	// selectors match it.
	nsMissing bool
}

// verdict judges obj, of kind k; nil inputs (--policy-mode=disabled) give no verdict.
func (in *guardInputs) verdict(k *Kind, obj Object) *verdict {
	if in == nil {
		return nil
	}
	if in.nsMissing {
		return &verdict{Outcome: OutcomeDeniedNamespace,
			Message: fmt.Sprintf("namespace %q is not in the operator's cache (deleted, or being deleted)", in.ns.Name)}
	}
	return evaluate(k, in.policies, in.ns, obj.GetRequestSpec(), obj.GetRequestStatus(), obj.GetCreationTimestamp().Time)
}

// selected: some policy selects the namespace; false with --policy-mode=disabled.
func (in *guardInputs) selected() bool {
	if in == nil {
		return false
	}
	for i := range in.policies {
		if policy.Selects(&in.policies[i], in.ns) {
			return true
		}
	}
	return false
}

// readGuardInputs reads the policies and obj's namespace; nothing with --policy-mode=disabled.
func (r *Reconciler) readGuardInputs(ctx context.Context, obj Object) (*guardInputs, error) {
	if !r.cfg.PolicyMode.enforces() {
		return nil, nil
	}
	policies, err := r.listPolicies(ctx)
	if err != nil {
		return nil, err
	}
	ns, missing, err := r.namespace(ctx, obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	return &guardInputs{policies: policies, ns: ns, nsMissing: missing}, nil
}

// listPolicies reads every PIMAccessPolicy from the cache, without copying: evaluation only reads.
func (r *Reconciler) listPolicies(ctx context.Context) ([]v1.PIMAccessPolicy, error) {
	var list v1.PIMAccessPolicyList
	if err := r.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing PIMAccessPolicies: %w", err)
	}
	return list.Items, nil
}

var namespaceGVK = corev1.SchemeGroupVersion.WithKind("Namespace")

// namespace reads a namespace's labels from the metadata-only cache; missing is true when the
// cache does not hold it.
func (r *Reconciler) namespace(ctx context.Context, name string) (ns policy.Namespace, missing bool, err error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(namespaceGVK)
	if err := r.Get(ctx, types.NamespacedName{Name: name}, m); err != nil {
		if apierrors.IsNotFound(err) {
			return policy.Namespace{Name: name}, true, nil
		}
		return policy.Namespace{}, false, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	return policy.Namespace{Name: name, Labels: m.Labels}, false, nil
}

// listObjects reads the kind's objects from the cache, without copying.
func (r *Reconciler) listObjects(ctx context.Context, opts ...client.ListOption) ([]Object, error) {
	list := r.kind.NewList()
	if err := r.List(ctx, list, append(opts, client.UnsafeDisableDeepCopy)...); err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(items))
	for _, it := range items {
		if o, ok := it.(Object); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// stale says whether obj's recorded Permitted condition differs from what the policies say now.
// An adoption not yet permitted is always stale: only Graph can tell whether a policy allows it.
func stale(k *Kind, obj Object, in *guardInputs) bool {
	if adopting(obj) {
		return true
	}
	want := permittedCond(in.verdict(k, obj))
	if want == nil {
		return false
	}
	have := meta.FindStatusCondition(obj.GetRequestStatus().Conditions, v1.ConditionPermitted)
	return have == nil || have.Status != want.Status || have.Message != want.Message
}

// requestsForPolicy maps a policy event (created, changed — called for the old and the new
// version — or deleted) to the objects in the namespaces that policy selects whose verdict is
// no longer the one recorded. Only those are reconciled: an object not yet submitted is
// evaluated again (and submitted when now permitted), a submitted one updates Permitted.
// Objects whose verdict did not change cost nothing, Graph reads included.
func (r *Reconciler) requestsForPolicy(ctx context.Context, o client.Object) []reconcile.Request {
	p, ok := o.(*v1.PIMAccessPolicy)
	if !ok {
		return nil
	}
	r.policyEpoch.Add(1)
	log := logf.FromContext(ctx).WithValues("pimAccessPolicy", p.Name)
	policies, err := r.listPolicies(ctx)
	if err != nil {
		log.Error(err, "mapping a policy change to requests")
		return nil
	}
	all, err := r.listObjects(ctx)
	if err != nil {
		log.Error(err, "mapping a policy change to requests")
		return nil
	}
	namespaces := map[string]*guardInputs{} // nil: not selected by p
	var out []reconcile.Request
	for _, obj := range all {
		in, seen := namespaces[obj.GetNamespace()]
		if !seen {
			ns, missing, err := r.namespace(ctx, obj.GetNamespace())
			if err != nil {
				log.Error(err, "mapping a policy change to requests")
				return nil
			}
			if policy.Selects(p, ns) {
				in = &guardInputs{policies: policies, ns: ns, nsMissing: missing}
			}
			namespaces[obj.GetNamespace()] = in
		}
		if in != nil && stale(r.kind, obj, in) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
		}
	}
	if len(out) > 0 {
		log.V(1).Info("policy changed: evaluating requests again", "kind", r.kind.Name, "requests", len(out))
	}
	return out
}

// requestsForNamespace maps a namespace whose labels changed to its objects whose verdict is
// no longer the one recorded.
func (r *Reconciler) requestsForNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	r.policyEpoch.Add(1)
	log := logf.FromContext(ctx).WithValues("namespace", o.GetName())
	objs, err := r.listObjects(ctx, client.InNamespace(o.GetName()))
	if err != nil {
		// A namespace outside --watch-namespaces has no objects here.
		log.V(1).Info("not mapping a namespace change", "reason", err.Error())
		return nil
	}
	if len(objs) == 0 {
		return nil
	}
	in, err := r.readGuardInputs(ctx, objs[0])
	if err != nil || in == nil {
		if err != nil {
			log.Error(err, "mapping a namespace change to requests")
		}
		return nil
	}
	var out []reconcile.Request
	for _, obj := range objs {
		if stale(r.kind, obj, in) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
		}
	}
	return out
}

// namespaceLabelsChanged passes namespace updates that change labels. A new namespace holds no
// requests yet, and a deleted one takes its requests with it.
func namespaceLabelsChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld == nil || e.ObjectNew == nil ||
				!maps.Equal(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels())
		},
	}
}
