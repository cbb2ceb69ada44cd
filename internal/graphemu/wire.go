package graphemu

import "time"

// The JSON Graph sends. Property order and explicit nulls follow Graph's v1.0 examples.

type requestJSON struct {
	Context           string           `json:"@odata.context,omitempty"`
	ID                string           `json:"id"`
	Status            string           `json:"status"`
	CompletedDateTime *string          `json:"completedDateTime"`
	CreatedDateTime   string           `json:"createdDateTime"`
	ApprovalID        *string          `json:"approvalId"`
	CustomData        *string          `json:"customData"`
	CreatedBy         identitySetJSON  `json:"createdBy"`
	Action            string           `json:"action"`
	IsValidationOnly  bool             `json:"isValidationOnly"`
	Justification     *string          `json:"justification"`
	ScheduleInfo      scheduleInfoJSON `json:"scheduleInfo"`
	TicketInfo        ticketInfoJSON   `json:"ticketInfo"`
	PrincipalID       string           `json:"principalId"`
	AccessID          string           `json:"accessId"`
	GroupID           string           `json:"groupId"`
	TargetScheduleID  *string          `json:"targetScheduleId"`
}

type scheduleJSON struct {
	Context          string           `json:"@odata.context,omitempty"`
	ID               string           `json:"id"`
	ScheduleInfo     scheduleInfoJSON `json:"scheduleInfo"`
	CreatedDateTime  string           `json:"createdDateTime"`
	ModifiedDateTime *string          `json:"modifiedDateTime"`
	CreatedUsing     *string          `json:"createdUsing"`
	Status           string           `json:"status"`
	AccessID         string           `json:"accessId"`
	PrincipalID      string           `json:"principalId"`
	GroupID          string           `json:"groupId"`
	MemberType       string           `json:"memberType"`
	AssignmentType   string           `json:"assignmentType"`
}

type scheduleInfoJSON struct {
	StartDateTime *string        `json:"startDateTime"`
	Recurrence    *struct{}      `json:"recurrence"`
	Expiration    expirationJSON `json:"expiration"`
}

type expirationJSON struct {
	Type        string  `json:"type"`
	EndDateTime *string `json:"endDateTime"`
	Duration    *string `json:"duration"`
}

type ticketInfoJSON struct {
	TicketNumber *string `json:"ticketNumber"`
	TicketSystem *string `json:"ticketSystem"`
}

type identitySetJSON struct {
	Application *identityJSON `json:"application"`
	Device      *identityJSON `json:"device"`
	User        *identityJSON `json:"user"`
}

type identityJSON struct {
	DisplayName *string `json:"displayName"`
	ID          string  `json:"id"`
}

type collectionJSON[T any] struct {
	Context string `json:"@odata.context"`
	Value   []T    `json:"value"`
}

func formatGraphTime(t time.Time) string { return t.UTC().Format(graphTimeLayout) }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatGraphTime(*t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toScheduleInfoJSON(si ScheduleInfo) scheduleInfoJSON {
	return scheduleInfoJSON{
		StartDateTime: optTime(si.StartDateTime),
		Expiration: expirationJSON{
			Type:        si.Expiration.Type,
			EndDateTime: optTime(si.Expiration.EndDateTime),
			Duration:    optString(si.Expiration.Duration),
		},
	}
}

func toRequestJSON(rec *requestRecord) requestJSON {
	r := rec.Request
	out := requestJSON{
		ID:                r.ID,
		Status:            r.Status,
		CompletedDateTime: optTime(r.CompletedDateTime),
		CreatedDateTime:   formatGraphTime(r.CreatedDateTime),
		ApprovalID:        optString(r.ApprovalID),
		CustomData:        optString(r.CustomData),
		CreatedBy:         identitySetJSON{User: &identityJSON{ID: r.CreatedBy}},
		Action:            r.Action,
		IsValidationOnly:  rec.validationOnly,
		Justification:     optString(r.Justification),
		ScheduleInfo:      toScheduleInfoJSON(r.ScheduleInfo),
		PrincipalID:       r.PrincipalID,
		AccessID:          r.AccessID,
		GroupID:           r.GroupID,
		TargetScheduleID:  optString(r.TargetScheduleID),
	}
	if r.CreatedBy == CallerID {
		out.CreatedBy = identitySetJSON{Application: &identityJSON{ID: r.CreatedBy}}
	}
	if r.Ticket != nil {
		out.TicketInfo = ticketInfoJSON{TicketNumber: optString(r.Ticket.Number), TicketSystem: optString(r.Ticket.System)}
	}
	if rec.validationOnly {
		out.TargetScheduleID = nil
	}
	return out
}

func toScheduleJSON(s *Schedule) scheduleJSON {
	return scheduleJSON{
		ID:               s.ID,
		ScheduleInfo:     toScheduleInfoJSON(s.ScheduleInfo),
		CreatedDateTime:  formatGraphTime(s.CreatedDateTime),
		ModifiedDateTime: optTime(s.ModifiedDateTime),
		CreatedUsing:     optString(s.CreatedUsing),
		Status:           s.Status,
		AccessID:         s.AccessID,
		PrincipalID:      s.PrincipalID,
		GroupID:          s.GroupID,
		MemberType:       s.MemberType,
		AssignmentType:   s.AssignmentType,
	}
}
