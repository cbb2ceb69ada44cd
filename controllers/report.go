package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// record is the one place where a decision becomes conditions, events and log lines, so the
// three never disagree: an event's reason and note are the condition's reason and message.
// It writes observedGeneration with every decision, Stalled included (DESIGN §3).
func (r *Reconciler) record(ctx context.Context, obj *v1.PIMAssignmentRequest, d decision, action string) {
	log := logf.FromContext(ctx)
	now := metav1.NewTime(r.now().Truncate(time.Second))
	stalledNow := false
	for _, c := range d.Set {
		var prev *metav1.Condition
		if p := meta.FindStatusCondition(obj.Status.Conditions, c.Type); p != nil {
			cp := *p
			prev = &cp
		}
		c.ObservedGeneration = obj.Generation
		c.LastTransitionTime = now
		meta.SetStatusCondition(&obj.Status.Conditions, c)
		if c.Type == v1.ConditionStalled && c.Status == metav1.ConditionTrue {
			stalledNow = true
		}
		changed := prev == nil || prev.Status != c.Status || prev.Reason != c.Reason
		eventType, ok := d.Notify[c.Type]
		if !ok || !(changed || d.Always) {
			continue
		}
		r.Recorder.Eventf(obj, nil, eventType, c.Reason, action, "%s", c.Message)
		log.Info(c.Type+" "+string(c.Status)+": "+c.Reason, "eventType", eventType, "message", c.Message,
			"requestId", obj.Status.RequestID)
	}
	for _, t := range d.Remove {
		meta.RemoveStatusCondition(&obj.Status.Conditions, t)
	}
	switch {
	case d.Failure:
		obj.Status.Failures++
	case !stalledNow:
		obj.Status.Failures = 0
	}
	obj.Status.ObservedGeneration = obj.Generation
	log.V(1).Info("decided", "step", d.Step, "requeueAfter", d.After, "graphStatus", obj.Status.GraphStatus)
}

// errDuplicate is RoleAssignmentExists on create when no request carries this object's marker.
type errDuplicate struct {
	err    error
	triple pim.Triple
}

func (e *errDuplicate) Error() string { return e.err.Error() }
func (e *errDuplicate) Unwrap() error { return e.err }

const (
	permissionHint = "; the operator's identity needs the Graph application permission " +
		"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup (admin-consented), and an application cannot satisfy " +
		"a PIM policy that requires multifactor authentication on active assignment"
	authHint = "; check --graph-auth and the AZURE_* environment of the manager"
)

// failed is the decision for a failed step (or read): it keeps the conditions the step's own
// decision set for Submitted, Active, Cancelled and Permitted, and says why in Ready, Reconciling or
// Stalled. Throttling and Graph's minimum active age become a RequeueAfter; user-fixable
// failures stall with a growing backoff; anything else is transient and goes back to
// controller-runtime's rate limiter as an error.
func failed(pre decision, op string, err error, o observation, opt Options) decision {
	var base []metav1.Condition
	for _, c := range pre.Set {
		switch c.Type {
		case v1.ConditionSubmitted, v1.ConditionActive, v1.ConditionCancelled, v1.ConditionPermitted:
			base = append(base, c)
		}
	}
	st := o.Status
	e := pim.AsError(err)
	msg := err.Error()
	var d decision
	var dup *errDuplicate
	switch cls := pim.ClassOf(err); {
	case errors.As(err, &dup):
		msg = fmt.Sprintf("the triple (principal %s, group %s, %s) is already assigned and no request carries this "+
			"object's marker: another object or person owns it; delete this object (the other assignment is left "+
			"alone) or end the other one first: %s", dup.triple.PrincipalID, dup.triple.GroupID, dup.triple.AccessID, msg)
		d = stalled(v1.ReasonDuplicateAssignment, msg, base...)
		d.Failure = true
		d.After = stalledAfter(opt, st.Failures+1)
	case cls == pim.ClassThrottled:
		wait := pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now)
		if e != nil {
			wait = max(wait, e.RetryAfter)
		}
		d = progressing(v1.ReasonThrottled, fmt.Sprintf("Graph throttled %s; trying again in %s: %s", op, wait.Round(time.Second), msg), base...)
		d.After = wait
	case e != nil && e.Code == pim.CodeActiveDurationTooShort && st.CreatedDateTime != nil:
		// status keeps whole seconds: Graph's createdDateTime may be up to a second later.
		at := st.CreatedDateTime.Add(opt.MinActiveAge + time.Second)
		wait := until(o.Now, at)
		if !o.Now.Before(at) {
			wait = pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now)
		}
		d = progressing(v1.ReasonRemoving, fmt.Sprintf("Graph removes an assignment only after it has been active for %s "+
			"(ActiveDurationTooShort): trying again at %s: %s", opt.MinActiveAge, at.UTC().Format(time.RFC3339), msg), base...)
		d.After = wait
	case cls == pim.ClassUserFixable || cls == pim.ClassAssignmentExists:
		d = stalled(v1.ReasonGraphRejected, msg, base...)
		d.Failure = true
		d.After = stalledAfter(opt, st.Failures+1)
	case cls == pim.ClassForbidden:
		d = stalled(v1.ReasonForbidden, msg+permissionHint, base...)
		d.Failure = true
		d.After = stalledAfter(opt, st.Failures+1)
	case cls == pim.ClassUnauthenticated:
		d = stalled(v1.ReasonUnauthenticated, msg+authHint, base...)
		d.Failure = true
		d.After = stalledAfter(opt, st.Failures+1)
	case e == nil:
		// Not a Graph failure: the API server (a conflict on the create-pending annotation).
		d = progressing(v1.ReasonProgressing, fmt.Sprintf("%s: %s; trying again", op, msg), base...)
		d.Err = err
	default:
		d = progressing(v1.ReasonGraphUnavailable, fmt.Sprintf("Graph %s failed, trying again with backoff: %s", op, msg), base...)
		d.Err = err
	}
	d.Step = stepNone
	d.Always = true
	if _, ok := d.Notify[v1.ConditionStalled]; !ok {
		d.Notify[v1.ConditionReconciling] = "Warning"
	}
	return d
}
