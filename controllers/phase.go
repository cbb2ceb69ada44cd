package controllers

import (
	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// phase is where an object stands in DESIGN §4's table. phaseOf is the table's precedence,
// written once: it decides both what Graph must be read (readFor) and what follows (decide).
type phase int

const (
	// phaseOrphaning: deleted with effective deletion policy Orphan.
	phaseOrphaning phase = iota
	// phaseEndedAsAsked: the request was ended as the spec asks, and that is recorded.
	phaseEndedAsAsked
	// phaseUnsubmitted: no Graph request is recorded (with or without the create-pending marker).
	phaseUnsubmitted
	// phaseForeign: the request recorded or adopted is not this object's.
	phaseForeign
	// phaseGone: Graph knows neither the request nor its schedule, and no live schedule of the
	// triple is this object's.
	phaseGone
	// phaseRemoving: the object's adminRemove request is being followed.
	phaseRemoving
	// phaseWritten: a write of this reconcile answered, and its answer decides.
	phaseWritten
	// phasePending: Granted, PendingApproval, PendingAdminDecision — cancellable.
	phasePending
	// phaseLive: Provisioned or ScheduleCreated, before its end, not removed elsewhere.
	phaseLive
	// phaseExpired: Provisioned or ScheduleCreated, past its end.
	phaseExpired
	// phaseRemovedElsewhere: Provisioned, but its schedule is gone (someone else's adminRemove).
	phaseRemovedElsewhere
	// phaseEnded: Canceled or Revoked.
	phaseEnded
	// phaseRefused: Denied or Failed.
	phaseRefused
	// phaseInFlight: PendingProvisioning, PendingScheduleCreation, or a status this code does not
	// know: wait for Graph.
	phaseInFlight
)

func phaseOf(o observation) phase {
	st := o.Status
	switch {
	case o.Deleting && o.Policy != v1.DeletionPolicyCancel:
		return phaseOrphaning
	case o.wantEnded() && isTrue(st, v1.ConditionCancelled):
		return phaseEndedAsAsked
	case st.RequestID == "":
		return phaseUnsubmitted
	case o.Graph.Foreign != "":
		return phaseForeign
	case o.Graph.Gone || (reasonOf(st, o.Kind.LiveCondition) == v1.ReasonRequestGone && !o.Graph.OwnLive):
		return phaseGone
	case o.wantEnded() && st.RemovalRequestID != "":
		return phaseRemoving
	case o.Graph.Outcome != outcomeNone:
		return phaseWritten
	}
	switch pim.Status(st.GraphStatus) {
	case pim.StatusGranted, pim.StatusPendingApproval, pim.StatusPendingAdminDecision:
		return phasePending
	case pim.StatusProvisioned, pim.StatusScheduleCreated:
		ended := st.EndDateTime != nil && !o.Now.Before(st.EndDateTime.Time)
		switch {
		case (o.Graph.OwnLive || o.Graph.ScheduleRead) && !ended:
			// Its schedule, read in this reconcile, outweighs what was recorded.
			return phaseLive
		case ended:
			return phaseExpired
		case o.Graph.ScheduleGone || removedElsewhere(o):
			return phaseRemovedElsewhere
		}
		return phaseLive
	case pim.StatusCanceled, pim.StatusRevoked:
		return phaseEnded
	case pim.StatusDenied, pim.StatusFailed:
		return phaseRefused
	}
	return phaseInFlight
}

// removedElsewhere: a Provisioned request whose access was recorded as removed by someone else
// (the live condition False/Removed without a removal of ours).
func removedElsewhere(o observation) bool {
	return o.Status.RemovalRequestID == "" && reasonOf(o.Status, o.Kind.LiveCondition) == v1.ReasonRemoved
}

// expiredRecorded: the end of the access was seen in Graph and recorded.
func expiredRecorded(o observation) bool {
	return reasonOf(o.Status, o.Kind.LiveCondition) == v1.ReasonExpired
}

// graphRead is what must be read before deciding: nothing when the status alone decides
// (terminal objects cost zero Graph calls), the removal request while one is followed,
// otherwise the request.
type graphRead int

const (
	readNothing graphRead = iota
	readRequest
	readRemoval
	// readLive: the request, then the schedule — the resync of live access, which notices
	// access removed outside this object (its request stays Provisioned), and the end of
	// access, which Graph may have moved (an extension made in the portal).
	readLive
	// readOwnSchedule: the request, then the triple's live schedules, to find the one this
	// request created when Graph did not say (no targetScheduleId) — before ending it.
	readOwnSchedule
	// readWitness: the triple's live schedules — the independent read that must confirm
	// "nothing is live" before an ending finishes or a duplicate is posted again.
	readWitness
)

// readFor is what the reconcile reads of Graph before it decides.
func readFor(o observation) graphRead {
	st := o.Status
	switch phaseOf(o) {
	case phaseUnsubmitted:
		if reasonOf(st, v1.ConditionStalled) == v1.ReasonDuplicateAssignment && !o.wantEnded() {
			return readWitness // is the other assignment still there?
		}
	case phaseGone:
		if o.wantEnded() && (!o.Adopted || st.PrincipalID != "") {
			return readWitness
		}
	case phaseRemoving:
		if pim.Status(st.RemovalStatus) == pim.StatusRevoked {
			return readNothing
		}
		return readRemoval
	case phaseLive:
		switch {
		case o.wantEnded() && st.TargetScheduleID == "":
			return readOwnSchedule
		case !o.wantEnded() && isTrue(st, o.Kind.LiveCondition) && st.TargetScheduleID != "":
			return readLive
		}
		return readRequest
	case phaseExpired:
		switch {
		case o.wantEnded():
			return readWitness
		case !expiredRecorded(o):
			return readLive // read Graph before declaring the end: it may have been extended
		}
	case phaseRemovedElsewhere:
		if o.wantEnded() {
			return readWitness
		}
		return readLive // a later read that finds the schedule undoes the verdict
	case phasePending:
		if pim.Status(st.GraphStatus) == pim.StatusGranted && st.StartDateTime != nil && !o.Now.Before(st.StartDateTime.Time) &&
			st.TargetScheduleID != "" {
			return readLive // past its start: the schedule says whether it began
		}
		return readRequest
	case phaseInFlight, phaseWritten:
		return readRequest
	}
	return readNothing
}
