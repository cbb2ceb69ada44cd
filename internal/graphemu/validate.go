package graphemu

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// guidPattern is the canonical GUID form Graph uses for object ids.
var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidPattern.MatchString(s) }

// createBody is the JSON a client posts to create a request. Pointers tell "absent or null"
// from "empty".
type createBody struct {
	Action           *string       `json:"action"`
	AccessID         *string       `json:"accessId"`
	PrincipalID      *string       `json:"principalId"`
	GroupID          *string       `json:"groupId"`
	Justification    *string       `json:"justification"`
	CustomData       *string       `json:"customData"`
	IsValidationOnly *bool         `json:"isValidationOnly"`
	TicketInfo       *ticketBody   `json:"ticketInfo"`
	ScheduleInfo     *scheduleBody `json:"scheduleInfo"`
}

type ticketBody struct {
	TicketNumber *string `json:"ticketNumber"`
	TicketSystem *string `json:"ticketSystem"`
}

type scheduleBody struct {
	StartDateTime *string         `json:"startDateTime"`
	Recurrence    json.RawMessage `json:"recurrence"`
	Expiration    *expirationBody `json:"expiration"`
}

type expirationBody struct {
	Type        *string `json:"type"`
	EndDateTime *string `json:"endDateTime"`
	Duration    *string `json:"duration"`
}

// createInput is a validated create request.
type createInput struct {
	action         string
	accessID       string
	principalID    string
	groupID        string
	justification  string
	customData     string
	ticket         *Ticket
	validationOnly bool
	// hasSchedule is false when the body carried no scheduleInfo (allowed for adminRemove).
	hasSchedule bool
	// start is the requested start; nil means "now".
	start *time.Time
	exp   Expiration
	// length is the parsed afterDuration duration.
	length time.Duration
}

// actionNames maps the lower-cased action to Graph's spelling; Graph reads enum values
// without regard to case and answers in its own spelling.
var actionNames = canonicalNames(ActionAdminAssign, ActionAdminUpdate, ActionAdminRemove,
	ActionSelfActivate, ActionSelfDeactivate, ActionAdminExtend, ActionAdminRenew,
	ActionSelfExtend, ActionSelfRenew, "unknownFutureValue")

var accessNames = canonicalNames(AccessMember, AccessOwner)

var expirationNames = canonicalNames(ExpirationNotSpecified, ExpirationNoExpiration,
	ExpirationAfterDateTime, ExpirationAfterDuration)

func canonicalNames(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

// actionModelled reports whether the emulator answers a create with this action (in Graph's
// spelling) as Graph would. It models what an application sends: adminAssign and adminRemove,
// for both kinds. The conformance test asks it which documented examples can run.
func actionModelled(action string) bool {
	return action == ActionAdminAssign || action == ActionAdminRemove
}

// parseCreate decodes and validates a create body the way Graph does: a payload that cannot
// be read, a property the type does not have, or a value of the wrong type or enum, is a
// BadRequest; a readable request that PIM cannot accept is an InvalidRoleAssignmentRequest.
func parseCreate(raw []byte, kind string) (*createInput, *apiError) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, badRequest(CodeBadRequest, "Empty Payload. JSON content expected.")
	}
	var body createBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&body); err != nil {
		return nil, badRequest(CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	if err := checkClosed(raw, requestType(kind), reflect.TypeFor[requestJSON]()); err != nil {
		return nil, err
	}
	in := &createInput{}

	if body.Action == nil || *body.Action == "" {
		return nil, badRequest(CodeInvalidRequest, "The request is invalid: the action property is required.")
	}
	action, ok := actionNames[strings.ToLower(*body.Action)]
	if !ok {
		return nil, badRequest(CodeBadRequest, "Cannot convert the literal '%s' to the expected type 'microsoft.graph.scheduleRequestActions'.", *body.Action)
	}
	if action == "unknownFutureValue" {
		return nil, badRequest(CodeInvalidRequest, "The request is invalid: '%s' is not a valid action.", action)
	}
	if !actionModelled(action) {
		return nil, notModelled("The Graph emulator does not model the action '%s'; it models adminAssign and adminRemove (a user's selfActivate is seeded with SeedActivation).", action)
	}
	in.action = action

	if body.AccessID == nil || *body.AccessID == "" {
		return nil, badRequest(CodeInvalidRequest, "The request is invalid: the accessId property is required.")
	}
	if in.accessID, ok = accessNames[strings.ToLower(*body.AccessID)]; !ok {
		return nil, badRequest(CodeBadRequest, "Cannot convert the literal '%s' to the expected type 'microsoft.graph.privilegedAccessGroupRelationships'.", *body.AccessID)
	}

	for _, f := range []struct {
		name  string
		value *string
		dst   *string
	}{
		{"principalId", body.PrincipalID, &in.principalID},
		{"groupId", body.GroupID, &in.groupID},
	} {
		if f.value == nil || *f.value == "" {
			return nil, badRequest(CodeInvalidRequest, "The request is invalid: the %s property is required.", f.name)
		}
		if !isGUID(*f.value) {
			return nil, badRequest(CodeInvalidRequest, "The request is invalid: the %s '%s' is not a valid object id (GUID).", f.name, *f.value)
		}
		*f.dst = strings.ToLower(*f.value)
	}

	if body.Justification != nil {
		in.justification = *body.Justification
		if n := len([]rune(in.justification)); n > maxJustificationLength {
			return nil, badRequest(CodeInvalidRequest, "The justification is %d characters long; the maximum is %d.", n, maxJustificationLength)
		}
	}
	if body.CustomData != nil {
		in.customData = *body.CustomData
	}
	if body.IsValidationOnly != nil {
		in.validationOnly = *body.IsValidationOnly
	}
	if t := body.TicketInfo; t != nil && (t.TicketNumber != nil || t.TicketSystem != nil) {
		in.ticket = &Ticket{}
		if t.TicketNumber != nil {
			in.ticket.Number = *t.TicketNumber
		}
		if t.TicketSystem != nil {
			in.ticket.System = *t.TicketSystem
		}
	}

	if body.ScheduleInfo == nil {
		if in.action == ActionAdminAssign {
			return nil, badRequest(CodeInvalidRequest, "The request is invalid: scheduleInfo is required for adminAssign.")
		}
		return in, nil
	}
	if err := parseSchedule(body.ScheduleInfo, in); err != nil {
		return nil, err
	}
	return in, nil
}

// parseSchedule validates scheduleInfo into in.
func parseSchedule(s *scheduleBody, in *createInput) *apiError {
	in.hasSchedule = true
	if len(s.Recurrence) > 0 && string(bytes.TrimSpace(s.Recurrence)) != "null" {
		return badRequest(CodeInvalidRequest, "Recurring schedules are not supported.")
	}
	if s.StartDateTime != nil {
		t, err := parseGraphTime(*s.StartDateTime)
		if err != nil {
			return badRequest(CodeBadRequest, "Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", *s.StartDateTime)
		}
		in.start = &t
	}
	in.exp = Expiration{Type: ExpirationNotSpecified}
	e := s.Expiration
	if e == nil {
		return nil
	}
	if e.Type != nil {
		typ, ok := expirationNames[strings.ToLower(*e.Type)]
		if !ok {
			return badRequest(CodeBadRequest, "Cannot convert the literal '%s' to the expected type 'microsoft.graph.expirationPatternType'.", *e.Type)
		}
		in.exp.Type = typ
	}
	if e.EndDateTime != nil {
		t, err := parseGraphTime(*e.EndDateTime)
		if err != nil {
			return badRequest(CodeBadRequest, "Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", *e.EndDateTime)
		}
		in.exp.EndDateTime = &t
	}
	if e.Duration != nil {
		d, err := parseISODuration(*e.Duration)
		if err != nil {
			return badRequest(CodeBadRequest, "Cannot convert the literal '%s' to the expected type 'Edm.Duration': %v.", *e.Duration, err)
		}
		in.exp.Duration = *e.Duration
		in.length = d
	}
	switch in.exp.Type {
	case ExpirationAfterDuration:
		if e.Duration == nil {
			return badRequest(CodeInvalidRequest, "The request is invalid: expiration type afterDuration requires a duration.")
		}
		if in.length <= 0 {
			return badRequest(CodeInvalidRequest, "The request is invalid: the duration '%s' must be positive.", in.exp.Duration)
		}
	case ExpirationAfterDateTime:
		if in.exp.EndDateTime == nil {
			return badRequest(CodeInvalidRequest, "The request is invalid: expiration type afterDateTime requires an endDateTime.")
		}
	}
	return nil
}

// parseGraphTime reads a DateTimeOffset as Graph accepts it: RFC 3339 with or without
// fractional seconds; a value without a zone is UTC.
func parseGraphTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse("2006-01-02T15:04:05.999999999", s); err2 != nil {
			return time.Time{}, err
		}
	}
	return graphTime(t), nil
}
