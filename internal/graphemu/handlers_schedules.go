package graphemu

import "net/http"

// Schedules are served only while live: Provisioned, or Granted for a future start. Graph's
// v1.0 documentation describes assignmentSchedules as the assignments that exist (current and
// future ones) and documents no status for an ended schedule; once an assignment is removed,
// expires or is cancelled, the emulator answers 404 for its id and leaves it out of lists.
// Schedules() still shows ended schedules, with EndedDateTime and EndReason.

// scheduleFilterProperties are the schedule properties the emulator's $filter reads.
var scheduleFilterProperties = []string{"id", "principalId", "groupId", "accessId", "status", "memberType", "assignmentType", "createdUsing"}

func scheduleProperty(s *Schedule, property string) string {
	switch property {
	case "id":
		return s.ID
	case "principalId":
		return s.PrincipalID
	case "groupId":
		return s.GroupID
	case "accessId":
		return s.AccessID
	case "status":
		return s.Status
	case "memberType":
		return s.MemberType
	case "assignmentType":
		return s.AssignmentType
	case "createdUsing":
		return s.CreatedUsing
	}
	return ""
}

// handleGetSchedule: GET .../assignmentSchedules/{id}; 404 when unknown or ended.
func (e *Emulator) handleGetSchedule(w http.ResponseWriter, r *http.Request, id string) {
	e.mu.Lock()
	now := e.clock.now()
	e.settleLocked(now)
	s := e.schedules[id]
	if s == nil || !s.Live() {
		e.mu.Unlock()
		writeGraphError(w, now, scheduleNotFound(id))
		return
	}
	out := toScheduleJSON(s)
	e.mu.Unlock()
	out.Context = metadataURL(r) + "assignmentSchedules/$entity"
	writeJSON(w, http.StatusOK, out)
}

// handleListSchedules: GET .../assignmentSchedules?$filter=... (live schedules only).
func (e *Emulator) handleListSchedules(w http.ResponseWriter, r *http.Request) {
	f, ferr := listFilter(r, "privilegedAccessGroupAssignmentSchedule", scheduleFilterProperties)
	e.mu.Lock()
	now := e.clock.now()
	if ferr == nil && !f.scoped() && !e.unscopedListEmpty {
		ferr = unscopedListError()
	}
	if ferr != nil {
		e.mu.Unlock()
		writeGraphError(w, now, ferr)
		return
	}
	e.settleLocked(now)
	items := []scheduleJSON{}
	if f.scoped() {
		for _, id := range e.scheduleOrder {
			s := e.schedules[id]
			if s.Live() && f.match(func(p string) string { return scheduleProperty(s, p) }) {
				items = append(items, toScheduleJSON(s))
			}
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, collectionJSON[scheduleJSON]{Context: metadataURL(r) + "assignmentSchedules", Value: items})
}
