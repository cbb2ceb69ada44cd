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

// decide is DESIGN §4 as a pure function: given the observation, the single step that comes
// next and the conditions that follow. It reads no clock but o.Now and calls nothing. The
// guard rails come last: a step the PIMAccessPolicies must permit and do not is replaced by
// Stalled/NotPermitted (see guard).
func decide(o observation, opt Options) decision {
	d := decideGraph(o, opt)
	if d.Step == stepCreate && o.SpecError != "" {
		return guard(o, invalidSpec(o))
	}
	return gate(o, guard(o, d))
}

// decideGraph is the table of DESIGN §4, before the guard rails: one row per phase.
func decideGraph(o observation, opt Options) decision {
	switch phaseOf(o) {
	case phaseOrphaning:
		return settled(v1.ReasonOrphaned, "deleted with deletionPolicy Orphan: the Graph request and its access are left in place").
			notify(v1.ConditionReady, "Normal").then(stepFinish, 0)
	case phaseEndedAsAsked:
		// Decided from status alone, no Graph call; Ready says what Cancelled recorded.
		c := meta.FindStatusCondition(o.Status.Conditions, v1.ConditionCancelled)
		return settled(c.Reason, c.Message).then(o.finishOrNone(), 0)
	case phaseUnsubmitted:
		return decideUnsubmitted(o, opt)
	case phaseForeign:
		return decideForeign(o)
	case phaseGone:
		return decideGone(o, opt)
	case phaseRemoving:
		return decideRemoving(o, opt)
	case phaseWritten:
		return decideWritten(o)
	case phasePending:
		return decidePending(o, opt)
	case phaseLive:
		return decideLive(o, opt)
	case phaseExpired:
		msg := fmt.Sprintf("the access ended at %s", fmtTime(o.Status.EndDateTime))
		if o.wantEnded() {
			return o.alreadyEnded(msg + ": nothing to remove")
		}
		return settled(v1.ReasonExpired, msg, o.submitted(), o.live(metav1.ConditionFalse, v1.ReasonExpired, msg)).
			notify(o.Kind.LiveCondition, "Normal").then(stepNone, 0)
	case phaseRemovedElsewhere:
		// adminRemove by someone else leaves this request Provisioned: the schedule tells.
		msg := fmt.Sprintf("the %s was removed outside this object: Graph no longer has its schedule %s "+
			"(request %s stays %s)", o.Kind.Noun, o.Status.TargetScheduleID, o.Status.RequestID, o.Status.GraphStatus)
		if o.wantEnded() {
			return o.alreadyEnded(msg + ": nothing to remove")
		}
		return settled(v1.ReasonRemoved, msg, o.submitted(), o.live(metav1.ConditionFalse, v1.ReasonRemoved, msg)).
			notify(o.Kind.LiveCondition, "Warning").then(stepNone, 0)
	case phaseEnded, phaseRefused:
		return decideFinal(o)
	}
	return decideInFlight(o, opt)
}

// endedAs is the decision for a request that ended as the spec asks: Ready and Cancelled True
// with reason, the live condition False with liveReason, an event, and the finalizer may go.
func (o observation) endedAs(reason, liveReason, msg string) decision {
	return settled(reason, msg, o.submitted(),
		o.live(metav1.ConditionFalse, liveReason, msg),
		cond(v1.ConditionCancelled, metav1.ConditionTrue, reason, msg),
	).notify(v1.ConditionCancelled, "Normal").then(o.finishOrNone(), 0)
}

// alreadyEnded: the request had ended before the operator acted.
func (o observation) alreadyEnded(msg string) decision {
	return o.endedAs(v1.ReasonAlreadyEnded, v1.ReasonCancelled, msg).notify(v1.ConditionSubmitted, "Normal")
}

// with sets conditions in the decision, replacing those of the same type.
func (d decision) with(cs ...metav1.Condition) decision {
	set := make([]metav1.Condition, 0, len(d.Set)+len(cs))
	for _, have := range d.Set {
		replaced := false
		for _, c := range cs {
			replaced = replaced || c.Type == have.Type
		}
		if !replaced {
			set = append(set, have)
		}
	}
	d.Set = append(set, cs...)
	return d
}

// decideForeign: the request recorded (or adopted) is not this object's. Nothing is written to
// Graph for it and nothing Graph said about it is recorded. A create of this object's may
// still have reached Graph (the operator's create-pending marker): it is looked for by marker.
func decideForeign(o observation) decision {
	if !o.Adopted && o.CreatePendingSealed && !o.Graph.Searched {
		return progressing(v1.ReasonCreatePending, "the status names a request that is not this object's: looking "+
			"for this object's own request by its marker", cond(v1.ConditionSubmitted, metav1.ConditionFalse,
			v1.ReasonForeignRequest, o.Graph.Foreign)).then(stepFind, 0)
	}
	msg := o.Graph.Foreign + ": the operator neither reads its state into this object nor ends it"
	if o.Adopted {
		msg += "; adopt only a request no other object manages"
	} else {
		msg += "; this object's status was written by someone else: create a new object"
	}
	sub := cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonForeignRequest, msg)
	if o.Deleting {
		return settled(v1.ReasonForeignRequest, msg+"; the object goes, the request stays", sub).
			notify(v1.ConditionReady, "Warning").then(stepFinish, 0)
	}
	return stalled(v1.ReasonForeignRequest, msg, sub).then(stepNone, 0)
}

// decideUnsubmitted covers the first two rows: no request yet, with or without the marker.
func decideUnsubmitted(o observation, opt Options) decision {
	notSubmitted := cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotSubmitted, "no Graph request exists for this object yet")
	nothing := func() decision {
		return o.endedAs(v1.ReasonAlreadyEnded, v1.ReasonCancelled, "no Graph request was made for this object: nothing to end").
			with(cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonNotSubmitted, "no Graph request was made for this object"))
	}
	create := func() decision {
		return progressing(v1.ReasonProgressing, "submitting the adminAssign request to Graph", notSubmitted,
			o.live(metav1.ConditionFalse, v1.ReasonPending, "not submitted yet"),
		).then(stepCreate, 0)
	}
	if o.Adopted {
		// status.requestId is taken from spec.requestId before deciding; this is unreachable
		// unless the spec lost it, which CEL forbids.
		return progressing(v1.ReasonProgressing, "waiting for spec.requestId").then(stepPoll, pollAfter(opt, o.Now, o.Now))
	}
	if o.CreatePending == nil {
		switch {
		case o.wantEnded():
			return nothing()
		case o.Graph.Witnessed && o.Graph.AnyLive && reasonOf(o.Status, v1.ConditionStalled) == v1.ReasonDuplicateAssignment:
			// Still assigned to someone else: stay Stalled, back off further, post nothing.
			msg := meta.FindStatusCondition(o.Status.Conditions, v1.ConditionStalled).Message
			return stalled(v1.ReasonDuplicateAssignment, msg, notSubmitted).withFailure(opt, o.Status.Failures)
		}
		return create()
	}
	if !o.Graph.Searched {
		return progressing(v1.ReasonCreatePending,
			"a create may have reached Graph: looking for this object's request (by its marker) before posting again",
			notSubmitted).then(stepFind, 0)
	}
	switch {
	case len(o.Graph.Matches) > 1:
		ids := make([]string, 0, len(o.Graph.Matches))
		for _, m := range o.Graph.Matches {
			ids = append(ids, m.ID)
		}
		msg := fmt.Sprintf("Graph holds %d requests with this object's marker (%s); the operator will not guess which "+
			"one is this object's: end the extra ones in Entra, or set spec.requestId on a new object to adopt one",
			len(ids), strings.Join(ids, ", "))
		return stalled(v1.ReasonAmbiguousCreate, msg,
			cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonAmbiguousCreate, msg)).withFailure(opt, o.Status.Failures)
	case len(o.Graph.Matches) == 1:
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
		gone := cond(v1.ConditionSubmitted, metav1.ConditionFalse, v1.ReasonRequestGone, msg)
		if o.wantEnded() {
			return o.endedAs(v1.ReasonAlreadyEnded, v1.ReasonRequestGone, msg).with(gone)
		}
		return stalled(v1.ReasonRequestGone, msg, gone, o.live(metav1.ConditionFalse, v1.ReasonPending, msg)).
			withFailure(opt, st.Failures)
	}
	msg := fmt.Sprintf("Graph no longer knows request %s nor its schedule %q: the request has ended and was purged", st.RequestID, st.TargetScheduleID)
	if o.wantEnded() {
		return o.endedAs(v1.ReasonAlreadyEnded, v1.ReasonRequestGone, msg)
	}
	return settled(v1.ReasonRequestGone, msg, o.submitted(), o.live(metav1.ConditionFalse, v1.ReasonRequestGone, msg)).
		notify(o.Kind.LiveCondition, "Normal").then(stepNone, 0)
}

// decideRemoving follows the adminRemove request this object sent.
func decideRemoving(o observation, opt Options) decision {
	st := o.Status
	switch pim.Status(st.RemovalStatus) {
	case pim.StatusRevoked:
		msg := fmt.Sprintf("adminRemove request %s is Revoked: the %s was removed", st.RemovalRequestID, o.Kind.Noun)
		if o.Graph.RemovalGone {
			msg = fmt.Sprintf("Graph no longer knows adminRemove request %s, and none of the triple's live schedules "+
				"is this object's: the %s was removed", st.RemovalRequestID, o.Kind.Noun)
		}
		return o.endedAs(v1.ReasonRemoved, v1.ReasonRemoved, msg)
	case pim.StatusDenied, pim.StatusFailed, pim.StatusCanceled:
		msg := fmt.Sprintf("adminRemove request %s ended %s: the %s was not removed; end it in Entra, "+
			"or set spec.deletionPolicy: Orphan to let the object go", st.RemovalRequestID, st.RemovalStatus, o.Kind.Noun)
		return stalled(v1.ReasonFailed, msg, o.submitted(),
			cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonFailed, msg)).withFailure(opt, st.Failures)
	}
	msg := fmt.Sprintf("adminRemove request %s is %s: waiting for Revoked", st.RemovalRequestID, orUnknown(st.RemovalStatus))
	return progressing(v1.ReasonRemoving, msg, o.submitted(),
		cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonRemoving, msg),
	).then(stepPoll, pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now))
}

// decideWritten: what this reconcile's cancel or removal answered.
func decideWritten(o observation) decision {
	st := o.Status
	switch o.Graph.Outcome {
	case outcomeCancelled:
		return o.endedAs(v1.ReasonCancelSucceeded, v1.ReasonCancelled, "Graph returned 204 No Content").
			with(o.live(metav1.ConditionFalse, v1.ReasonCancelled, "the request was cancelled before it became active"))
	case outcomeAlreadyGone:
		return o.endedAs(v1.ReasonRemoved, v1.ReasonRemoved,
			fmt.Sprintf("Graph answered RoleAssignmentDoesNotExist: the %s is already gone", o.Kind.Noun))
	case outcomeNoLive:
		return o.alreadyEnded(fmt.Sprintf("no live %s exists for the triple any more (schedule %s ended): nothing to remove",
			o.Kind.Noun, st.TargetScheduleID))
	}
	msg := fmt.Sprintf("the triple's live %s is schedule %s, not this object's %s: it belongs to someone else "+
		"and was not removed", o.Kind.Noun, o.Graph.LiveScheduleID, st.TargetScheduleID)
	return o.endedAs(v1.ReasonAssignmentNotOwned, v1.ReasonAssignmentNotOwned, msg).notify(v1.ConditionCancelled, "Warning")
}

// decidePending: Granted (a future start), or waiting for an approver.
func decidePending(o observation, opt Options) decision {
	st := o.Status
	g := pim.Status(st.GraphStatus)
	if o.wantEnded() {
		msg := fmt.Sprintf("cancelling Graph request %s (%s)", st.RequestID, g)
		return progressing(v1.ReasonCancelling, msg, o.submitted(),
			cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonCancelling, msg)).then(stepCancel, 0)
	}
	if g == pim.StatusGranted {
		msg := fmt.Sprintf("Graph request %s is Granted; the access starts at %s", st.RequestID, fmtTime(st.StartDateTime))
		d := settled(v1.ReasonNotStarted, msg, o.submitted(),
			o.live(metav1.ConditionFalse, v1.ReasonNotStarted, msg)).notify(v1.ConditionSubmitted, "Normal")
		switch {
		case st.StartDateTime != nil && o.Now.Before(st.StartDateTime.Time):
			return d.then(stepNone, min(until(o.Now, st.StartDateTime.Time), opt.ResyncPeriod))
		case st.StartDateTime != nil:
			// Past its start and still Granted: Graph has not caught up; look again, less and
			// less often.
			return d.then(stepPoll, pollAfter(opt, st.StartDateTime.Time, o.Now))
		}
		return d.then(stepPoll, pollAfter(opt, trueSince(st, v1.ConditionSubmitted, o.Now), o.Now))
	}
	msg := fmt.Sprintf("Graph request %s is %s: following it until it is decided", st.RequestID, g)
	return settled(v1.ReasonPending, msg, o.submitted(), o.live(metav1.ConditionFalse, v1.ReasonPending, msg)).
		notify(v1.ConditionSubmitted, "Normal").then(stepPoll, pollAfter(opt, trueSince(st, v1.ConditionSubmitted, o.Now), o.Now))
}

// decideLive: the access is in force; end it when asked, else resync slowly and at its end.
func decideLive(o observation, opt Options) decision {
	st := o.Status
	if o.wantEnded() && st.TargetScheduleID == "" {
		if o.Graph.NoOwnSchedule {
			return o.alreadyEnded(fmt.Sprintf("none of the triple's live schedules was created by request %s: "+
				"nothing of this object's to remove", st.RequestID))
		}
		msg := fmt.Sprintf("Graph has not named the schedule of request %s: looking for it before ending it", st.RequestID)
		return progressing(v1.ReasonRemoving, msg, o.submitted(),
			cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonRemoving, msg)).then(stepPoll, opt.PollInterval)
	}
	if o.wantEnded() {
		msg := fmt.Sprintf("removing the %s of Graph request %s (adminRemove)", o.Kind.Noun, st.RequestID)
		return progressing(v1.ReasonRemoving, msg, o.submitted(),
			cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonRemoving, msg)).then(stepRemove, 0)
	}
	msg := fmt.Sprintf("Graph request %s is %s: the access is live", st.RequestID, st.GraphStatus)
	after := opt.ResyncPeriod
	if st.EndDateTime != nil {
		msg += " until " + fmtTime(st.EndDateTime)
		after = min(after, until(o.Now, st.EndDateTime.Time))
	}
	if o.Graph.ScheduleSuspect {
		// One 404 for its schedule proves nothing: look again soon, with a second read.
		after = min(after, opt.PollInterval)
	}
	return settled(v1.ReasonProvisioned, msg, o.submitted(), o.live(metav1.ConditionTrue, v1.ReasonProvisioned, msg)).
		notify(v1.ConditionSubmitted, "Normal").then(stepNone, after)
}

// finalReasons are the reasons of Graph's final statuses of a request.
var finalReasons = map[pim.Status]string{
	pim.StatusCanceled: v1.ReasonCancelled, pim.StatusRevoked: v1.ReasonRemoved,
	pim.StatusDenied: v1.ReasonDenied, pim.StatusFailed: v1.ReasonFailed,
}

// decideFinal: Graph's request reached a final status of its own — Canceled or Revoked (the
// access ended), Denied or Failed (it never began).
func decideFinal(o observation) decision {
	st := o.Status
	msg := fmt.Sprintf("Graph request %s is %s", st.RequestID, st.GraphStatus)
	if o.wantEnded() {
		return o.alreadyEnded(msg + " already")
	}
	reason := finalReasons[pim.Status(st.GraphStatus)]
	live := o.live(metav1.ConditionFalse, reason, msg)
	if phaseOf(o) == phaseRefused {
		// Terminal in Graph: no retry, no Graph call until the spec changes.
		return stalled(reason, msg+": create a new object to ask again", o.submitted(), live).then(stepNone, 0)
	}
	return settled(reason, msg+": the request has ended", o.submitted(), live).notify(live.Type, "Normal").then(stepNone, 0)
}

// decideInFlight: PendingProvisioning, PendingScheduleCreation, or a status this code does not
// know: wait for Graph, then decide again.
func decideInFlight(o observation, opt Options) decision {
	st := o.Status
	msg := fmt.Sprintf("Graph request %s is %s: waiting for Graph", st.RequestID, orUnknown(st.GraphStatus))
	set := []metav1.Condition{o.submitted(), o.live(metav1.ConditionFalse, v1.ReasonPending, msg)}
	if o.wantEnded() {
		set = append(set, cond(v1.ConditionCancelled, metav1.ConditionFalse, v1.ReasonCancelling, msg+", then ending it"))
	}
	return progressing(v1.ReasonProgressing, msg, set...).notify(v1.ConditionSubmitted, "Normal").
		then(stepPoll, pollAfter(opt, trueSince(st, v1.ConditionReconciling, o.Now), o.Now))
}
