package graphemu

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The rules Graph applies to a new request, the same for assignments and eligibilities except
// for the minimum age before removal.

// newRecord starts a request from validated input.
func (e *Emulator) newRecord(kind string, in *createInput, now time.Time) *requestRecord {
	id := uuid.NewString()
	rec := &requestRecord{
		Request: Request{
			ID:               id,
			Kind:             kind,
			Action:           in.action,
			AccessID:         in.accessID,
			PrincipalID:      in.principalID,
			GroupID:          in.groupID,
			TargetScheduleID: scheduleIDFor(in.groupID, in.accessID, id),
			Justification:    in.justification,
			CustomData:       in.customData,
			Ticket:           in.ticket,
			CreatedDateTime:  now,
			CreatedBy:        CallerID,
		},
		visibleAt:      now.Add(e.listLag),
		requestedStart: in.start,
		length:         in.length,
		validationOnly: in.validationOnly,
	}
	if in.hasSchedule {
		rec.ScheduleInfo = ScheduleInfo{StartDateTime: in.start, Expiration: in.exp}
	}
	return rec
}

// createAssignLocked handles an adminAssign request: one live assignment (or eligibility) per
// triple, none while another request for it is in flight, and within the group's policy.
func (e *Emulator) createAssignLocked(kind string, in *createInput, now time.Time) (*requestRecord, *apiError) {
	t := triple{in.principalID, in.groupID, in.accessID}
	if e.liveScheduleLocked(kind, t) != nil {
		return nil, badRequest(CodeRoleAssignmentExists, "The Role assignment already exists.")
	}
	if e.pendingRequestLocked(kind, t) != nil {
		return nil, badRequest(CodePendingRoleAssignmentRequest, "There is already an existing pending Role assignment request.")
	}
	if in.exp.Type == ExpirationAfterDateTime {
		start := now
		if in.start != nil && in.start.After(now) {
			start = *in.start
		}
		if !in.exp.EndDateTime.After(start) {
			return nil, badRequest(CodeInvalidRequest, "The request is invalid: the expiration endDateTime must be after the start and in the future.")
		}
	}
	if err := e.checkPolicyLocked(kind, in, now); err != nil {
		return nil, err
	}
	rec := e.newRecord(kind, in, now)
	if e.provisioningDelay > 0 && !rec.validationOnly {
		rec.Status = StatusPendingProvisioning
		rec.provisionAt = now.Add(e.provisioningDelay)
	} else {
		e.provisionLocked(rec, now, e.effectiveStart(rec, now))
	}
	if !rec.validationOnly {
		e.storeLocked(rec)
	}
	return rec, nil
}

// createRemoveLocked handles an adminRemove request: it ends the triple's assignment (or
// eligibility) and is itself Revoked at once. The request that created the schedule keeps its
// status. Graph's documented removal carries no targetScheduleId, completedDateTime or (when
// none was sent) scheduleInfo.
func (e *Emulator) createRemoveLocked(kind string, in *createInput, now time.Time) (*requestRecord, *apiError) {
	t := triple{in.principalID, in.groupID, in.accessID}
	s := e.liveScheduleLocked(kind, t)
	if s == nil {
		if e.pendingRequestLocked(kind, t) != nil {
			return nil, badRequest(CodePendingRoleAssignmentRequest, "There is already an existing pending Role assignment request.")
		}
		return nil, badRequest(CodeRoleAssignmentDoesNotExist, "The Role assignment does not exist.")
	}
	minAge := e.minActiveAge
	if kind == KindEligibility {
		minAge = e.eligibilityMinActiveAge
	}
	if s.Status == StatusProvisioned && minAge > 0 && now.Sub(s.StartDateTime) < minAge {
		return nil, badRequest(CodeActiveDurationTooShort, "The Active duration is too short. Miniumum Required is %s.", describeDuration(minAge))
	}
	rec := e.newRecord(kind, in, now)
	rec.TargetScheduleID = ""
	rec.Status = StatusRevoked
	if !rec.validationOnly {
		e.endScheduleLocked(s, now, EndReasonRemoved)
		e.storeLocked(rec)
	}
	return rec, nil
}

// cancelLocked cancels a request that has not taken effect yet.
func (e *Emulator) cancelLocked(kind, id string, now time.Time) *apiError {
	rec := e.requestOfKindLocked(kind, id)
	if rec == nil {
		return notFound(requestType(kind), id)
	}
	switch rec.Status {
	case StatusGranted, StatusPendingApproval, StatusPendingAdminDecision:
	default:
		return badRequest(CodeRequestCannotBeCancelled, "Only requests in status of Granted, PendingApproval and PendingAdminDecision can be cancelled; this request is %s.", rec.Status)
	}
	rec.Status = StatusCanceled
	rec.CompletedDateTime = timePtr(now)
	if s := e.schedules[rec.TargetScheduleID]; s != nil && s.Live() {
		e.endScheduleLocked(s, now, EndReasonCanceled)
	}
	return nil
}

// describeDuration writes d as Graph's messages do ("5 minutes").
func describeDuration(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}
