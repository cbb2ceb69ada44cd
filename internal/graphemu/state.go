package graphemu

import (
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

// A triple identifies an assignment or an eligibility: one of each per principal, group and
// access kind.
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
	s := &Schedule{
		ID:              rec.TargetScheduleID,
		Kind:            rec.Kind,
		AccessID:        rec.AccessID,
		PrincipalID:     rec.PrincipalID,
		GroupID:         rec.GroupID,
		MemberType:      MemberTypeDirect,
		CreatedUsing:    rec.ID,
		CreatedDateTime: at,
		ScheduleInfo:    rec.ScheduleInfo,
		InstanceID:      scheduleIDFor(rec.GroupID, rec.AccessID, uuid.NewString()),
		StartDateTime:   start,
		EndDateTime:     end,
	}
	if rec.Kind == KindAssignment {
		s.AssignmentType = AssignmentTypeAssigned
		if rec.Action == ActionSelfActivate {
			s.AssignmentType = AssignmentTypeActivated
		}
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
		// Re-provisioned after SetRequestStatus: the schedule starts over, as the same instance.
		s.InstanceID = old.InstanceID
		*old = *s
		return
	}
	e.instanceSchedule[s.InstanceID] = s.ID
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

// liveScheduleLocked is the triple's live schedule of that kind, or nil.
func (e *Emulator) liveScheduleLocked(kind string, t triple) *Schedule {
	for _, id := range e.scheduleOrder {
		s := e.schedules[id]
		if s.Kind == kind && s.Live() && t.matches(s.PrincipalID, s.GroupID, s.AccessID) {
			return s
		}
	}
	return nil
}

// pendingRequestLocked is an assigning request of that kind for the triple that is still in
// flight, or nil.
func (e *Emulator) pendingRequestLocked(kind string, t triple) *requestRecord {
	for _, id := range e.requestOrder {
		rec := e.requests[id]
		if rec == nil || rec.Kind != kind || (rec.Action != ActionAdminAssign && rec.Action != ActionSelfActivate) {
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

// requestOfKindLocked is the stored request id of that kind, or nil: an assignment request's
// id is unknown on the eligibility URLs and the other way round.
func (e *Emulator) requestOfKindLocked(kind, id string) *requestRecord {
	if rec := e.requests[id]; rec != nil && rec.Kind == kind {
		return rec
	}
	return nil
}
