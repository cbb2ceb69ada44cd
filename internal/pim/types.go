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

// Triple identifies an assignment or eligibility: Graph allows one of each per principal, group
// and access kind.
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

// Request is a privilegedAccessGroupAssignmentScheduleRequest or EligibilityScheduleRequest as
// Graph reports it.
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

// MemberType says how a principal holds a schedule's access: directly, or through a group.
// Graph's examples spell it both "Direct" and "direct"; the client normalises to the CSDL's.
type MemberType string

// The member types of the CSDL (privilegedAccessGroupMemberType).
const (
	MemberTypeDirect MemberType = "direct"
	MemberTypeGroup  MemberType = "group"
)

// AssignmentType says how an assignment schedule came to be: assigned by an administrator, or
// activated from an eligibility. Eligibility schedules have none.
type AssignmentType string

// The assignment types of the CSDL (privilegedAccessGroupAssignmentType).
const (
	AssignmentTypeAssigned  AssignmentType = "assigned"
	AssignmentTypeActivated AssignmentType = "activated"
)

// Schedule is a privilegedAccessGroupAssignmentSchedule or EligibilitySchedule (or one of their
// instances): the durable handle of the access, which outlives its request when Graph purges
// old requests.
type Schedule struct {
	ID             string
	Status         Status
	Triple         Triple
	MemberType     MemberType
	AssignmentType AssignmentType
	// CreatedUsing is the id of the request that created the schedule.
	CreatedUsing string
	Created      *time.Time
	Start        *time.Time
	End          *time.Time
}
