package graphemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// handleCreate: POST .../{assignment,eligibility}ScheduleRequests → 201 with the request.
func (e *Emulator) handleCreate(w http.ResponseWriter, r *http.Request, res *resource, body []byte) {
	in, verr := parseCreate(body, res.kind)
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
		rec, err = e.createAssignLocked(res.kind, in, now)
	case ActionAdminRemove:
		rec, err = e.createRemoveLocked(res.kind, in, now)
	}
	if err != nil {
		e.mu.Unlock()
		writeGraphError(w, now, err)
		return
	}
	out := requestEntity{rec}.wire(e.wireStyleLocked())
	e.mu.Unlock()
	writeEntity(w, http.StatusCreated, metadataURL(r, res.set+"/$entity"), out)
}

// handleCancel: POST .../{id}/cancel → 204 No Content.
func (e *Emulator) handleCancel(w http.ResponseWriter, res *resource, id string) {
	e.mu.Lock()
	now := e.clock.now()
	e.settleLocked(now)
	err := e.cancelLocked(res.kind, id, now)
	e.mu.Unlock()
	if err != nil {
		writeGraphError(w, now, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleGet: GET .../{set}/{id}; 404 when unknown, purged or no longer served.
func (e *Emulator) handleGet(w http.ResponseWriter, r *http.Request, res *resource, id string) {
	e.mu.Lock()
	now := e.clock.now()
	e.settleLocked(now)
	found := res.find(e, id)
	if found == nil {
		e.mu.Unlock()
		writeGraphError(w, now, notFound(res.entity, id))
		return
	}
	out := found.wire(e.wireStyleLocked())
	e.mu.Unlock()
	writeEntity(w, http.StatusOK, metadataURL(r, res.set+"/$entity"), out)
}

// handleList: GET .../{set}?$filter=…, scoped by an eq on principalId or groupId as Graph
// requires.
func (e *Emulator) handleList(w http.ResponseWriter, r *http.Request, res *resource) {
	f, ferr := listFilter(r, res)
	e.mu.Lock()
	now := e.clock.now()
	if ferr == nil && !f.scoped() && !e.unscopedListEmpty {
		ferr = badRequest(CodeBadRequest, "The request must be scoped: use $filter with an 'eq' on principalId or groupId.")
	}
	if ferr != nil {
		e.mu.Unlock()
		writeGraphError(w, now, ferr)
		return
	}
	e.settleLocked(now)
	out := collectionJSON{Context: metadataURL(r, res.set), Value: []any{}}
	if f.scoped() {
		style := e.wireStyleLocked()
		for _, it := range res.all(e, now) {
			if f.match(it.property) {
				out.Value = append(out.Value, it.wire(style))
			}
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// listFilter reads $filter (Graph also accepts "filter" without the dollar in v1.0).
func listFilter(r *http.Request, res *resource) (filter, *apiError) {
	q := r.URL.Query()
	text, ok := q["$filter"]
	if !ok {
		text, ok = q["filter"]
	}
	if !ok || len(text) == 0 || text[0] == "" {
		return nil, nil
	}
	var names []string
	for name := range jsonFields(res.wireType) {
		names = append(names, name)
	}
	f, err := parseFilter(text[0], newFilterTarget(res.entity, names, res.filters))
	if err != nil {
		return nil, badRequest(CodeBadRequest, "%s", err.Error())
	}
	return f, nil
}

// writeEntity writes one entity with its @odata.context first, as Graph does.
func writeEntity(w http.ResponseWriter, status int, context string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeGraphError(w, time.Now(), &apiError{status: http.StatusInternalServerError, message: err.Error()})
		return
	}
	ctx, _ := json.Marshal(context)
	var out bytes.Buffer
	out.WriteString(`{"@odata.context":`)
	out.Write(ctx)
	if rest := b[1:]; len(rest) > 1 {
		out.WriteByte(',')
		out.Write(rest)
	} else {
		out.WriteByte('}')
	}
	writeJSON(w, status, json.RawMessage(out.Bytes()))
}
