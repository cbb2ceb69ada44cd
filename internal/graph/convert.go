package graph

import (
	"fmt"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// newAssignRequest builds the adminAssign body. The expiration's duration goes out as text in
// the model's additional data (see formatDuration); SetDuration would send weeks.
func newAssignRequest(in pim.CreateInput) (*models.PrivilegedAccessGroupAssignmentScheduleRequest, error) {
	body, err := newRequestBody(models.ADMINASSIGN_SCHEDULEREQUESTACTIONS, in.Triple, in.Justification)
	if err != nil {
		return nil, err
	}
	if in.Ticket != nil {
		ti := models.NewTicketInfo()
		ti.SetTicketSystem(ptr(in.Ticket.System))
		ti.SetTicketNumber(ptr(in.Ticket.Number))
		body.SetTicketInfo(ti)
	}
	sched := models.NewRequestSchedule()
	if in.Schedule.Start != nil {
		sched.SetStartDateTime(ptr(in.Schedule.Start.UTC()))
	}
	exp := models.NewExpirationPattern()
	x := in.Schedule.Expiration
	switch x.Type {
	case pim.ExpirationNone, "":
		exp.SetTypeEscaped(ptr(models.NOEXPIRATION_EXPIRATIONPATTERNTYPE))
	case pim.ExpirationAfterDateTime:
		if x.EndDateTime == nil {
			return nil, fmt.Errorf("expiration afterDateTime needs an end time")
		}
		exp.SetTypeEscaped(ptr(models.AFTERDATETIME_EXPIRATIONPATTERNTYPE))
		exp.SetEndDateTime(ptr(x.EndDateTime.UTC()))
	case pim.ExpirationAfterDuration:
		d, err := formatDuration(x.Duration)
		if err != nil {
			return nil, fmt.Errorf("expiration afterDuration: %v", err)
		}
		exp.SetTypeEscaped(ptr(models.AFTERDURATION_EXPIRATIONPATTERNTYPE))
		exp.SetAdditionalData(map[string]any{"duration": d})
	default:
		return nil, fmt.Errorf("unknown expiration type %q", x.Type)
	}
	sched.SetExpiration(exp)
	body.SetScheduleInfo(sched)
	return body, nil
}

// newRemoveRequest builds the adminRemove body: it names the assignment by its triple, not by a
// request, and carries no schedule.
func newRemoveRequest(t pim.Triple, justification string) (*models.PrivilegedAccessGroupAssignmentScheduleRequest, error) {
	return newRequestBody(models.ADMINREMOVE_SCHEDULEREQUESTACTIONS, t, justification)
}

func newRequestBody(action models.ScheduleRequestActions, t pim.Triple, justification string) (*models.PrivilegedAccessGroupAssignmentScheduleRequest, error) {
	if t.PrincipalID == "" || t.GroupID == "" {
		return nil, fmt.Errorf("principalId and groupId are required")
	}
	access, err := accessToSDK(t.AccessID)
	if err != nil {
		return nil, err
	}
	body := models.NewPrivilegedAccessGroupAssignmentScheduleRequest()
	body.SetAction(ptr(action))
	body.SetPrincipalId(ptr(t.PrincipalID))
	body.SetGroupId(ptr(t.GroupID))
	body.SetAccessId(ptr(access))
	if justification != "" {
		body.SetJustification(ptr(justification))
	}
	return body, nil
}

// accessToSDK maps the access kind; unset means member, as DESIGN §3 has the operator send.
func accessToSDK(a pim.AccessID) (models.PrivilegedAccessGroupRelationships, error) {
	switch a {
	case pim.AccessMember, "":
		return models.MEMBER_PRIVILEGEDACCESSGROUPRELATIONSHIPS, nil
	case pim.AccessOwner:
		return models.OWNER_PRIVILEGEDACCESSGROUPRELATIONSHIPS, nil
	default:
		return 0, fmt.Errorf("unknown accessId %q", a)
	}
}

func accessFromSDK(a *models.PrivilegedAccessGroupRelationships) pim.AccessID {
	if a == nil {
		return ""
	}
	switch *a {
	case models.MEMBER_PRIVILEGEDACCESSGROUPRELATIONSHIPS:
		return pim.AccessMember
	case models.OWNER_PRIVILEGEDACCESSGROUPRELATIONSHIPS:
		return pim.AccessOwner
	default:
		return ""
	}
}

// requestFromSDK copies a request out of the SDK model; every getter may return nil.
func requestFromSDK(m models.PrivilegedAccessGroupAssignmentScheduleRequestable) pim.Request {
	r := pim.Request{
		ID:     deref(m.GetId()),
		Status: pim.Status(deref(m.GetStatus())),
		Triple: pim.Triple{
			PrincipalID: deref(m.GetPrincipalId()),
			GroupID:     deref(m.GetGroupId()),
			AccessID:    accessFromSDK(m.GetAccessId()),
		},
		TargetScheduleID: deref(m.GetTargetScheduleId()),
		Justification:    deref(m.GetJustification()),
		Created:          utc(m.GetCreatedDateTime()),
		Completed:        utc(m.GetCompletedDateTime()),
	}
	if a := m.GetAction(); a != nil && *a >= 0 && *a <= models.UNKNOWNFUTUREVALUE_SCHEDULEREQUESTACTIONS {
		r.Action = pim.Action(a.String())
	}
	if ti := m.GetTicketInfo(); ti != nil && (ti.GetTicketSystem() != nil || ti.GetTicketNumber() != nil) {
		r.Ticket = &pim.Ticket{System: deref(ti.GetTicketSystem()), Number: deref(ti.GetTicketNumber())}
	}
	r.Schedule, r.Start, r.End = scheduleInfoFromSDK(m.GetScheduleInfo(), r.Created)
	return r
}

// scheduleFromSDK copies an assignment schedule out of the SDK model.
func scheduleFromSDK(m models.PrivilegedAccessGroupAssignmentScheduleable) pim.Schedule {
	s := pim.Schedule{
		ID:     deref(m.GetId()),
		Status: pim.Status(deref(m.GetStatus())),
		Triple: pim.Triple{
			PrincipalID: deref(m.GetPrincipalId()),
			GroupID:     deref(m.GetGroupId()),
			AccessID:    accessFromSDK(m.GetAccessId()),
		},
		Created: utc(m.GetCreatedDateTime()),
	}
	_, s.Start, s.End = scheduleInfoFromSDK(m.GetScheduleInfo(), s.Created)
	return s
}

// scheduleInfoFromSDK reads scheduleInfo and works out when the access starts and ends: End is
// endDateTime, or start + duration, and nil for noExpiration. Without a startDateTime the
// request's creation time stands in for the start, since Graph starts such a request at once.
func scheduleInfoFromSDK(rs models.RequestScheduleable, created *time.Time) (info pim.ScheduleInfo, start, end *time.Time) {
	start = created
	if rs == nil {
		return info, start, nil
	}
	if t := utc(rs.GetStartDateTime()); t != nil {
		info.Start, start = t, t
	}
	exp := rs.GetExpiration()
	if exp == nil {
		return info, start, nil
	}
	info.Expiration.EndDateTime = utc(exp.GetEndDateTime())
	d, hasDuration := durationFromSDK(exp)
	if hasDuration {
		info.Expiration.Duration = d
	}
	switch t := exp.GetTypeEscaped(); {
	case t != nil && *t == models.NOEXPIRATION_EXPIRATIONPATTERNTYPE:
		info.Expiration.Type = pim.ExpirationNone
	case t != nil && *t == models.AFTERDATETIME_EXPIRATIONPATTERNTYPE:
		info.Expiration.Type = pim.ExpirationAfterDateTime
	case t != nil && *t == models.AFTERDURATION_EXPIRATIONPATTERNTYPE:
		info.Expiration.Type = pim.ExpirationAfterDuration
	case info.Expiration.EndDateTime != nil:
		info.Expiration.Type = pim.ExpirationAfterDateTime
	case hasDuration:
		info.Expiration.Type = pim.ExpirationAfterDuration
	default:
		info.Expiration.Type = pim.ExpirationNone
	}
	switch {
	case info.Expiration.Type == pim.ExpirationNone:
		end = nil
	case info.Expiration.EndDateTime != nil:
		end = info.Expiration.EndDateTime
	case hasDuration && start != nil:
		end = ptr(start.Add(d))
	}
	return info, start, end
}

// durationFromSDK prefers the raw text that repairingParseNodeFactory set aside, parsed
// with our own parser; kiota's parsed value is only a fallback for bodies that bypassed it.
func durationFromSDK(exp models.ExpirationPatternable) (time.Duration, bool) {
	if raw, ok := exp.GetAdditionalData()[rawDurationKey]; ok {
		var s string
		switch v := raw.(type) {
		case *string:
			if v != nil {
				s = *v
			}
		case string:
			s = v
		}
		if d, err := parseDuration(s); err == nil {
			return d, true
		}
		return 0, false
	}
	if iso := exp.GetDuration(); iso != nil {
		if d, err := iso.ToDuration(); err == nil && d > 0 {
			return d, true
		}
	}
	return 0, false
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utc(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	return ptr(t.UTC())
}
