package graphemu

import "time"

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

// Request actions Graph documents for privilegedAccessGroupAssignmentScheduleRequest. The
// emulator accepts adminAssign and adminRemove over HTTP; selfActivate requests exist only
// through SeedActivation (a user's portal activation).
const (
	ActionAdminAssign    = "adminAssign"
	ActionAdminRemove    = "adminRemove"
	ActionAdminUpdate    = "adminUpdate"
	ActionAdminExtend    = "adminExtend"
	ActionAdminRenew     = "adminRenew"
	ActionSelfActivate   = "selfActivate"
	ActionSelfDeactivate = "selfDeactivate"
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

// Schedule membership and assignment kinds, spelled as Graph's v1.0 response examples spell
// them ("Direct", "Assigned"), although the metadata enums are lower camel case. The SDK's
// enum parsers are case-sensitive, so through msgraph-sdk-go these read as nil — as they do
// against Graph when it answers like its documentation.
const (
	MemberTypeDirect        = "Direct"
	AssignmentTypeAssigned  = "Assigned"
	AssignmentTypeActivated = "Activated"
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
// start in the past (or none) with the time the request was processed.
type ScheduleInfo struct {
	StartDateTime *time.Time `json:"startDateTime,omitempty"`
	Expiration    Expiration `json:"expiration"`
}

// Request is a snapshot of a privilegedAccessGroupAssignmentScheduleRequest.
type Request struct {
	ID               string       `json:"id"`
	Status           string       `json:"status"`
	Action           string       `json:"action"`
	AccessID         string       `json:"accessId"`
	PrincipalID      string       `json:"principalId"`
	GroupID          string       `json:"groupId"`
	TargetScheduleID string       `json:"targetScheduleId"`
	Justification    string       `json:"justification,omitempty"`
	CustomData       string       `json:"customData,omitempty"`
	Ticket           *Ticket      `json:"ticketInfo,omitempty"`
	ScheduleInfo     ScheduleInfo `json:"scheduleInfo"`
	CreatedDateTime  time.Time    `json:"createdDateTime"`
	// CompletedDateTime is set once Graph has processed the request. For a Granted request
	// (future start) Graph reports the scheduled start, as its documentation example shows.
	CompletedDateTime *time.Time `json:"completedDateTime,omitempty"`
	// ApprovalID is set for requests that went through approval (Graph uses the request id).
	ApprovalID string `json:"approvalId,omitempty"`
	// CreatedBy is the id of the identity that made the request (the emulator's CallerID for
	// requests made over HTTP, the principal for activations).
	CreatedBy string `json:"createdBy"`
}

// Schedule is a snapshot of a privilegedAccessGroupAssignmentSchedule, including schedules
// that have ended (which Graph no longer serves).
type Schedule struct {
	ID               string       `json:"id"`
	Status           string       `json:"status"`
	AccessID         string       `json:"accessId"`
	PrincipalID      string       `json:"principalId"`
	GroupID          string       `json:"groupId"`
	MemberType       string       `json:"memberType"`
	AssignmentType   string       `json:"assignmentType"`
	CreatedUsing     string       `json:"createdUsing"`
	CreatedDateTime  time.Time    `json:"createdDateTime"`
	ModifiedDateTime *time.Time   `json:"modifiedDateTime,omitempty"`
	ScheduleInfo     ScheduleInfo `json:"scheduleInfo"`
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
