package controllers

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// step is the one thing the reconciler does next (DESIGN §4).
type step string

const (
	// stepNone: nothing to do until After (settled, following, or waiting out a settle period).
	stepNone step = "none"
	// stepCreate: write the create-pending annotation, then POST adminAssign.
	stepCreate step = "create"
	// stepFind: find-my-request — list by principal and group and match this object's marker.
	stepFind step = "find"
	// stepPoll: Graph is still processing; look again after a growing wait.
	stepPoll step = "poll"
	// stepCancel: POST cancel (Granted, PendingApproval, PendingAdminDecision).
	stepCancel step = "cancel"
	// stepRemove: the guarded adminRemove (Provisioned, ScheduleCreated).
	stepRemove step = "remove"
	// stepFinish: nothing is left to do in Graph; a deleted object may go.
	stepFinish step = "finish"
)

// mutates reports whether the step writes to Graph.
func (s step) mutates() bool { return s == stepCreate || s == stepCancel || s == stepRemove }

// outcome is what a write of this reconcile told the reconciler, fed back into decide.
type outcome string

const (
	outcomeNone outcome = ""
	// outcomeCancelled: cancel answered 204 No Content.
	outcomeCancelled outcome = "cancelled"
	// outcomeAlreadyGone: adminRemove answered RoleAssignmentDoesNotExist.
	outcomeAlreadyGone outcome = "alreadyGone"
	// outcomeNotOwned: the triple's live schedule is not this object's targetScheduleId.
	outcomeNotOwned outcome = "notOwned"
	// outcomeNoLive: the triple has no live schedule at all.
	outcomeNoLive outcome = "noLive"
)

// observation is everything decide looks at: the spec, the status (with this reconcile's
// Graph reads folded in), the create-pending annotation, and what Graph answered.
type observation struct {
	Now time.Time
	// Adopted is spec.requestId being set.
	Adopted bool
	// Cancelled is spec.cancelled.
	Cancelled bool
	// Deleting is a deletionTimestamp being set.
	Deleting bool
	// Policy is the effective deletion policy.
	Policy v1.DeletionPolicy
	// CreatePending is the create-pending annotation's time, nil when absent.
	CreatePending *time.Time
	// Status is the recorded status with this reconcile's Graph reads folded in.
	Status v1.PIMAssignmentRequestStatus
	// Gone: Graph answered 404 for the request and for its schedule (or it has none).
	Gone bool
	// Searched: find-my-request ran in this reconcile; Matches are the requests carrying this
	// object's marker. A single match is recorded as the object's request before deciding.
	Searched bool
	Matches  []pim.Request
	// Outcome is what this reconcile's write told us; LiveScheduleID goes with outcomeNotOwned.
	Outcome        outcome
	LiveScheduleID string
	// ScheduleGone: at the resync of an active assignment, Graph answered 404 for its schedule
	// (targetScheduleId): the access was removed outside this object.
	ScheduleGone bool
	// Verdict is what the PIMAccessPolicies say about the object (--policy-mode=enforce); nil
	// when they are not asked (--policy-mode=disabled).
	Verdict *verdict
}

// wantEnded is the right-hand column of DESIGN §4: cancelled, or deleted with policy Cancel.
func (o observation) wantEnded() bool {
	return o.Cancelled || (o.Deleting && o.Policy == v1.DeletionPolicyCancel)
}

func (o observation) finishOrNone() step {
	if o.Deleting {
		return stepFinish
	}
	return stepNone
}

// decision is the step that comes next, when to look again, and the conditions that follow.
type decision struct {
	Step step
	// After is the RequeueAfter; 0 means "only when the object changes".
	After time.Duration
	// Set are the conditions to set (LastTransitionTime is filled in when recorded), Remove
	// the condition types to drop (Reconciling and Stalled are present only while True,
	// Cancelled only once ending was asked for).
	Set    []metav1.Condition
	Remove []string
	// Notify maps a condition type to the event type (Normal, Warning) emitted when that
	// condition changes status or reason; Always emits on every recording (Graph errors).
	Notify map[string]string
	Always bool
	// Failure counts as a user-fixable failure (status.failures, which drives the backoff).
	Failure bool
	// Err is a transient failure returned to controller-runtime's rate limiter.
	Err error
	// Gate is the outcome of the guard rails when the decision needed them (a create, adopting
	// or ending a request made elsewhere), for pim_operator_policy_decisions_total; "" otherwise.
	Gate string
}

func cond(t string, s metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg}
}

func isTrue(st v1.PIMAssignmentRequestStatus, t string) bool {
	return meta.IsStatusConditionTrue(st.Conditions, t)
}

func reasonOf(st v1.PIMAssignmentRequestStatus, t string) string {
	if c := meta.FindStatusCondition(st.Conditions, t); c != nil {
		return c.Reason
	}
	return ""
}

// trueSince is when condition t became True, or now when it is not True.
func trueSince(st v1.PIMAssignmentRequestStatus, t string, now time.Time) time.Time {
	if c := meta.FindStatusCondition(st.Conditions, t); c != nil && c.Status == metav1.ConditionTrue {
		return c.LastTransitionTime.Time
	}
	return now
}

// settled: the operator has done what the spec asks (Ready=True, nothing in flight).
func settled(reason, msg string, c ...metav1.Condition) decision {
	return decision{
		Set:    append(c, cond(v1.ConditionReady, metav1.ConditionTrue, reason, msg)),
		Remove: []string{v1.ConditionReconciling, v1.ConditionStalled},
		Notify: map[string]string{},
	}
}

// progressing: the operator is still acting (Reconciling=True, Ready=False).
func progressing(reason, msg string, c ...metav1.Condition) decision {
	return decision{
		Set: append(c,
			cond(v1.ConditionReconciling, metav1.ConditionTrue, reason, msg),
			cond(v1.ConditionReady, metav1.ConditionFalse, reason, msg)),
		Remove: []string{v1.ConditionStalled},
		Notify: map[string]string{},
	}
}

// stalled: only a person can move it on (Stalled=True, Ready=False).
func stalled(reason, msg string, c ...metav1.Condition) decision {
	return decision{
		Set: append(c,
			cond(v1.ConditionStalled, metav1.ConditionTrue, reason, msg),
			cond(v1.ConditionReady, metav1.ConditionFalse, reason, msg)),
		Remove: []string{v1.ConditionReconciling},
		Notify: map[string]string{v1.ConditionStalled: "Warning"},
	}
}

func (d decision) then(s step, after time.Duration) decision {
	d.Step, d.After = s, after
	return d
}

func (d decision) notify(condType, eventType string) decision {
	d.Notify[condType] = eventType
	return d
}

func submitted(o observation) metav1.Condition {
	reason, how := v1.ReasonCreated, "created by this object"
	if o.Adopted {
		reason, how = v1.ReasonAdopted, "adopted through spec.requestId"
	}
	return cond(v1.ConditionSubmitted, metav1.ConditionTrue, reason,
		fmt.Sprintf("Graph request %s, %s", o.Status.RequestID, how))
}

func fmtTime(t *metav1.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

// decide is DESIGN §4 as a pure function: given the observation, the single step that comes
// next and the conditions that follow. It reads no clock but o.Now and calls nothing. The
// guard rails come last: a step the PIMAccessPolicies must permit and do not is replaced by
// Stalled/NotPermitted (see guard).
func decide(o observation, opt Options) decision {
	return guard(o, decideGraph(o, opt))
}

// decideGraph is the table of DESIGN §4, before the guard rails.
func decideGraph(o observation, opt Options) decision {
	st := o.Status
	if o.Deleting && o.Policy != v1.DeletionPolicyCancel {
		return settled(v1.ReasonOrphaned, "deleted with deletionPolicy Orphan: the Graph request and its access are left in place").
			notify(v1.ConditionReady, "Normal").then(stepFinish, 0)
	}
	if o.wantEnded() && isTrue(st, v1.ConditionCancelled) {
		// Ended as asked and recorded: decided from status alone, no Graph call.
		return decision{Step: o.finishOrNone()}
	}
	if st.RequestID == "" {
		return decideUnsubmitted(o, opt)
	}
	if o.Gone || reasonOf(st, v1.ConditionActive) == v1.ReasonRequestGone {
		return decideGone(o, opt)
	}
	if o.wantEnded() && st.RemovalRequestID != "" {
		return decideRemoval(o, opt)
	}
	return decideRequest(o, opt)
}

// decideUnsubmitted covers the first two rows: no request yet, with or without the marker.
func decideUnsubmitted(o observation, opt Options) decision {
	notSubmitted := cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotSubmitted, "no Graph request exists for this object yet")
	nothing := func() decision {
		msg := "no Graph request was made for this object: nothing to end"
		return settled(v1.ReasonAlreadyEnded, msg,
			cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotSubmitted, "no Graph request was made for this object"),
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonCancelled, msg),
			cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonAlreadyEnded, msg),
		).notify(v1.ConditionCancelled, "Normal").then(o.finishOrNone(), 0)
	}
	create := func() decision {
		msg := "submitting the adminAssign request to Graph"
		return progressing(v1.ReasonProgressing, msg, notSubmitted,
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonPending, "not submitted yet"),
		).then(stepCreate, 0)
	}
	if o.Adopted {
		// status.requestId is taken from spec.requestId before deciding; this is unreachable
		// unless the spec lost it, which CEL forbids.
		return progressing(v1.ReasonProgressing, "waiting for spec.requestId").then(stepPoll, pollAfter(opt, o.Now, o.Now))
	}
	if o.CreatePending == nil {
		if o.wantEnded() {
			return nothing()
		}
		return create()
	}
	if !o.Searched {
		return progressing(v1.ReasonCreatePending,
			"a create may have reached Graph: looking for this object's request (by its marker) before posting again",
			notSubmitted).then(stepFind, 0)
	}
	switch {
	case len(o.Matches) > 1:
		ids := make([]string, 0, len(o.Matches))
		for _, m := range o.Matches {
			ids = append(ids, m.ID)
		}
		msg := fmt.Sprintf("Graph holds %d requests with this object's marker (%s); the operator will not guess which "+
			"one is this object's: end the extra ones in Entra, or set spec.requestId on a new object to adopt one",
			len(ids), strings.Join(ids, ", "))
		d := stalled(v1.ReasonAmbiguousCreate, msg,
			cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonAmbiguousCreate, msg))
		d.Failure = true
		return d.then(stepNone, stalledAfter(opt, o.Status.Failures+1))
	case len(o.Matches) == 1:
		// The reconciler records a single match as this object's request before deciding;
		// should one reach here, look again rather than guess.
		return progressing(v1.ReasonCreatePending, "recording the request found by its marker", notSubmitted).
			then(stepFind, opt.PollInterval)
	}
	settleAt := o.CreatePending.Add(opt.CreateSettlePeriod)
	if o.Now.Before(settleAt) {
		msg := fmt.Sprintf("a create may have reached Graph and its list is eventually consistent: no request with "+
			"this object's marker yet; looking again until %s (create-settle-period %s) before posting again",
			settleAt.UTC().Format(time.RFC3339), opt.CreateSettlePeriod)
		return progressing(v1.ReasonCreatePending, msg, notSubmitted).
			then(stepNone, min(until(o.Now, settleAt), pollAfter(opt, *o.CreatePending, o.Now)))
	}
	if o.wantEnded() {
		return nothing()
	}
	return create()
}

// decideGone is the last row: Graph knows neither the request nor its schedule.
func decideGone(o observation, opt Options) decision {
	st := o.Status
	if o.Adopted && st.GraphStatus == "" {
		msg := fmt.Sprintf("Graph has no request %s (spec.requestId): check the id", st.RequestID)
		if o.wantEnded() {
			return settled(v1.ReasonAlreadyEnded, msg,
				cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonRequestGone, msg),
				cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRequestGone, msg),
				cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonAlreadyEnded, msg),
			).then(o.finishOrNone(), 0)
		}
		d := stalled(v1.ReasonRequestGone, msg,
			cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonRequestGone, msg),
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonPending, msg))
		d.Failure = true
		return d.then(stepNone, stalledAfter(opt, st.Failures+1))
	}
	msg := fmt.Sprintf("Graph no longer knows request %s nor its schedule %q: the request has ended and was purged", st.RequestID, st.TargetScheduleID)
	if o.wantEnded() {
		return settled(v1.ReasonAlreadyEnded, msg, submitted(o),
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRequestGone, msg),
			cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonAlreadyEnded, msg),
		).notify(v1.ConditionCancelled, "Normal").then(o.finishOrNone(), 0)
	}
	return settled(v1.ReasonRequestGone, msg, submitted(o),
		cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRequestGone, msg),
	).notify(v1.ConditionActive, "Normal").then(stepNone, 0)
}

// decideRemoval follows the adminRemove request this object sent.
func decideRemoval(o observation, opt Options) decision {
	st := o.Status
	switch pim.Status(st.RemovalStatus) {
	case pim.StatusRevoked:
		msg := fmt.Sprintf("adminRemove request %s is Revoked: the assignment was removed", st.RemovalRequestID)
		return settled(v1.ReasonRemoved, msg, submitted(o),
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved, msg),
			cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, msg),
		).notify(v1.ConditionCancelled, "Normal").then(o.finishOrNone(), 0)
	case pim.StatusDenied, pim.StatusFailed, pim.StatusCanceled:
		msg := fmt.Sprintf("adminRemove request %s ended %s: the assignment was not removed; end it in Entra, "+
			"or set spec.deletionPolicy: Orphan to let the object go", st.RemovalRequestID, st.RemovalStatus)
		d := stalled(v1.ReasonFailed, msg, submitted(o),
			cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonFailed, msg))
		d.Failure = true
		return d.then(stepNone, stalledAfter(opt, st.Failures+1))
	}
	msg := fmt.Sprintf("adminRemove request %s is %s: waiting for Revoked", st.RemovalRequestID, orUnknown(st.RemovalStatus))
	return progressing(v1.ReasonRemoving, msg, submitted(o),
		cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonRemoving, msg),
	).then(stepPoll, pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now))
}

func orUnknown(s string) string {
	if s == "" {
		return "not known yet"
	}
	return s
}

// decideRequest covers the rows of Graph's request statuses.
func decideRequest(o observation, opt Options) decision {
	st := o.Status
	g := pim.Status(st.GraphStatus)
	sub := submitted(o)
	ended := func(msg string) decision {
		return settled(v1.ReasonAlreadyEnded, msg, sub,
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonCancelled, msg),
			cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonAlreadyEnded, msg),
		).notify(v1.ConditionCancelled, "Normal").notify(v1.ConditionSubmitted, "Normal").then(o.finishOrNone(), 0)
	}
	switch o.Outcome {
	case outcomeCancelled:
		msg := "Graph returned 204 No Content"
		return settled(v1.ReasonCancelSucceeded, msg, sub,
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonCancelled, "the request was cancelled before it became active"),
			cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, msg),
		).notify(v1.ConditionCancelled, "Normal").then(o.finishOrNone(), 0)
	case outcomeAlreadyGone:
		msg := "Graph answered RoleAssignmentDoesNotExist: the assignment is already gone"
		return settled(v1.ReasonRemoved, msg, sub,
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved, msg),
			cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, msg),
		).notify(v1.ConditionCancelled, "Normal").then(o.finishOrNone(), 0)
	case outcomeNoLive:
		return ended(fmt.Sprintf("no live assignment exists for the triple any more (schedule %s ended): nothing to remove", st.TargetScheduleID))
	case outcomeNotOwned:
		msg := fmt.Sprintf("the triple's live assignment is schedule %s, not this object's %s: it belongs to someone else "+
			"and was not removed", o.LiveScheduleID, st.TargetScheduleID)
		return settled(v1.ReasonAssignmentNotOwned, msg, sub,
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonAssignmentNotOwned, msg),
			cond(v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonAssignmentNotOwned, msg),
		).notify(v1.ConditionCancelled, "Warning").then(o.finishOrNone(), 0)
	}

	switch g {
	case pim.StatusGranted, pim.StatusPendingApproval, pim.StatusPendingAdminDecision:
		if o.wantEnded() {
			msg := fmt.Sprintf("cancelling Graph request %s (%s)", st.RequestID, g)
			return progressing(v1.ReasonCancelling, msg, sub,
				cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonCancelling, msg)).then(stepCancel, 0)
		}
		if g == pim.StatusGranted {
			msg := fmt.Sprintf("Graph request %s is Granted; the access starts at %s", st.RequestID, fmtTime(st.StartDateTime))
			d := settled(v1.ReasonNotStarted, msg, sub,
				cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotStarted, msg)).notify(v1.ConditionSubmitted, "Normal")
			if st.StartDateTime != nil && o.Now.Before(st.StartDateTime.Time) {
				return d.then(stepNone, min(until(o.Now, st.StartDateTime.Time), opt.ResyncPeriod))
			}
			return d.then(stepPoll, opt.PollInterval)
		}
		msg := fmt.Sprintf("Graph request %s is %s: following it until it is decided", st.RequestID, g)
		return settled(v1.ReasonPending, msg, sub,
			cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonPending, msg),
		).notify(v1.ConditionSubmitted, "Normal").then(stepPoll, pollAfter(opt, trueSince(st, v1.ConditionSubmitted, o.Now), o.Now))

	case pim.StatusProvisioned, pim.StatusScheduleCreated:
		if st.EndDateTime != nil && !o.Now.Before(st.EndDateTime.Time) {
			msg := fmt.Sprintf("the access ended at %s", fmtTime(st.EndDateTime))
			if o.wantEnded() {
				return ended(msg + ": nothing to remove")
			}
			return settled(v1.ReasonExpired, msg, sub,
				cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonExpired, msg),
			).notify(v1.ConditionActive, "Normal").then(stepNone, 0)
		}
		if o.ScheduleGone || removedElsewhere(st) {
			// adminRemove by someone else leaves this request Provisioned: the schedule tells.
			msg := fmt.Sprintf("the assignment was removed outside this object: Graph no longer has its schedule %s "+
				"(request %s stays %s)", st.TargetScheduleID, st.RequestID, g)
			if o.wantEnded() {
				return ended(msg + ": nothing to remove")
			}
			return settled(v1.ReasonRemoved, msg, sub,
				cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved, msg),
			).notify(v1.ConditionActive, "Warning").then(stepNone, 0)
		}
		if o.wantEnded() {
			msg := fmt.Sprintf("removing the assignment of Graph request %s (adminRemove)", st.RequestID)
			return progressing(v1.ReasonRemoving, msg, sub,
				cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonRemoving, msg)).then(stepRemove, 0)
		}
		msg := fmt.Sprintf("Graph request %s is %s: the access is live", st.RequestID, g)
		if st.EndDateTime != nil {
			msg += " until " + fmtTime(st.EndDateTime)
		}
		after := opt.ResyncPeriod
		if st.EndDateTime != nil {
			after = min(after, until(o.Now, st.EndDateTime.Time))
		}
		return settled(v1.ReasonProvisioned, msg, sub,
			cond(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, msg),
		).notify(v1.ConditionSubmitted, "Normal").then(stepNone, after)

	case pim.StatusCanceled, pim.StatusRevoked:
		msg := fmt.Sprintf("Graph request %s is %s", st.RequestID, g)
		if o.wantEnded() {
			return ended(msg + " already")
		}
		reason := v1.ReasonCancelled
		if g == pim.StatusRevoked {
			reason = v1.ReasonRemoved
		}
		return settled(reason, msg+": the request has ended", sub,
			cond(v1.ConditionActive, metav1.ConditionFalse, reason, msg),
		).notify(v1.ConditionActive, "Normal").then(stepNone, 0)

	case pim.StatusDenied, pim.StatusFailed:
		msg := fmt.Sprintf("Graph request %s is %s", st.RequestID, g)
		if o.wantEnded() {
			return ended(msg + " already")
		}
		reason := v1.ReasonDenied
		if g == pim.StatusFailed {
			reason = v1.ReasonFailed
		}
		// Terminal in Graph: no retry, no Graph call until the spec changes.
		return stalled(reason, msg+": create a new object to ask again", sub,
			cond(v1.ConditionActive, metav1.ConditionFalse, reason, msg)).then(stepNone, 0)
	}
	// PendingProvisioning, PendingScheduleCreation, or a status this code does not know.
	msg := fmt.Sprintf("Graph request %s is %s: waiting for Graph", st.RequestID, orUnknown(string(g)))
	set := []metav1.Condition{sub, cond(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonPending, msg)}
	if o.wantEnded() {
		set = append(set, cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonCancelling, msg+", then ending it"))
	}
	return progressing(v1.ReasonProgressing, msg, set...).notify(v1.ConditionSubmitted, "Normal").
		then(stepPoll, pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now))
}

// graphRead is what observe must read before deciding: nothing when the status alone decides
// (terminal objects cost zero Graph calls), the removal request while one is followed,
// otherwise the request.
type graphRead int

const (
	readNothing graphRead = iota
	readRequest
	readRemoval
	// readActive: the request, then the schedule — the resync of an active assignment, which
	// notices access removed outside this object.
	readActive
)

// removedElsewhere: a Provisioned request whose access was recorded as removed by someone else
// (Active=False/Removed without a removal of ours). Terminal: nothing more to read.
func removedElsewhere(st v1.PIMAssignmentRequestStatus) bool {
	return st.RemovalRequestID == "" && reasonOf(st, v1.ConditionActive) == v1.ReasonRemoved
}

func whatToRead(o observation) graphRead {
	st := o.Status
	switch {
	case o.Deleting && o.Policy != v1.DeletionPolicyCancel,
		o.wantEnded() && isTrue(st, v1.ConditionCancelled),
		st.RequestID == "",
		reasonOf(st, v1.ConditionActive) == v1.ReasonRequestGone:
		return readNothing
	}
	if o.wantEnded() && st.RemovalRequestID != "" {
		if pim.Status(st.RemovalStatus) == pim.StatusRevoked {
			return readNothing
		}
		return readRemoval
	}
	switch pim.Status(st.GraphStatus) {
	case pim.StatusCanceled, pim.StatusRevoked, pim.StatusDenied, pim.StatusFailed:
		return readNothing
	case pim.StatusProvisioned, pim.StatusScheduleCreated:
		switch {
		case st.EndDateTime != nil && !o.Now.Before(st.EndDateTime.Time), removedElsewhere(st):
			return readNothing
		case !o.wantEnded() && isTrue(st, v1.ConditionActive) && st.TargetScheduleID != "":
			return readActive
		}
	}
	return readRequest
}
