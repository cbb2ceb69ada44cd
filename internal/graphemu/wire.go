package graphemu

import (
	"reflect"
	"strings"
	"time"
)

// The JSON Graph sends. Each type carries exactly the structural properties of its CSDL type
// (the conformance test holds them to the metadata), with explicit nulls as Graph's v1.0
// examples show them. Create bodies are checked against the same types: Graph's types are
// closed.

type requestJSON struct {
	ID                string            `json:"id"`
	Status            string            `json:"status"`
	CompletedDateTime *string           `json:"completedDateTime"`
	CreatedDateTime   string            `json:"createdDateTime"`
	ApprovalID        *string           `json:"approvalId"`
	CustomData        *string           `json:"customData"`
	CreatedBy         identitySetJSON   `json:"createdBy"`
	Action            string            `json:"action"`
	IsValidationOnly  bool              `json:"isValidationOnly"`
	Justification     *string           `json:"justification"`
	ScheduleInfo      *scheduleInfoJSON `json:"scheduleInfo"`
	TicketInfo        ticketInfoJSON    `json:"ticketInfo"`
	PrincipalID       string            `json:"principalId"`
	AccessID          string            `json:"accessId"`
	GroupID           string            `json:"groupId"`
	TargetScheduleID  *string           `json:"targetScheduleId"`
}

// scheduleJSON is an eligibility schedule; an assignment schedule adds its assignmentType.
type scheduleJSON struct {
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
}

type assignmentScheduleJSON struct {
	scheduleJSON
	AssignmentType string `json:"assignmentType"`
}

// instanceJSON is what both kinds of instance carry.
type instanceJSON struct {
	ID            string  `json:"id"`
	StartDateTime *string `json:"startDateTime"`
	EndDateTime   *string `json:"endDateTime"`
	AccessID      string  `json:"accessId"`
	PrincipalID   string  `json:"principalId"`
	GroupID       string  `json:"groupId"`
	MemberType    string  `json:"memberType"`
}

type assignmentInstanceJSON struct {
	instanceJSON
	AssignmentType       string `json:"assignmentType"`
	AssignmentScheduleID string `json:"assignmentScheduleId"`
}

type eligibilityInstanceJSON struct {
	instanceJSON
	EligibilityScheduleID string `json:"eligibilityScheduleId"`
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

type collectionJSON struct {
	Context string `json:"@odata.context"`
	Value   []any  `json:"value"`
}

// wireStyle is how the emulator spells what Graph's sources disagree on.
type wireStyle struct {
	// capitalizedMemberTypes: Options.CapitalizedMemberTypes.
	capitalizedMemberTypes bool
}

// memberKind spells a memberType or assignmentType value.
func (w wireStyle) memberKind(v string) string {
	if w.capitalizedMemberTypes && v != "" {
		return strings.ToUpper(v[:1]) + v[1:]
	}
	return v
}

// jsonFields maps each JSON property name of a wire type to its Go type.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && !strings.HasPrefix(name, "@") {
			out[name] = f.Type
		}
	}
	return out
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
		PrincipalID:       r.PrincipalID,
		AccessID:          r.AccessID,
		GroupID:           r.GroupID,
		TargetScheduleID:  optString(r.TargetScheduleID),
	}
	if !r.ScheduleInfo.absent() {
		si := toScheduleInfoJSON(r.ScheduleInfo)
		out.ScheduleInfo = &si
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

func (w wireStyle) schedule(s *Schedule) any {
	out := scheduleJSON{
		ID:               s.ID,
		ScheduleInfo:     toScheduleInfoJSON(s.ScheduleInfo),
		CreatedDateTime:  formatGraphTime(s.CreatedDateTime),
		ModifiedDateTime: optTime(s.ModifiedDateTime),
		CreatedUsing:     optString(s.CreatedUsing),
		Status:           s.Status,
		AccessID:         s.AccessID,
		PrincipalID:      s.PrincipalID,
		GroupID:          s.GroupID,
		MemberType:       w.memberKind(s.MemberType),
	}
	if s.Kind == KindEligibility {
		return out
	}
	return assignmentScheduleJSON{scheduleJSON: out, AssignmentType: w.memberKind(s.AssignmentType)}
}

func (w wireStyle) instance(s *Schedule) any {
	out := instanceJSON{
		ID:            s.InstanceID,
		StartDateTime: optTime(&s.StartDateTime),
		EndDateTime:   optTime(s.EndDateTime),
		AccessID:      s.AccessID,
		PrincipalID:   s.PrincipalID,
		GroupID:       s.GroupID,
		MemberType:    w.memberKind(s.MemberType),
	}
	if s.Kind == KindEligibility {
		return eligibilityInstanceJSON{instanceJSON: out, EligibilityScheduleID: s.ID}
	}
	return assignmentInstanceJSON{instanceJSON: out, AssignmentType: w.memberKind(s.AssignmentType), AssignmentScheduleID: s.ID}
}
