package graph

// Graph's JSON, as this package writes and reads it: only the properties the operator uses.
// Responses are decoded with encoding/json, which ignores unknown properties, leaves a missing
// or null property at its zero value and matches names case-insensitively; the conversion to
// pim types (convert.go) makes sense of the values.

// wireRequest is a privilegedAccessGroupAssignmentScheduleRequest or
// privilegedAccessGroupEligibilityScheduleRequest: the two have the same properties. It is
// also the body of a new request, so every property that is not always sent is omitted when
// zero.
type wireRequest struct {
	ID                string        `json:"id,omitempty"`
	Status            string        `json:"status,omitempty"`
	Action            string        `json:"action"`
	PrincipalID       string        `json:"principalId"`
	GroupID           string        `json:"groupId"`
	AccessID          string        `json:"accessId"`
	TargetScheduleID  string        `json:"targetScheduleId,omitempty"`
	Justification     string        `json:"justification,omitempty"`
	TicketInfo        *wireTicket   `json:"ticketInfo,omitempty"`
	ScheduleInfo      *wireSchedule `json:"scheduleInfo,omitempty"`
	CreatedDateTime   dateTime      `json:"createdDateTime,omitzero"`
	CompletedDateTime dateTime      `json:"completedDateTime,omitzero"`
}

type wireTicket struct {
	TicketNumber string `json:"ticketNumber"`
	TicketSystem string `json:"ticketSystem"`
}

// wireSchedule is a requestSchedule, the scheduleInfo of requests and schedules.
type wireSchedule struct {
	StartDateTime dateTime        `json:"startDateTime,omitzero"`
	Expiration    *wireExpiration `json:"expiration,omitempty"`
}

// wireExpiration is an expirationPattern. Duration stays text: it is written by formatDuration
// and read by parseDuration, never by kiota's ISO 8601 code (DESIGN §5).
type wireExpiration struct {
	Type        string   `json:"type"`
	EndDateTime dateTime `json:"endDateTime,omitzero"`
	Duration    string   `json:"duration,omitempty"`
}

// wireAccess is a privilegedAccessGroupAssignmentSchedule or EligibilitySchedule, or one of
// their instances: an instance has the same identity properties but its window at the top
// level instead of in scheduleInfo, and no status.
type wireAccess struct {
	ID              string        `json:"id"`
	Status          string        `json:"status"`
	PrincipalID     string        `json:"principalId"`
	GroupID         string        `json:"groupId"`
	AccessID        string        `json:"accessId"`
	MemberType      string        `json:"memberType"`
	AssignmentType  string        `json:"assignmentType"`
	CreatedUsing    string        `json:"createdUsing"`
	CreatedDateTime dateTime      `json:"createdDateTime"`
	ScheduleInfo    *wireSchedule `json:"scheduleInfo"`
	StartDateTime   dateTime      `json:"startDateTime"`
	EndDateTime     dateTime      `json:"endDateTime"`
}

// wirePage is one page of a collection.
type wirePage[T any] struct {
	Value    []*T   `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// wirePolicyAssignment is a unifiedRoleManagementPolicyAssignment, with its policy when the
// query expands it.
type wirePolicyAssignment struct {
	ID               string      `json:"id"`
	PolicyID         string      `json:"policyId"`
	ScopeID          string      `json:"scopeId"`
	ScopeType        string      `json:"scopeType"`
	RoleDefinitionID string      `json:"roleDefinitionId"`
	Policy           *wirePolicy `json:"policy"`
}

// wirePolicy is a unifiedRoleManagementPolicy, with its rules when the query expands them.
type wirePolicy struct {
	ID        string            `json:"id"`
	ScopeID   string            `json:"scopeId"`
	ScopeType string            `json:"scopeType"`
	Rules     []*wirePolicyRule `json:"rules"`
}

// wirePolicyRule is a unifiedRoleManagementPolicyRule of any derived type: the properties of
// the expiration and the enablement rule, told apart by @odata.type and id.
type wirePolicyRule struct {
	ODataType            string          `json:"@odata.type"`
	ID                   string          `json:"id"`
	IsExpirationRequired *bool           `json:"isExpirationRequired"`
	MaximumDuration      string          `json:"maximumDuration"`
	EnabledRules         []string        `json:"enabledRules"`
	Target               *wireRuleTarget `json:"target"`
}

// wireRuleTarget is a unifiedRoleManagementPolicyRuleTarget.
type wireRuleTarget struct {
	Caller     string   `json:"caller"`
	Level      string   `json:"level"`
	Operations []string `json:"operations"`
}
