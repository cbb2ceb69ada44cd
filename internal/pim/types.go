package pim

import "time"

// Status is Graph's request or schedule status, verbatim (Graph spells it "Canceled").
type Status string

// The statuses Graph reports for privilegedAccessGroupAssignmentScheduleRequest.
const (
	StatusCanceled                Status = "Canceled"
	StatusDenied                  Status = "Denied"
	StatusFailed                  Status = "Failed"
	StatusGranted                 Status = "Granted"
	StatusPendingAdminDecision    Status = "PendingAdminDecision"
	StatusPendingApproval         Status = "PendingApproval"
	StatusPendingProvisioning     Status = "PendingProvisioning"
	StatusPendingScheduleCreation Status = "PendingScheduleCreation"
	StatusProvisioned             Status = "Provisioned"
	StatusRevoked                 Status = "Revoked"
	StatusScheduleCreated         Status = "ScheduleCreated"
)

// Action is the request's action as Graph names it.
type Action string

// The actions the operator sends or meets.
const (
	ActionAdminAssign  Action = "adminAssign"
	ActionAdminRemove  Action = "adminRemove"
	ActionSelfActivate Action = "selfActivate"
)

// AccessID is the kind of group access: membership or ownership.
type AccessID string

// The two access kinds of PIM for Groups.
const (
	AccessMember AccessID = "member"
	AccessOwner  AccessID = "owner"
)

// ExpirationType says how an assignment ends.
type ExpirationType string

// The expiration types the operator sends.
const (
	ExpirationNone          ExpirationType = "noExpiration"
	ExpirationAfterDateTime ExpirationType = "afterDateTime"
	ExpirationAfterDuration ExpirationType = "afterDuration"
)

// Expiration is when an assignment ends. EndDateTime is set for afterDateTime, Duration for
// afterDuration.
type Expiration struct {
	Type        ExpirationType
	EndDateTime *time.Time
	Duration    time.Duration
}

// ScheduleInfo is when an assignment starts and ends. A nil Start means "now".
type ScheduleInfo struct {
	Start      *time.Time
	Expiration Expiration
}

// Ticket is the change ticket that justifies a request.
type Ticket struct {
	System string
	Number string
}

// Triple identifies an assignment: Graph allows one per principal, group and access kind.
type Triple struct {
	PrincipalID string
	GroupID     string
	AccessID    AccessID
}

// CreateInput is an adminAssign request as the operator submits it. Justification already
// carries the operator's marker (see AppendMarker).
type CreateInput struct {
	Triple
	Justification string
	Ticket        *Ticket
	Schedule      ScheduleInfo
}

// Request is a privilegedAccessGroupAssignmentScheduleRequest as Graph reports it.
type Request struct {
	ID               string
	Status           Status
	Action           Action
	Triple           Triple
	TargetScheduleID string
	Justification    string
	Ticket           *Ticket
	Schedule         ScheduleInfo
	Created          *time.Time
	Completed        *time.Time
	// Start and End are when the access begins and ends, derived from Schedule where Graph's
	// body allows it (End stays nil for noExpiration).
	Start *time.Time
	End   *time.Time
}

// Schedule is a privilegedAccessGroupAssignmentSchedule: the durable handle of an assignment,
// which outlives its request when Graph purges old requests.
type Schedule struct {
	ID      string
	Status  Status
	Triple  Triple
	Created *time.Time
	Start   *time.Time
	End     *time.Time
}
