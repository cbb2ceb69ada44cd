package controllers

import (
	"context"
	"fmt"
	"maps"

	"github.com/go-logr/logr"
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

// +kubebuilder:rbac:groups=access.pim-operator.dev,resources=pimaccesspolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// PolicyMode is --policy-mode: whether the reconciler asks the PIMAccessPolicies before it
// writes to Graph. The zero value enforces (access is denied by default).
type PolicyMode string

// The values of --policy-mode.
const (
	// PolicyModeEnforce: a Graph write happens only when a PIMAccessPolicy permits it.
	PolicyModeEnforce PolicyMode = "enforce"
	// PolicyModeDisabled: no policy is read; Kubernetes RBAC alone decides (single-team clusters).
	PolicyModeDisabled PolicyMode = "disabled"
)

// PolicyModes are the accepted values of --policy-mode, the default first.
func PolicyModes() []PolicyMode { return []PolicyMode{PolicyModeEnforce, PolicyModeDisabled} }

// ParsePolicyMode reads --policy-mode.
func ParsePolicyMode(s string) (PolicyMode, error) {
	for _, m := range PolicyModes() {
		if s == string(m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("invalid --policy-mode %q: must be %s or %s", s, PolicyModeEnforce, PolicyModeDisabled)
}

func (m PolicyMode) enforces() bool { return m != PolicyModeDisabled }

// String is the flag value; the zero value is enforce.
func (m PolicyMode) String() string {
	if m.enforces() {
		return string(PolicyModeEnforce)
	}
	return string(PolicyModeDisabled)
}

// Describe says, for the start-up log, which mode is on and what it means.
func (m PolicyMode) Describe() string {
	if m.enforces() {
		return "--policy-mode=enforce: guard rails are on. A PIMAssignmentRequest is sent to Graph only when a " +
			"PIMAccessPolicy selecting its namespace allows its group, access and schedule; without one it is Stalled " +
			"(NotPermitted) and nothing reaches Graph. Adopting or ending a request made elsewhere (spec.requestId) " +
			"needs a policy allowing that request's group and access. Access is denied by default."
	}
	return "--policy-mode=disabled: guard rails are off. No PIMAccessPolicy is read: whoever Kubernetes RBAC lets " +
		"create a PIMAssignmentRequest can obtain any PIM-for-Groups access the operator's Graph permission reaches. " +
		"Use this only on a single-team cluster that relies on RBAC alone."
}

// LogPolicyMode writes the start-up line for the mode.
func LogPolicyMode(log logr.Logger, m PolicyMode) {
	log.Info(m.Describe(), "policyMode", m.String())
}

// verdict is what the PIMAccessPolicies say about an object.
type verdict struct {
	Permitted bool
	// Outcome is the label of pim_operator_policy_decisions_total.
	Outcome string
	// Message names the permitting policy, or exactly what is missing (internal/policy).
	Message string
	// Unknown: the object's group and access are not known (an adopted request Graph has not
	// reported). Denied; no Permitted condition is written.
	Unknown bool
}

func outcomeOf(d policy.Decision) string {
	switch d.Denial {
	case "":
		return OutcomePermitted
	case policy.DeniedNamespace:
		return OutcomeDeniedNamespace
	case policy.DeniedGroup:
		return OutcomeDeniedGroup
	case policy.DeniedAccess:
		return OutcomeDeniedAccess
	}
	return OutcomeDeniedRules
}

// evaluate asks the policies about obj. A created object is judged by its spec; an afterDateTime
// expiration without a start is measured from the object's creationTimestamp, so the verdict
// does not drift with the clock. An adopted object is judged by the group and access Graph
// reports for its request (status.groupId, status.accessId).
func evaluate(policies []v1.PIMAccessPolicy, ns policy.Namespace, obj *v1.PIMAssignmentRequest) *verdict {
	var d policy.Decision
	if obj.Spec.RequestID != "" {
		if obj.Status.GroupID == "" {
			return &verdict{Unknown: true, Outcome: OutcomeDeniedGroup,
				Message: fmt.Sprintf("Graph has not reported the group and access of request %s", obj.Spec.RequestID)}
		}
		d = policy.EvaluateAdopt(policies, ns, obj.Status.GroupID, obj.Status.AccessID)
	} else {
		d = policy.Evaluate(policies, ns, policy.RequestFromSpec(&obj.Spec), obj.CreationTimestamp.Time)
	}
	return &verdict{Permitted: d.Permitted, Outcome: outcomeOf(d), Message: d.Message}
}

// permittedCond is the Permitted condition for a verdict; nil when the verdict is Unknown.
func permittedCond(v *verdict) *metav1.Condition {
	switch {
	case v == nil || v.Unknown:
		return nil
	case v.Permitted:
		c := cond(v1.ConditionPermitted, metav1.ConditionTrue, v1.ReasonPermitted, v.Message)
		return &c
	}
	c := cond(v1.ConditionPermitted, metav1.ConditionFalse, v1.ReasonNotPermitted, v.Message)
	return &c
}

// needsPermission says whether the decision does something the policies must permit: create a
// request; or, for a request made elsewhere (spec.requestId), adopt it (record it as this
// object's for the first time) or end it. Ending a request this object created, and letting an
// object go, need no permission: ending access is always allowed.
func needsPermission(o observation, d decision) bool {
	switch {
	case d.Step == stepCreate:
		return true
	case !o.Adopted:
		return false
	case d.Step == stepCancel || d.Step == stepRemove:
		return true
	case isTrue(o.Status, v1.ConditionSubmitted):
		return false
	}
	for _, c := range d.Set {
		if c.Type == v1.ConditionSubmitted && c.Status == metav1.ConditionTrue {
			return true
		}
	}
	return false
}

// guard applies the verdict to a decision of the table: a step the policies must permit and
// they do not becomes Stalled/NotPermitted, with no Graph write; every other decision carries
// the Permitted condition. With no verdict (--policy-mode=disabled) Permitted is removed.
func guard(o observation, d decision) decision {
	if d.Notify == nil {
		d.Notify = map[string]string{}
	}
	gated := needsPermission(o, d)
	v := o.Verdict
	if v == nil {
		d.Remove = append(d.Remove, v1.ConditionPermitted)
		if gated {
			d.Gate = OutcomeDisabled
		}
		return d
	}
	if gated {
		d.Gate = v.Outcome
	}
	if gated && !v.Permitted {
		return notPermitted(o, d, v)
	}
	if c := permittedCond(v); c != nil {
		d.Set = append(d.Set, *c)
		if c.Status == metav1.ConditionFalse {
			d.Notify[v1.ConditionPermitted] = "Warning"
		}
	}
	return d
}

// notPermitted is the decision that replaces a step the policies do not permit.
func notPermitted(o observation, d decision, v *verdict) decision {
	st := o.Status
	var msg string
	var set []metav1.Condition
	switch {
	case d.Step == stepCreate:
		msg = fmt.Sprintf("not permitted: %s; nothing was sent to Graph", v.Message)
		set = []metav1.Condition{
			cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotPermitted, "no Graph request was made for this object: it is not permitted"),
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotPermitted, "not submitted: not permitted"),
		}
	case !isTrue(st, v1.ConditionSubmitted):
		msg = fmt.Sprintf("not permitted to adopt Graph request %s: %s; nothing was sent to Graph", st.RequestID, v.Message)
		if o.wantEnded() {
			msg += " and the request was not ended"
		}
		set = []metav1.Condition{cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotPermitted, msg)}
	default:
		msg = fmt.Sprintf("not permitted to end Graph request %s, which was made outside this object: %s; "+
			"the request was left alone", st.RequestID, v.Message)
		set = []metav1.Condition{submitted(o)}
	}
	if o.wantEnded() {
		set = append(set, cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonNotPermitted, msg))
	}
	if o.Deleting {
		msg += "; to let the object go without ending the request, set spec.deletionPolicy: Orphan"
	}
	if c := permittedCond(v); c != nil {
		set = append(set, *c)
	}
	nd := stalled(v1.ReasonNotPermitted, msg, set...)
	// No retry: a policy change, a namespace label change or a spec change brings it back.
	nd.Step, nd.After, nd.Gate = stepNone, 0, d.Gate
	return nd
}

// policyInputs are the policies and the namespace an object is judged by, read from the
// manager's cache once per reconcile. nil when policies are not enforced.
type policyInputs struct {
	policies []v1.PIMAccessPolicy
	ns       policy.Namespace
}

func (in *policyInputs) verdict(obj *v1.PIMAssignmentRequest) *verdict {
	if in == nil {
		return nil
	}
	return evaluate(in.policies, in.ns, obj)
}

// readPolicyInputs reads the policies and obj's namespace; nothing with --policy-mode=disabled.
func (r *Reconciler) readPolicyInputs(ctx context.Context, obj *v1.PIMAssignmentRequest) (*policyInputs, error) {
	if !r.PolicyMode.enforces() {
		return nil, nil
	}
	policies, err := r.listPolicies(ctx)
	if err != nil {
		return nil, err
	}
	ns, err := r.namespace(ctx, obj.Namespace)
	if err != nil {
		return nil, err
	}
	return &policyInputs{policies: policies, ns: ns}, nil
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

// namespace reads a namespace's labels from the metadata-only cache. A namespace that is gone
// is judged by its name alone.
func (r *Reconciler) namespace(ctx context.Context, name string) (policy.Namespace, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(namespaceGVK)
	if err := r.Get(ctx, types.NamespacedName{Name: name}, m); err != nil {
		if apierrors.IsNotFound(err) {
			return policy.Namespace{Name: name}, nil
		}
		return policy.Namespace{}, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	return policy.Namespace{Name: name, Labels: m.Labels}, nil
}

// stale says whether obj's recorded Permitted condition differs from what the policies say now.
func stale(obj *v1.PIMAssignmentRequest, policies []v1.PIMAccessPolicy, ns policy.Namespace) bool {
	want := permittedCond(evaluate(policies, ns, obj))
	if want == nil {
		return false
	}
	have := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionPermitted)
	return have == nil || have.Status != want.Status || have.Message != want.Message
}

// requestsForPolicy maps a policy event (created, changed — called for the old and the new
// version — or deleted) to the PIMAssignmentRequests in the namespaces that policy selects whose
// verdict is no longer the one recorded. Only those are reconciled: an object not yet submitted
// is evaluated again (and submitted when now permitted), a submitted one updates Permitted.
// Objects whose verdict did not change cost nothing, Graph reads included.
func (r *Reconciler) requestsForPolicy(ctx context.Context, o client.Object) []reconcile.Request {
	p, ok := o.(*v1.PIMAccessPolicy)
	if !ok {
		return nil
	}
	log := logf.FromContext(ctx).WithValues("pimAccessPolicy", p.Name)
	policies, err := r.listPolicies(ctx)
	if err != nil {
		log.Error(err, "mapping a policy change to requests")
		return nil
	}
	var all v1.PIMAssignmentRequestList
	if err := r.List(ctx, &all, client.UnsafeDisableDeepCopy); err != nil {
		log.Error(err, "mapping a policy change to requests")
		return nil
	}
	namespaces := map[string]*policy.Namespace{} // nil: not selected by p
	var out []reconcile.Request
	for i := range all.Items {
		obj := &all.Items[i]
		ns, seen := namespaces[obj.Namespace]
		if !seen {
			n, err := r.namespace(ctx, obj.Namespace)
			if err != nil {
				log.Error(err, "mapping a policy change to requests")
				return nil
			}
			if policy.Selects(p, n) {
				ns = &n
			}
			namespaces[obj.Namespace] = ns
		}
		if ns != nil && stale(obj, policies, *ns) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
		}
	}
	if len(out) > 0 {
		log.V(1).Info("policy changed: evaluating requests again", "requests", len(out))
	}
	return out
}

// requestsForNamespace maps a namespace whose labels changed to its PIMAssignmentRequests whose
// verdict is no longer the one recorded.
func (r *Reconciler) requestsForNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	log := logf.FromContext(ctx).WithValues("namespace", o.GetName())
	var list v1.PIMAssignmentRequestList
	if err := r.List(ctx, &list, client.InNamespace(o.GetName()), client.UnsafeDisableDeepCopy); err != nil {
		// A namespace outside --watch-namespaces has no objects here.
		log.V(1).Info("not mapping a namespace change", "reason", err.Error())
		return nil
	}
	if len(list.Items) == 0 {
		return nil
	}
	policies, err := r.listPolicies(ctx)
	if err != nil {
		log.Error(err, "mapping a namespace change to requests")
		return nil
	}
	ns, err := r.namespace(ctx, o.GetName())
	if err != nil {
		log.Error(err, "mapping a namespace change to requests")
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if stale(&list.Items[i], policies, ns) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
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
