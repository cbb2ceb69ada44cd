package controllers

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// The trust rules that come before any Graph call (DESIGN §4b): what the operator may read or
// write at all for an object, whatever the table of Graph states says.

// mayCallGraph: the operator may call Graph for this object — the guard rails are off, or a
// policy permits the object, or the object has something proven of its own in Graph (a sealed
// status, a create-pending marker the operator wrote: ending what the operator created, or
// may have created, needs no policy). An adoption may read its request when some policy
// selects the namespace, to learn whether one allows the request's group.
func mayCallGraph(o observation) bool {
	v := o.Verdict
	switch {
	case v == nil, o.Sealed, o.CreatePendingSealed, v.Permitted:
		return true
	case o.Adopted && v.Unknown:
		return o.NamespaceSelected
	}
	return false
}

// needsGraph: the step calls Graph now or makes the next reconcile read it.
func (s step) needsGraph() bool {
	return s.mutates() || s == stepFind || s == stepPoll
}

// gate replaces a step that needs Graph, for an object that may not call it, with
// Stalled/NotPermitted; nothing is sent, and nothing is retried until a policy, the namespace
// or the object changes.
func gate(o observation, d decision) decision {
	if mayCallGraph(o) || !d.Step.needsGraph() {
		if (d.Step == stepCancel || d.Step == stepRemove) && !o.owned() {
			return unproven(o)
		}
		return d
	}
	v := o.Verdict
	var msg string
	var set []metav1.Condition
	if o.Status.RequestID == "" {
		msg = fmt.Sprintf("not permitted: %s; nothing was sent to Graph", v.Message)
		set = []metav1.Condition{cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotPermitted, msg)}
	} else {
		msg = fmt.Sprintf("not permitted: %s; the status names Graph request %s, but nothing shows it is this "+
			"object's (the operator did not record it), so it is neither read nor ended", v.Message, o.Status.RequestID)
	}
	if o.wantEnded() {
		set = append(set, cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonNotPermitted, msg))
	}
	if c := permittedCond(v); c != nil {
		set = append(set, *c)
	}
	if o.Deleting {
		msg += "; to let the object go, set spec.deletionPolicy: Orphan"
	}
	nd := stalled(v1.ReasonNotPermitted, msg, set...)
	nd.Step, nd.After, nd.Gate = stepNone, 0, d.Gate
	return nd
}

// invalidSpec is the decision for a create whose spec holds a value the operator cannot read:
// the API server accepted it before the CRD checked such values. Nothing is sent; the spec is
// fixed after creation, so only a new object moves it on.
func invalidSpec(o observation) decision {
	msg := fmt.Sprintf("the spec cannot be sent to Graph: %s; create a new object with a valid value "+
		"(the API server accepted this one before it checked such values)", o.SpecError)
	return stalled(v1.ReasonInvalidSpec, msg,
		cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonInvalidSpec, msg),
		o.live(metav1.ConditionFalse, v1.ReasonInvalidSpec, "not submitted: the spec cannot be read"),
	).then(stepNone, 0)
}

// unproven is the decision for an ending that would write to Graph for a request nothing shows
// is this object's: Graph did not show it in this reconcile, and the status carries no seal.
func unproven(o observation) decision {
	msg := fmt.Sprintf("Graph request %s is not shown to be this object's (Graph did not show it in this read, "+
		"and the status does not carry the operator's seal): it is not ended", o.Status.RequestID)
	return stalled(v1.ReasonForeignRequest, msg,
		cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonForeignRequest, msg)).then(stepNone, 0)
}
