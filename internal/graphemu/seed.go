package graphemu

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Go control API that changes state the way people outside the code under test do: users
// activating, administrators assigning in the portal, approvers, Graph's purge.

// PortalAdminID is the object id reported in createdBy for assignments and eligibilities
// seeded with SeedAssignment and SeedEligibility: "an administrator, in the portal".
const PortalAdminID = "00000000-0000-0000-0000-0000000ad415"

// SeedActivation records a user's own activation made in the portal (selfActivate). As in
// Entra, the user must hold a live eligibility for the triple (ErrNoEligibility otherwise; see
// SeedEligibility) and not be active already (ErrAssignmentExists). The activation is
// PendingApproval when the group requires approval (see SetApprovalRequired), otherwise
// Provisioned at once with a schedule of Duration (8 hours when 0). Filtered lists show it
// at once.
func (e *Emulator) SeedActivation(a Activation) (Request, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.now()
	e.settleLocked(now)
	t := triple{strings.ToLower(a.PrincipalID), strings.ToLower(a.GroupID), canonicalAccess(a.AccessID)}
	if s := e.liveScheduleLocked(KindEligibility, t); s == nil || !s.inEffect() {
		return Request{}, ErrNoEligibility
	}
	if e.liveScheduleLocked(KindAssignment, t) != nil || e.pendingRequestLocked(KindAssignment, t) != nil {
		return Request{}, ErrAssignmentExists
	}
	length := a.Duration
	if length <= 0 {
		length = defaultActivationLength
	}
	rec := newSeededRecord(KindAssignment, ActionSelfActivate, t, a.Justification, t.principalID, now)
	rec.ScheduleInfo = ScheduleInfo{
		StartDateTime: timePtr(now),
		Expiration:    Expiration{Type: ExpirationAfterDuration, Duration: formatISODuration(length)},
	}
	rec.length = length
	if e.approval[t.groupID] {
		rec.Status = StatusPendingApproval
		rec.ApprovalID = rec.ID
	} else {
		e.provisionLocked(rec, now, now)
	}
	e.storeLocked(rec)
	return rec.Request, nil
}

// SeedAssignment records an active assignment made by someone else (an administrator's
// adminAssign in the portal). Unlike requests made over HTTP, its Start may be in the past,
// so that the assignment is already older than the minimum active age. Filtered lists show it
// at once. ErrAssignmentExists when the triple is already assigned or has a request pending.
func (e *Emulator) SeedAssignment(a Assignment) (Request, error) {
	return e.seedAdminAssign(KindAssignment, a, ErrAssignmentExists)
}

// SeedEligibility records an eligible assignment made by someone else (an administrator, in
// the portal), as SeedAssignment does for an active one. ErrEligibilityExists when the triple
// is already eligible or has an eligibility request pending.
func (e *Emulator) SeedEligibility(el Eligibility) (Request, error) {
	return e.seedAdminAssign(KindEligibility, Assignment(el), ErrEligibilityExists)
}

func (e *Emulator) seedAdminAssign(kind string, a Assignment, exists error) (Request, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.now()
	e.settleLocked(now)
	t := triple{strings.ToLower(a.PrincipalID), strings.ToLower(a.GroupID), canonicalAccess(a.AccessID)}
	if e.liveScheduleLocked(kind, t) != nil || e.pendingRequestLocked(kind, t) != nil {
		return Request{}, exists
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
	rec := newSeededRecord(kind, ActionAdminAssign, t, a.Justification, PortalAdminID, created)
	rec.ScheduleInfo = ScheduleInfo{StartDateTime: timePtr(start), Expiration: exp}
	rec.requestedStart = timePtr(start)
	rec.length = a.Duration
	e.provisionLocked(rec, created, start)
	e.storeLocked(rec)
	// A seeded assignment may already be past its end.
	e.settleLocked(now)
	return rec.Request, nil
}

// newSeededRecord is a request made outside the code under test, listed at once: the list lag
// is about what the client just wrote, not about what others wrote earlier.
func newSeededRecord(kind, action string, t triple, justification, createdBy string, created time.Time) *requestRecord {
	id := uuid.NewString()
	return &requestRecord{Request: Request{
		ID:               id,
		Kind:             kind,
		Action:           action,
		AccessID:         t.accessID,
		PrincipalID:      t.principalID,
		GroupID:          t.groupID,
		TargetScheduleID: scheduleIDFor(t.groupID, t.accessID, id),
		Justification:    justification,
		CreatedDateTime:  created,
		CreatedBy:        createdBy,
	}}
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
	return e.decide(id, func(rec *requestRecord, now time.Time) {
		e.provisionLocked(rec, now, e.effectiveStart(rec, now))
	})
}

// Deny denies an activation waiting for approval.
func (e *Emulator) Deny(id string) error {
	return e.decide(id, func(rec *requestRecord, now time.Time) {
		rec.Status = StatusDenied
		rec.CompletedDateTime = timePtr(now)
	})
}

// decide applies an approver's decision to a request waiting for one.
func (e *Emulator) decide(id string, apply func(*requestRecord, time.Time)) error {
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
	apply(rec, now)
	return nil
}

// Purge forgets a request of either kind as Graph does after 30–45 days: GET answers 404 and
// lists omit it, while the schedule it created stays readable for as long as it is live.
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
