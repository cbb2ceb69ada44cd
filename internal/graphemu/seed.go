package graphemu

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// The Go control API that changes state the way people outside the code under test do: users
// activating, administrators assigning in the portal, approvers, Graph's purge.

// PortalAdminID is the object id reported in createdBy for assignments seeded with
// SeedAssignment: "an administrator, in the portal".
const PortalAdminID = "00000000-0000-0000-0000-0000000ad415"

// ErrAssignmentExists is returned by SeedAssignment when the triple already has a live (or
// pending) assignment.
var ErrAssignmentExists = errors.New("graphemu: the role assignment already exists")

// SeedActivation records a user's own activation made in the portal (selfActivate): it is
// PendingApproval when the group requires approval (see SetApprovalRequired), otherwise
// Provisioned at once with a schedule of Duration (8 hours when 0). Filtered lists show it
// at once. It does not check for an existing assignment.
func (e *Emulator) SeedActivation(a Activation) Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.now()
	e.settleLocked(now)
	length := a.Duration
	if length <= 0 {
		length = defaultActivationLength
	}
	accessID := canonicalAccess(a.AccessID)
	groupID := strings.ToLower(a.GroupID)
	id := uuid.NewString()
	rec := &requestRecord{
		Request: Request{
			ID:               id,
			Action:           ActionSelfActivate,
			AccessID:         accessID,
			PrincipalID:      strings.ToLower(a.PrincipalID),
			GroupID:          groupID,
			TargetScheduleID: scheduleIDFor(groupID, accessID, id),
			Justification:    a.Justification,
			ScheduleInfo: ScheduleInfo{
				StartDateTime: timePtr(now),
				Expiration:    Expiration{Type: ExpirationAfterDuration, Duration: formatISODuration(length)},
			},
			CreatedDateTime: now,
			CreatedBy:       strings.ToLower(a.PrincipalID),
		},
		visibleAt: now,
		length:    length,
	}
	if e.approval[groupID] {
		rec.Status = StatusPendingApproval
		rec.ApprovalID = id
	} else {
		e.provisionLocked(rec, now, now)
	}
	e.storeLocked(rec)
	return rec.Request
}

// SeedAssignment records an active assignment made by someone else (an administrator's
// adminAssign in the portal). Unlike requests made over HTTP, its Start may be in the past,
// so that the assignment is already older than the minimum active age. Filtered lists show it
// at once. ErrAssignmentExists when the triple is already assigned or has a request pending.
func (e *Emulator) SeedAssignment(a Assignment) (Request, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.now()
	e.settleLocked(now)
	accessID := canonicalAccess(a.AccessID)
	t := triple{strings.ToLower(a.PrincipalID), strings.ToLower(a.GroupID), accessID}
	if e.liveScheduleLocked(t) != nil || e.pendingRequestLocked(t) != nil {
		return Request{}, ErrAssignmentExists
	}
	start := now
	if !a.Start.IsZero() {
		start = graphTime(a.Start)
	}
	created := now
	if start.Before(now) {
		created = start
	}
	exp := Expiration{Type: ExpirationNoExpiration}
	if a.Duration > 0 {
		exp = Expiration{Type: ExpirationAfterDuration, Duration: formatISODuration(a.Duration)}
	}
	id := uuid.NewString()
	rec := &requestRecord{
		Request: Request{
			ID:               id,
			Action:           ActionAdminAssign,
			AccessID:         accessID,
			PrincipalID:      t.principalID,
			GroupID:          t.groupID,
			TargetScheduleID: scheduleIDFor(t.groupID, accessID, id),
			Justification:    a.Justification,
			ScheduleInfo:     ScheduleInfo{StartDateTime: timePtr(start), Expiration: exp},
			CreatedDateTime:  created,
			CreatedBy:        PortalAdminID,
		},
		visibleAt:      now,
		requestedStart: timePtr(start),
		length:         a.Duration,
	}
	e.provisionLocked(rec, created, start)
	e.storeLocked(rec)
	// A seeded assignment may already be past its end.
	e.settleLocked(now)
	return rec.Request, nil
}

func canonicalAccess(accessID string) string {
	if a, ok := accessNames[strings.ToLower(accessID)]; ok {
		return a
	}
	return AccessMember
}

// Approve approves an activation waiting for approval: it is provisioned now, for its
// duration counted from now.
func (e *Emulator) Approve(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.now()
	e.settleLocked(now)
	rec := e.requests[id]
	if rec == nil {
		return ErrNotFound
	}
	if rec.Status != StatusPendingApproval && rec.Status != StatusPendingAdminDecision {
		return fmt.Errorf("%w: %s is %s", ErrInvalidState, id, rec.Status)
	}
	e.provisionLocked(rec, now, e.effectiveStart(rec, now))
	return nil
}

// Deny denies an activation waiting for approval.
func (e *Emulator) Deny(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.now()
	e.settleLocked(now)
	rec := e.requests[id]
	if rec == nil {
		return ErrNotFound
	}
	if rec.Status != StatusPendingApproval && rec.Status != StatusPendingAdminDecision {
		return fmt.Errorf("%w: %s is %s", ErrInvalidState, id, rec.Status)
	}
	rec.Status = StatusDenied
	rec.CompletedDateTime = timePtr(now)
	return nil
}

// Purge forgets a request as Graph does after 30–45 days: GET answers 404 and lists omit it,
// while the schedule it created stays readable for as long as it is live.
func (e *Emulator) Purge(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.requests[id] == nil {
		return ErrNotFound
	}
	delete(e.requests, id)
	return nil
}

// SetRequestStatus overwrites a request's status and nothing else — a test hook to reach
// states the emulator does not produce by itself (PendingAdminDecision, Failed,
// PendingScheduleCreation, ScheduleCreated).
func (e *Emulator) SetRequestStatus(id, status string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.requests[id]
	if rec == nil {
		return ErrNotFound
	}
	rec.Status = status
	e.eventsChangedLocked()
	return nil
}
