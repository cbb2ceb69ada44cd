package graphemu

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// requestRecord is a stored request plus what the emulator needs to move it along.
type requestRecord struct {
	Request
	// visibleAt is when filtered lists start to show the request (ListLag).
	visibleAt time.Time
	// provisionAt is when PendingProvisioning ends.
	provisionAt time.Time
	// requestedStart is the start the client asked for (nil: now).
	requestedStart *time.Time
	// length is the afterDuration length (for activations, counted from approval).
	length time.Duration
	// validationOnly marks an isValidationOnly answer, which is never stored.
	validationOnly bool
}

// A triple identifies an assignment: one per principal, group and access kind.
type triple struct{ principalID, groupID, accessID string }

func (t triple) matches(principalID, groupID, accessID string) bool {
	return strings.EqualFold(t.principalID, principalID) && strings.EqualFold(t.groupID, groupID) && t.accessID == accessID
}

func timePtr(t time.Time) *time.Time { return &t }

func scheduleIDFor(groupID, accessID, requestID string) string {
	// Graph's form, as its examples show: {groupId}_{accessId}_{guid}, the guid being the id
	// of the request that created the schedule.
	return groupID + "_" + accessID + "_" + requestID
}

// settleLocked applies everything the clock has brought up to now. It scans only when the
// earliest timed event (end of provisioning, a start, an end) is due, or after a change that
// may have brought an earlier one (see eventsChangedLocked).
func (e *Emulator) settleLocked(now time.Time) {
	if e.eventsKnown && now.Before(e.nextEvent) {
		return
	}
	e.settleScanLocked(now)
	e.nextEvent, e.eventsKnown = e.nextEventLocked(now), true
}

// eventsChangedLocked makes the next settle scan.
func (e *Emulator) eventsChangedLocked() { e.eventsKnown = false }

// nextEventLocked is the earliest time after now at which settling would change something.
func (e *Emulator) nextEventLocked(now time.Time) time.Time {
	next := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	consider := func(t time.Time) {
		if t.After(now) && t.Before(next) {
			next = t
		}
	}
	for _, id := range e.requestOrder {
		if rec := e.requests[id]; rec != nil && rec.Status == StatusPendingProvisioning && !rec.provisionAt.IsZero() {
			consider(rec.provisionAt)
		}
	}
	for _, id := range e.scheduleOrder {
		s := e.schedules[id]
		if !s.Live() {
			continue
		}
		if s.Status == StatusGranted {
			consider(s.StartDateTime)
		}
		if s.EndDateTime != nil {
			consider(*s.EndDateTime)
		}
	}
	return next
}

func (e *Emulator) settleScanLocked(now time.Time) {
	for _, id := range e.requestOrder {
		rec := e.requests[id]
		// provisionAt is zero for a status forced by SetRequestStatus: it stays as forced.
		if rec != nil && rec.Status == StatusPendingProvisioning && !rec.provisionAt.IsZero() && !now.Before(rec.provisionAt) {
			e.provisionLocked(rec, rec.provisionAt, e.effectiveStart(rec, rec.provisionAt))
		}
	}
	for _, id := range e.scheduleOrder {
		s := e.schedules[id]
		if !s.Live() {
			continue
		}
		if s.Status == StatusGranted && !now.Before(s.StartDateTime) {
			s.Status = StatusProvisioned
			s.ModifiedDateTime = timePtr(s.StartDateTime)
			if rec := e.requests[s.CreatedUsing]; rec != nil && rec.Status == StatusGranted {
				rec.Status = StatusProvisioned
			}
		}
		if s.EndDateTime != nil && !now.Before(*s.EndDateTime) {
			// Graph keeps the request Provisioned; the schedule goes away.
			e.endScheduleLocked(s, *s.EndDateTime, EndReasonExpired)
		}
	}
}

// effectiveStart is the start Graph gives a request processed at: the requested start if it
// is in the future, otherwise the processing time.
func (e *Emulator) effectiveStart(rec *requestRecord, at time.Time) time.Time {
	if rec.requestedStart != nil && rec.requestedStart.After(at) {
		return *rec.requestedStart
	}
	return at
}

// provisionLocked completes rec at time at: the schedule is created, and the request becomes
// Granted (start in the future) or Provisioned.
func (e *Emulator) provisionLocked(rec *requestRecord, at, start time.Time) {
	e.eventsChangedLocked()
	rec.provisionAt = time.Time{}
	var end *time.Time
	switch rec.ScheduleInfo.Expiration.Type {
	case ExpirationAfterDuration:
		end = timePtr(start.Add(rec.length))
	case ExpirationAfterDateTime:
		end = timePtr(*rec.ScheduleInfo.Expiration.EndDateTime)
	}
	rec.ScheduleInfo.StartDateTime = timePtr(start)
	if end != nil && !end.After(at) {
		// The access would have ended before it was provisioned.
		rec.Status = StatusFailed
		rec.CompletedDateTime = timePtr(at)
		return
	}
	assignmentType := AssignmentTypeAssigned
	if rec.Action == ActionSelfActivate {
		assignmentType = AssignmentTypeActivated
	}
	s := &Schedule{
		ID:              rec.TargetScheduleID,
		AccessID:        rec.AccessID,
		PrincipalID:     rec.PrincipalID,
		GroupID:         rec.GroupID,
		MemberType:      MemberTypeDirect,
		AssignmentType:  assignmentType,
		CreatedUsing:    rec.ID,
		CreatedDateTime: at,
		ScheduleInfo:    rec.ScheduleInfo,
		StartDateTime:   start,
		EndDateTime:     end,
	}
	if start.After(at) {
		s.Status = StatusGranted
		rec.Status = StatusGranted
		// Graph reports a Granted request as completed at its scheduled start.
		rec.CompletedDateTime = timePtr(start)
	} else {
		s.Status = StatusProvisioned
		rec.Status = StatusProvisioned
		rec.CompletedDateTime = timePtr(at)
	}
	if rec.validationOnly {
		return
	}
	if old := e.schedules[s.ID]; old != nil {
		// Re-provisioned after SetRequestStatus: the schedule starts over.
		*old = *s
		return
	}
	e.schedules[s.ID] = s
	e.scheduleOrder = append(e.scheduleOrder, s.ID)
}

func (e *Emulator) endScheduleLocked(s *Schedule, at time.Time, reason string) {
	s.EndedDateTime = timePtr(at)
	s.ModifiedDateTime = timePtr(at)
	s.EndReason = reason
	switch reason {
	case EndReasonRemoved:
		s.Status = StatusRevoked
	case EndReasonCanceled:
		s.Status = StatusCanceled
	}
}

// liveScheduleLocked is the triple's live schedule, or nil.
func (e *Emulator) liveScheduleLocked(t triple) *Schedule {
	for _, id := range e.scheduleOrder {
		s := e.schedules[id]
		if s.Live() && t.matches(s.PrincipalID, s.GroupID, s.AccessID) {
			return s
		}
	}
	return nil
}

// pendingRequestLocked is a request for the triple that is still in flight, or nil.
func (e *Emulator) pendingRequestLocked(t triple) *requestRecord {
	for _, id := range e.requestOrder {
		rec := e.requests[id]
		if rec == nil || (rec.Action != ActionAdminAssign && rec.Action != ActionSelfActivate) {
			continue
		}
		switch rec.Status {
		case StatusPendingProvisioning, StatusPendingApproval, StatusPendingAdminDecision, StatusPendingScheduleCreation:
			if t.matches(rec.PrincipalID, rec.GroupID, rec.AccessID) {
				return rec
			}
		}
	}
	return nil
}

func (e *Emulator) storeLocked(rec *requestRecord) {
	e.eventsChangedLocked()
	e.requests[rec.ID] = rec
	e.requestOrder = append(e.requestOrder, rec.ID)
}

// newRecord starts a request from validated input.
func (e *Emulator) newRecord(in *createInput, now time.Time) *requestRecord {
	id := uuid.NewString()
	rec := &requestRecord{
		Request: Request{
			ID:               id,
			Action:           in.action,
			AccessID:         in.accessID,
			PrincipalID:      in.principalID,
			GroupID:          in.groupID,
			TargetScheduleID: scheduleIDFor(in.groupID, in.accessID, id),
			Justification:    in.justification,
			CustomData:       in.customData,
			Ticket:           in.ticket,
			ScheduleInfo:     ScheduleInfo{StartDateTime: in.start, Expiration: in.exp},
			CreatedDateTime:  now,
			CreatedBy:        CallerID,
		},
		visibleAt:      now.Add(e.listLag),
		requestedStart: in.start,
		length:         in.length,
		validationOnly: in.validationOnly,
	}
	return rec
}

// createAssignLocked handles an adminAssign request.
func (e *Emulator) createAssignLocked(in *createInput, now time.Time) (*requestRecord, *apiError) {
	t := triple{in.principalID, in.groupID, in.accessID}
	if e.liveScheduleLocked(t) != nil {
		return nil, badRequest(CodeRoleAssignmentExists, "The Role assignment already exists.")
	}
	if e.pendingRequestLocked(t) != nil {
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
	rec := e.newRecord(in, now)
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

// createRemoveLocked handles an adminRemove request: it ends the triple's assignment and is
// itself Revoked at once. The request that created the assignment keeps its status.
func (e *Emulator) createRemoveLocked(in *createInput, now time.Time) (*requestRecord, *apiError) {
	t := triple{in.principalID, in.groupID, in.accessID}
	s := e.liveScheduleLocked(t)
	if s == nil {
		if e.pendingRequestLocked(t) != nil {
			return nil, badRequest(CodePendingRoleAssignmentRequest, "There is already an existing pending Role assignment request.")
		}
		return nil, badRequest(CodeRoleAssignmentDoesNotExist, "The Role assignment does not exist.")
	}
	if s.Status == StatusProvisioned && e.minActiveAge > 0 && now.Sub(s.StartDateTime) < e.minActiveAge {
		return nil, badRequest(CodeActiveDurationTooShort, "The Active duration is too short. Miniumum Required is %s.", describeDuration(e.minActiveAge))
	}
	rec := e.newRecord(in, now)
	if !in.hasSchedule {
		rec.ScheduleInfo = ScheduleInfo{Expiration: Expiration{Type: ExpirationNotSpecified}}
	}
	if rec.ScheduleInfo.StartDateTime == nil {
		rec.ScheduleInfo.StartDateTime = timePtr(now)
	}
	rec.Status = StatusRevoked
	rec.CompletedDateTime = timePtr(now)
	if !rec.validationOnly {
		e.endScheduleLocked(s, now, EndReasonRemoved)
		e.storeLocked(rec)
	}
	return rec, nil
}

// cancelLocked cancels a request that has not been provisioned.
func (e *Emulator) cancelLocked(id string, now time.Time) *apiError {
	rec := e.requests[id]
	if rec == nil {
		return requestNotFound(id)
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

func requestNotFound(id string) *apiError {
	return notFound("The privilegedAccessGroupAssignmentScheduleRequest '%s' was not found.", id)
}

func scheduleNotFound(id string) *apiError {
	return notFound("The privilegedAccessGroupAssignmentSchedule '%s' was not found.", id)
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
