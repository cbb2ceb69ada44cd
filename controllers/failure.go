package controllers

import (
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// errDuplicate is RoleAssignmentExists on create when no request carries this object's marker.
type errDuplicate struct {
	err    error
	triple pim.Triple
}

func (e *errDuplicate) Error() string { return e.err.Error() }
func (e *errDuplicate) Unwrap() error { return e.err }

// unauthenticatedMessage is all a namespace learns of an authentication failure.
const unauthenticatedMessage = "the operator could not authenticate to Microsoft Graph; see the operator's log"

// permissionHint says which permission the kind needs, and what no application can satisfy.
func permissionHint(k *Kind) string {
	return "; the operator's identity needs the Graph application permission " + k.Permission +
		" (admin-consented), and an application cannot satisfy a PIM policy that requires multifactor " +
		"authentication on " + k.Noun
}

// failed is the decision for a failed step (or read): it keeps the conditions the step's own
// decision set for Submitted, the live condition, Cancelled and Permitted, and says why in
// Ready, Reconciling or Stalled. Throttling and Graph's minimum active age become a
// RequeueAfter; user-fixable failures stall with a growing backoff; anything else is transient
// and goes back to controller-runtime's rate limiter as an error.
func failed(pre decision, op string, err error, o observation, opt Options) decision {
	var base []metav1.Condition
	for _, c := range pre.Set {
		switch c.Type {
		case v1.ConditionSubmitted, o.Kind.LiveCondition, v1.ConditionCancelled, v1.ConditionPermitted:
			base = append(base, c)
		}
	}
	st := o.Status
	e := pim.AsError(err)
	msg := err.Error()
	var d decision
	var dup *errDuplicate
	var gp *errGroupPolicy
	switch cls := pim.ClassOf(err); {
	case errors.As(err, &gp):
		// The spec is fixed; the group's policy may change: look again with a growing backoff.
		msg = "the group's PIM policy would refuse this request, so it was not sent: " + msg
		d = stalled(v1.ReasonGroupPolicyViolation, msg, base...).withFailure(opt, st.Failures)
	case errors.As(err, &dup):
		msg = fmt.Sprintf("the triple (principal %s, group %s, %s) already has %s and no request carries this "+
			"object's marker: another object or person owns it; delete this object (the other %s is left "+
			"alone) or end the other one first: %s", dup.triple.PrincipalID, dup.triple.GroupID, dup.triple.AccessID,
			articled(o.Kind.Noun), o.Kind.Noun, msg)
		d = stalled(v1.ReasonDuplicateAssignment, msg, base...).withFailure(opt, st.Failures)
	case cls == pim.ClassThrottled:
		wait := pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now)
		if e != nil {
			wait = max(wait, e.RetryAfter)
		}
		d = progressing(v1.ReasonThrottled, fmt.Sprintf("Graph throttled %s; trying again in %s: %s", op, wait.Round(time.Second), msg), base...)
		d.After = wait
	case e != nil && e.Code == pim.CodeActiveDurationTooShort:
		d = progressing(v1.ReasonRemoving, fmt.Sprintf("Graph removes %s only after it has been in force for a minimum "+
			"time (ActiveDurationTooShort): %s: %s", articled(o.Kind.Noun), minAgeRetry(o, opt), msg), base...)
		d.After = minAgeWait(o, opt)
	case cls == pim.ClassUserFixable || cls == pim.ClassAssignmentExists:
		d = stalled(v1.ReasonGraphRejected, msg, base...).withFailure(opt, st.Failures)
	case cls == pim.ClassForbidden:
		d = stalled(v1.ReasonForbidden, msg+permissionHint(o.Kind), base...).withFailure(opt, st.Failures)
	case cls == pim.ClassUnauthenticated:
		// What azidentity says can name tenants, files and endpoints: the log gets it, the
		// namespace a fixed sentence.
		d = stalled(v1.ReasonUnauthenticated, unauthenticatedMessage, base...).withFailure(opt, st.Failures)
		d.LogDetail = msg
	case cls == pim.ClassNotCancellable:
		// Graph refused the cancel twice though the request still looks cancellable: look again
		// later, not in the rate limiter's milliseconds.
		d = progressing(v1.ReasonCancelling, fmt.Sprintf("Graph refused to cancel the request and it still looks "+
			"cancellable; looking again: %s", msg), base...)
		d.After = pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now)
	case e == nil:
		// Not a Graph failure: the API server (a conflict on the create-pending annotation).
		d = progressing(v1.ReasonProgressing, fmt.Sprintf("%s: %s; trying again", op, msg), base...)
		d.Err = err
	default:
		d = progressing(v1.ReasonGraphUnavailable, fmt.Sprintf("Graph %s failed, trying again with backoff: %s", op, msg), base...)
		d.Err = err
	}
	d.Step, d.Failed = stepNone, pre.Step
	d.Always = true
	if _, ok := d.Notify[v1.ConditionStalled]; !ok {
		d.Notify[v1.ConditionReconciling] = "Warning"
	}
	return d
}

// minAgeAt is when Graph's minimum active age has passed for the request, when the kind has
// one and the request's creation is known. Status keeps whole seconds, and Graph's
// createdDateTime may be up to a second later: one second of margin.
func minAgeAt(o observation, opt Options) (time.Time, bool) {
	if !o.Kind.RemovalWaitsMinActiveAge || o.Status.CreatedDateTime == nil {
		return time.Time{}, false
	}
	return o.Status.CreatedDateTime.Add(opt.MinActiveAge + time.Second), true
}

// minAgeWait is the wait before adminRemove is tried again after ActiveDurationTooShort.
func minAgeWait(o observation, opt Options) time.Duration {
	if at, ok := minAgeAt(o, opt); ok && o.Now.Before(at) {
		return until(o.Now, at)
	}
	return pollAfter(opt, trueSince(o.Status, v1.ConditionReconciling, o.Now), o.Now)
}

// minAgeRetry says when adminRemove is tried again, for the condition's message.
func minAgeRetry(o observation, opt Options) string {
	if at, ok := minAgeAt(o, opt); ok {
		return fmt.Sprintf("%s for this %s; trying again at %s", opt.MinActiveAge, o.Kind.Noun, at.UTC().Format(time.RFC3339))
	}
	return "trying again with backoff"
}

func articled(noun string) string {
	switch noun[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + noun
	}
	return "a " + noun
}
