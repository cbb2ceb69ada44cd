package controllers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/policy"
)

// The guard rails as a pure function: what the PIMAccessPolicies say about an object (verdict),
// which decisions need their permission, and the decision that replaces a step they do not
// permit. Reading the policies and namespaces from the cache is guardrails.go's business.

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

// evaluate asks the policies about an object of kind k: a policy grants each kind (active
// assignment, eligibility) separately. A created object is judged by its spec; an
// afterDateTime expiration without a start, and a start delay, are measured from the object's
// creation, so the verdict does not drift with the clock. An adopted object is judged by the
// group, principal and access Graph reports for its request (status.groupId,
// status.principalId, status.accessId).
func evaluate(k *Kind, policies []v1.PIMAccessPolicy, ns policy.Namespace, spec *v1.RequestSpec, st *v1.RequestStatus, created time.Time) *verdict {
	var d policy.Decision
	if spec.RequestID != "" {
		if st.GroupID == "" {
			return &verdict{Unknown: true, Outcome: OutcomeDeniedGroup,
				Message: fmt.Sprintf("Graph has not reported the group and access of request %s", spec.RequestID)}
		}
		d = policy.EvaluateAdopt(policies, ns, policy.Adoption{
			Kind: k.Graph, GroupID: st.GroupID, PrincipalID: st.PrincipalID, AccessID: st.AccessID})
	} else {
		d = policy.Evaluate(policies, ns, policy.RequestFromSpec(k.Graph, spec), created)
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
	case d.Step == stepCreate && o.CreatePendingSealed:
		// An earlier create may have reached Graph (its answer was lost, and Graph's list did not
		// show it within the settle period): never claim nothing was sent.
		msg = fmt.Sprintf("not permitted to create again: %s; an earlier create of this object may have reached "+
			"Graph and was not found by its marker", v.Message)
		set = []metav1.Condition{
			cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotPermitted, msg),
			o.live(metav1.ConditionFalse, v1.ReasonNotPermitted, "not submitted again: not permitted"),
		}
	case d.Step == stepCreate:
		msg = fmt.Sprintf("not permitted: %s; nothing was sent to Graph", v.Message)
		set = []metav1.Condition{
			cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotPermitted, "no Graph request was made for this object: it is not permitted"),
			o.live(metav1.ConditionFalse, v1.ReasonNotPermitted, "not submitted: not permitted"),
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
		set = []metav1.Condition{o.submitted()}
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
