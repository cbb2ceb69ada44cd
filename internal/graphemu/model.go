package graphemu

import "time"

// The two PIM-for-Groups resources the emulator serves. The call log and faults name them; the
// operation names (OpCreateRequest, …) are the same for both.
const (
	KindAssignment  = "assignment"
	KindEligibility = "eligibility"
)

// Request statuses, as Graph spells them (note "Canceled").
const (
	StatusCanceled                = "Canceled"
	StatusDenied                  = "Denied"
	StatusFailed                  = "Failed"
	StatusGranted                 = "Granted"
	StatusPendingAdminDecision    = "PendingAdminDecision"
	StatusPendingApproval         = "PendingApproval"
	StatusPendingProvisioning     = "PendingProvisioning"
	StatusPendingScheduleCreation = "PendingScheduleCreation"
	StatusProvisioned             = "Provisioned"
	StatusRevoked                 = "Revoked"
	StatusScheduleCreated         = "ScheduleCreated"
)

// Request actions (scheduleRequestActions). Over HTTP the emulator models adminAssign and
// adminRemove, the actions an application can send; selfActivate requests exist only through
// SeedActivation (a user's portal activation). The others parse and are answered 501.
const (
	ActionAdminAssign    = "adminAssign"
	ActionAdminUpdate    = "adminUpdate"
	ActionAdminRemove    = "adminRemove"
	ActionSelfActivate   = "selfActivate"
	ActionSelfDeactivate = "selfDeactivate"
	ActionAdminExtend    = "adminExtend"
	ActionAdminRenew     = "adminRenew"
	ActionSelfExtend     = "selfExtend"
	ActionSelfRenew      = "selfRenew"
)

// Access kinds (privilegedAccessGroupRelationships).
const (
	AccessMember = "member"
	AccessOwner  = "owner"
)

// Expiration types (expirationPatternType).
const (
	ExpirationNotSpecified  = "notSpecified"
	ExpirationNoExpiration  = "noExpiration"
	ExpirationAfterDateTime = "afterDateTime"
	ExpirationAfterDuration = "afterDuration"
)

// Membership and assignment kinds of schedules and instances, in the metadata's spelling. Most
// of Graph's v1.0 examples show "Direct" and "Assigned" instead, and which one Graph sends is
// not settled: Options.CapitalizedMemberTypes answers as the examples do, so that clients are
// tested against both. Snapshots always carry these spellings.
const (
	MemberTypeDirect        = "direct"
	AssignmentTypeAssigned  = "assigned"
	AssignmentTypeActivated = "activated"
)

const (
	// DefaultMinActiveAge is Graph's minimum age of an active assignment before adminRemove.
	DefaultMinActiveAge = 5 * time.Minute
	// defaultActivationLength is the length of an activation seeded without a duration.
	defaultActivationLength = 8 * time.Hour
	// maxJustificationLength is Graph's limit on a request's justification.
	maxJustificationLength = 500
	// graphTimeLayout is how Graph writes DateTimeOffset values (100 ns precision).
	graphTimeLayout = "2006-01-02T15:04:05.0000000Z"
	// innerErrorDateLayout is how Graph writes innerError.date.
	innerErrorDateLayout = "2006-01-02T15:04:05"
)

// Why a schedule stopped being live.
const (
	EndReasonExpired  = "expired"
	EndReasonRemoved  = "removed"
	EndReasonCanceled = "canceled"
)

// Ticket is a request's ticketInfo.
type Ticket struct {
	Number string `json:"ticketNumber"`
	System string `json:"ticketSystem"`
}

// Expiration is a requestSchedule's expiration pattern. Duration is kept as the ISO 8601 text
// the client sent (for example "P30D" or "PT8H").
type Expiration struct {
	Type        string     `json:"type"`
	EndDateTime *time.Time `json:"endDateTime,omitempty"`
	Duration    string     `json:"duration,omitempty"`
}

// ScheduleInfo is a requestSchedule. StartDateTime is the effective start: Graph replaces a
// start in the past (or none) with the time the request was processed. The zero value is a
// request sent without scheduleInfo (an adminRemove), which Graph answers as null.
type ScheduleInfo struct {
	StartDateTime *time.Time `json:"startDateTime,omitempty"`
	Expiration    Expiration `json:"expiration"`
}

func (s ScheduleInfo) absent() bool { return s.StartDateTime == nil && s.Expiration.Type == "" }

// Request is a snapshot of a privilegedAccessGroupAssignmentScheduleRequest or, with Kind
// KindEligibility, a privilegedAccessGroupEligibilityScheduleRequest.
type Request struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Action string `json:"action"`
	// AccessID, PrincipalID and GroupID name the triple the request acts on.
	AccessID    string `json:"accessId"`
	PrincipalID string `json:"principalId"`
	GroupID     string `json:"groupId"`
	// TargetScheduleID is the schedule an assigning request created, {groupId}_{accessId}_{id};
	// empty for adminRemove, which Graph answers with null.
	TargetScheduleID string       `json:"targetScheduleId,omitempty"`
	Justification    string       `json:"justification,omitempty"`
	CustomData       string       `json:"customData,omitempty"`
	Ticket           *Ticket      `json:"ticketInfo,omitempty"`
	ScheduleInfo     ScheduleInfo `json:"scheduleInfo"`
	CreatedDateTime  time.Time    `json:"createdDateTime"`
	// CompletedDateTime is set once Graph has processed an assigning request. For a Granted
	// request (future start) Graph reports the scheduled start, as its documentation example
	// shows; for adminRemove it stays nil, as the documented removal does.
	CompletedDateTime *time.Time `json:"completedDateTime,omitempty"`
	// ApprovalID is set for requests that went through approval (Graph uses the request id).
	ApprovalID string `json:"approvalId,omitempty"`
	// CreatedBy is the id of the identity that made the request (the emulator's CallerID for
	// requests made over HTTP, the principal for activations).
	CreatedBy string `json:"createdBy"`
}

// Schedule is a snapshot of a privilegedAccessGroupAssignmentSchedule or, with Kind
// KindEligibility, a privilegedAccessGroupEligibilitySchedule, including schedules that have
// ended (which Graph no longer serves).
type Schedule struct {
	ID               string       `json:"id"`
	Kind             string       `json:"kind"`
	Status           string       `json:"status"`
	AccessID         string       `json:"accessId"`
	PrincipalID      string       `json:"principalId"`
	GroupID          string       `json:"groupId"`
	MemberType       string       `json:"memberType"`
	AssignmentType   string       `json:"assignmentType,omitempty"` // assignments only
	CreatedUsing     string       `json:"createdUsing"`
	CreatedDateTime  time.Time    `json:"createdDateTime"`
	ModifiedDateTime *time.Time   `json:"modifiedDateTime,omitempty"`
	ScheduleInfo     ScheduleInfo `json:"scheduleInfo"`
	// InstanceID is the id of the schedule's instance, served while the access is in effect
	// (Provisioned): another {groupId}_{accessId}_{guid}, as in Graph's list example, so that
	// a client that mixes up the two ids is caught.
	InstanceID string `json:"instanceId"`
	// StartDateTime is when the access begins; EndDateTime when it ends (nil: no expiration).
	StartDateTime time.Time  `json:"startDateTime"`
	EndDateTime   *time.Time `json:"endDateTime,omitempty"`
	// EndedDateTime is when the schedule stopped being live (removed, expired or cancelled);
	// nil while it is live. EndReason says why.
	EndedDateTime *time.Time `json:"endedDateTime,omitempty"`
	EndReason     string     `json:"endReason,omitempty"`
}

// Live reports whether Graph still serves the schedule (Provisioned, or Granted for a future
// start).
func (s Schedule) Live() bool { return s.EndedDateTime == nil }

// inEffect reports whether the access is granted now, which is when Graph serves an instance.
func (s Schedule) inEffect() bool { return s.Live() && s.Status == StatusProvisioned }

// Activation is a user's own activation of an eligible assignment (selfActivate), made in the
// portal. Duration 0 means 8 hours.
type Activation struct {
	PrincipalID   string
	GroupID       string
	AccessID      string
	Justification string
	Duration      time.Duration
}

// Assignment is an active assignment made outside the code under test (an administrator's
// adminAssign in the portal). A zero Start means now; Duration 0 means no expiration.
type Assignment struct {
	PrincipalID   string
	GroupID       string
	AccessID      string
	Justification string
	Start         time.Time
	Duration      time.Duration
}

// Eligibility is an eligible assignment made outside the code under test, with the same
// fields as an Assignment: what a user must hold before activating.
type Eligibility Assignment
