package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// Adopting a request (spec.requestId) needs a policy that allows its group and access, which
// only Graph can tell. A namespace that some policy selects may cost one read to find out; when
// no policy allows it, nothing Graph said is written into the status (it would tell the
// namespace about someone else's request), and the denial is remembered until the object, a
// policy or a namespace's labels change, so that poking the object cannot make the operator
// read Graph again and again.

// adoptionDenial is a remembered denial of an adoption.
type adoptionDenial struct {
	generation int64
	epoch      uint64
	outcome    string
}

// v1RequestStatusFor is the status an adopted object starts from when its status names another
// request than its spec: the spec's request, nothing Graph said about the other one.
func v1RequestStatusFor(spec *v1.RequestSpec, st *v1.RequestStatus) v1.RequestStatus {
	return v1.RequestStatus{RequestID: spec.RequestID, DeletionPolicy: st.DeletionPolicy,
		Failures: st.Failures, ObservedGeneration: st.ObservedGeneration, Conditions: st.Conditions}
}

// adopting: obj adopts a request and has not been permitted to yet.
func adopting(obj Object) bool {
	return obj.GetRequestSpec().RequestID != "" && !isTrue(*obj.GetRequestStatus(), v1.ConditionSubmitted)
}

// denyAdoption judges an adoption by what Graph just reported of the request; when no policy
// allows it, it puts the status back as it was before the read and remembers the denial.
func (r *Reconciler) denyAdoption(obj Object, in *guardInputs, before *v1.RequestStatus) bool {
	if in == nil || !adopting(obj) || obj.GetRequestStatus().GroupID == "" {
		return false
	}
	v := in.verdict(r.kind, obj)
	if v.Permitted {
		r.denials.Delete(obj.GetUID())
		return false
	}
	*obj.GetRequestStatus() = *before
	r.denials.Store(obj.GetUID(), adoptionDenial{generation: obj.GetGeneration(), epoch: r.policyEpoch.Load(), outcome: v.Outcome})
	return true
}

// adoptionDenied: an adoption of obj was denied, and neither obj nor any policy or namespace
// changed since.
func (r *Reconciler) adoptionDenied(obj Object) bool {
	d, ok := r.denial(obj.GetUID())
	return ok && adopting(obj) && d.generation == obj.GetGeneration() && d.epoch == r.policyEpoch.Load()
}

func (r *Reconciler) denial(uid types.UID) (adoptionDenial, bool) {
	v, ok := r.denials.Load(uid)
	if !ok {
		return adoptionDenial{}, false
	}
	return v.(adoptionDenial), true
}

// adoptionDeniedVerdict is the verdict of a denied adoption, worded without what Graph said.
func (r *Reconciler) adoptionDeniedVerdict(obj Object) *verdict {
	d, _ := r.denial(obj.GetUID())
	return &verdict{Outcome: d.outcome, Message: fmt.Sprintf(
		"no PIMAccessPolicy selecting namespace %q allows the group and access of request %s",
		obj.GetNamespace(), obj.GetRequestSpec().RequestID)}
}
