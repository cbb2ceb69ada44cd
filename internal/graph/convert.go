package graph

import (
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// request is the wire request in the operator's terms.
func (w *wireRequest) request() pim.Request {
	r := pim.Request{
		ID:               w.ID,
		Status:           pim.Status(w.Status),
		Action:           pim.Action(actions.normalize(w.Action)),
		Triple:           triple(w.PrincipalID, w.GroupID, w.AccessID),
		TargetScheduleID: w.TargetScheduleID,
		Justification:    w.Justification,
		Created:          w.CreatedDateTime.ptr(),
		Completed:        w.CompletedDateTime.ptr(),
	}
	if t := w.TicketInfo; t != nil && (t.TicketSystem != "" || t.TicketNumber != "") {
		r.Ticket = &pim.Ticket{System: t.TicketSystem, Number: t.TicketNumber}
	}
	r.Schedule, r.Start, r.End = w.ScheduleInfo.window(r.Created)
	return r
}

// schedule is the wire schedule or instance in the operator's terms.
func (w *wireAccess) schedule() pim.Schedule {
	s := pim.Schedule{
		ID:             w.ID,
		Status:         pim.Status(w.Status),
		Triple:         triple(w.PrincipalID, w.GroupID, w.AccessID),
		MemberType:     pim.MemberType(memberTypes.normalize(w.MemberType)),
		AssignmentType: pim.AssignmentType(assignmentTypes.normalize(w.AssignmentType)),
		CreatedUsing:   w.CreatedUsing,
		Created:        w.CreatedDateTime.ptr(),
	}
	if w.ScheduleInfo == nil && (!w.StartDateTime.IsZero() || !w.EndDateTime.IsZero()) {
		// An instance: its window is already resolved to two times.
		s.Start, s.End = w.StartDateTime.ptr(), w.EndDateTime.ptr()
		return s
	}
	_, s.Start, s.End = w.ScheduleInfo.window(s.Created)
	return s
}

func triple(principalID, groupID, accessID string) pim.Triple {
	return pim.Triple{PrincipalID: principalID, GroupID: groupID, AccessID: pim.AccessID(accessIDs.normalize(accessID))}
}

// window reads scheduleInfo and works out when the access starts and ends: the end is
// endDateTime, or start + duration, and nil for noExpiration. Without a startDateTime the
// creation time stands in for the start, since Graph starts such a request at once.
func (w *wireSchedule) window(created *time.Time) (info pim.ScheduleInfo, start, end *time.Time) {
	start = created
	if w == nil {
		return info, start, nil
	}
	if t := w.StartDateTime.ptr(); t != nil {
		info.Start, start = t, t
	}
	x := w.Expiration
	if x == nil {
		return info, start, nil
	}
	info.Expiration.EndDateTime = x.EndDateTime.ptr()
	// A duration that does not parse is ignored rather than failing the whole answer: the
	// access then has no known end, which never makes it look ended.
	d, err := parseDuration(x.Duration)
	hasDuration := err == nil
	if hasDuration {
		info.Expiration.Duration = d
	}
	switch t := expirationTypes.normalize(x.Type); {
	case t == string(pim.ExpirationNone), t == string(pim.ExpirationAfterDateTime), t == string(pim.ExpirationAfterDuration):
		info.Expiration.Type = pim.ExpirationType(t)
	case info.Expiration.EndDateTime != nil:
		info.Expiration.Type = pim.ExpirationAfterDateTime
	case hasDuration:
		info.Expiration.Type = pim.ExpirationAfterDuration
	default:
		info.Expiration.Type = pim.ExpirationNone
	}
	switch {
	case info.Expiration.Type == pim.ExpirationNone:
	case info.Expiration.EndDateTime != nil:
		end = info.Expiration.EndDateTime
	case hasDuration && start != nil:
		end = ptr(start.Add(d))
	}
	return info, start, end
}

func ptr[T any](v T) *T { return &v }
