package graphemu

import (
	"net/http"
)

// requestFilterProperties are the request properties the emulator's $filter reads.
var requestFilterProperties = []string{"id", "principalId", "groupId", "accessId", "status", "action", "targetScheduleId"}

func requestProperty(r *Request, property string) string {
	switch property {
	case "id":
		return r.ID
	case "principalId":
		return r.PrincipalID
	case "groupId":
		return r.GroupID
	case "accessId":
		return r.AccessID
	case "status":
		return r.Status
	case "action":
		return r.Action
	case "targetScheduleId":
		return r.TargetScheduleID
	}
	return ""
}

// handleCreateRequest: POST .../assignmentScheduleRequests → 201 with the request.
func (e *Emulator) handleCreateRequest(w http.ResponseWriter, r *http.Request, body []byte) {
	in, verr := parseCreate(body)
	e.mu.Lock()
	now := e.clock.now()
	if verr != nil {
		e.mu.Unlock()
		writeGraphError(w, now, verr)
		return
	}
	e.settleLocked(now)
	var rec *requestRecord
	var err *apiError
	switch in.action {
	case ActionAdminAssign:
		rec, err = e.createAssignLocked(in, now)
	case ActionAdminRemove:
		rec, err = e.createRemoveLocked(in, now)
	}
	if err != nil {
		e.mu.Unlock()
		writeGraphError(w, now, err)
		return
	}
	out := toRequestJSON(rec)
	e.mu.Unlock()
	out.Context = metadataURL(r) + "assignmentScheduleRequests/$entity"
	writeJSON(w, http.StatusCreated, out)
}

// handleGetRequest: GET .../assignmentScheduleRequests/{id}; 404 when unknown or purged.
func (e *Emulator) handleGetRequest(w http.ResponseWriter, r *http.Request, id string) {
	e.mu.Lock()
	now := e.clock.now()
	e.settleLocked(now)
	rec := e.requests[id]
	if rec == nil {
		e.mu.Unlock()
		writeGraphError(w, now, requestNotFound(id))
		return
	}
	out := toRequestJSON(rec)
	e.mu.Unlock()
	out.Context = metadataURL(r) + "assignmentScheduleRequests/$entity"
	writeJSON(w, http.StatusOK, out)
}

// handleListRequests: GET .../assignmentScheduleRequests?$filter=... A request created less
// than ListLag ago is not listed yet.
func (e *Emulator) handleListRequests(w http.ResponseWriter, r *http.Request) {
	f, ferr := listFilter(r, "privilegedAccessGroupAssignmentScheduleRequest", requestFilterProperties)
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
	items := []requestJSON{}
	if f.scoped() {
		for _, id := range e.requestOrder {
			rec := e.requests[id]
			if rec == nil || now.Before(rec.visibleAt) {
				continue
			}
			if f.match(func(p string) string { return requestProperty(&rec.Request, p) }) {
				items = append(items, toRequestJSON(rec))
			}
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, collectionJSON[requestJSON]{Context: metadataURL(r) + "assignmentScheduleRequests", Value: items})
}

// handleCancelRequest: POST .../assignmentScheduleRequests/{id}/cancel → 204 No Content.
func (e *Emulator) handleCancelRequest(w http.ResponseWriter, id string) {
	e.mu.Lock()
	now := e.clock.now()
	e.settleLocked(now)
	err := e.cancelLocked(id, now)
	e.mu.Unlock()
	if err != nil {
		writeGraphError(w, now, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listFilter reads $filter (Graph also accepts "filter" without the dollar in v1.0).
func listFilter(r *http.Request, entity string, properties []string) (filter, *apiError) {
	q := r.URL.Query()
	text, ok := q["$filter"]
	if !ok {
		text, ok = q["filter"]
	}
	if !ok || len(text) == 0 || text[0] == "" {
		return nil, nil
	}
	f, err := parseFilter(text[0], entity, properties)
	if err != nil {
		return nil, badRequest(CodeBadRequest, "%s", err.Error())
	}
	return f, nil
}

// unscopedListError is the answer to a list without an eq on principalId or groupId, which
// Graph's documentation says the list requires.
func unscopedListError() *apiError {
	return badRequest(CodeBadRequest, "The request must be scoped: use $filter with an 'eq' on principalId or groupId.")
}
