package graphemu

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Operations: the Graph calls the emulator serves, the same names for both kinds (see
// Call.Kind and Fault.Kind). Faults and the call log name them.
const (
	OpCreateRequest = "createRequest"
	OpGetRequest    = "getRequest"
	OpListRequests  = "listRequests"
	OpCancelRequest = "cancelRequest"
	OpGetSchedule   = "getSchedule"
	OpListSchedules = "listSchedules"
	OpGetInstance   = "getInstance"
	OpListInstances = "listInstances"
)

const (
	graphPrefix           = "/v1.0/"
	headerRequestID       = "request-id"
	headerClientRequestID = "client-request-id"
	// odataJSON is the content type Graph gives its successful JSON answers.
	odataJSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
	// maxBody bounds what the emulator reads of a request body.
	maxBody = 4 << 20
)

// route is where a Graph URL leads: one of the PIM-for-Groups resources, or (with kindName
// KindPolicy) a role management policy read.
type route struct {
	res *resource
	op  string
	id  string
	err *apiError
	// kindName and entityName stand for the resource's kind and entity on the policy routes;
	// expand is their $expand.
	kindName, entityName string
	expand               []expandItem
}

func (rt route) kind() string {
	if rt.res == nil {
		return rt.kindName
	}
	return rt.res.kind
}

// entity is the type of the entities the route's set holds, for messages.
func (rt route) entity() string {
	if rt.res == nil {
		return rt.entityName
	}
	return rt.res.entity
}

// unmodelledQueryOptions are OData options Graph honours and the emulator does not: answering
// as if they were absent would hand a client more (or other) than Graph does.
var unmodelledQueryOptions = []string{"$select", "$expand", "$top", "$skip", "$orderby", "$count", "$search", "$skiptoken"}

// routeGraph maps method, path and query to an operation. Graph's path segments are
// case-insensitive.
func routeGraph(method, path string, query url.Values) route {
	if !strings.HasPrefix(path, graphPrefix) {
		return route{err: badRequest(CodeBadRequest, "Invalid version: the Graph emulator serves only /v1.0.")}
	}
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, graphPrefix), "/"), "/")
	if strings.EqualFold(segs[0], "policies") {
		return routePolicies(method, segs[1:], query)
	}
	base := []string{"identityGovernance", "privilegedAccess", "group"}
	for i, want := range base {
		if i >= len(segs) || !strings.EqualFold(segs[i], want) {
			seg := ""
			if i < len(segs) {
				seg = segs[i]
			}
			return route{err: badRequest(CodeBadRequest, "Resource not found for the segment '%s'.", seg)}
		}
	}
	rest := segs[len(base):]
	if len(rest) == 0 {
		return route{err: badRequest(CodeBadRequest, "Resource not found for the segment '%s'.", "group")}
	}
	res := resourceFor(rest[0])
	if res == nil {
		return route{err: badRequest(CodeBadRequest, "Resource not found for the segment '%s'.", rest[0])}
	}
	if len(rest) > 1 && strings.Contains(rest[1], "(") {
		name, _, _ := strings.Cut(rest[1], "(")
		return route{res: res, err: notModelled("The Graph emulator does not model the function '%s': it needs a signed-in user.", name)}
	}
	for _, opt := range unmodelledQueryOptions {
		for k := range query {
			if strings.EqualFold(k, opt) {
				return route{res: res, err: notModelled("The Graph emulator does not model the query option '%s'.", k)}
			}
		}
	}
	want := func(m, op, id string) route {
		if method != m {
			return route{res: res, op: op, id: id, err: &apiError{status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed,
				message: "The HTTP method '" + method + "' is not allowed on this resource."}}
		}
		return route{res: res, op: op, id: id}
	}
	isRequests := res.getOp == OpGetRequest
	switch {
	case len(rest) == 1 && method == http.MethodPost && isRequests:
		return route{res: res, op: OpCreateRequest}
	case len(rest) == 1:
		return want(http.MethodGet, res.listOp, "")
	case len(rest) == 2:
		return want(http.MethodGet, res.getOp, rest[1])
	case len(rest) == 3 && isRequests && (strings.EqualFold(rest[2], "cancel") || strings.EqualFold(rest[2], "microsoft.graph.cancel")):
		return want(http.MethodPost, OpCancelRequest, rest[1])
	}
	return route{err: badRequest(CodeBadRequest, "Resource not found for the segment '%s'.", rest[len(rest)-1])}
}

// serveGraph answers one Graph call: ids, token check, faults, the operation, the call log.
func (e *Emulator) serveGraph(w http.ResponseWriter, r *http.Request) {
	ids := responseIDs{requestID: uuid.NewString(), clientRequestID: r.Header.Get(headerClientRequestID)}
	if ids.clientRequestID == "" {
		ids.clientRequestID = uuid.NewString()
	}
	ids.set(w.Header())
	encoding := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	body, bodyErr := readBody(r.Body, encoding)
	rt := routeGraph(r.Method, r.URL.Path, r.URL.Query())
	call := Call{
		Time:            e.Now(),
		Kind:            rt.kind(),
		Operation:       rt.op,
		Method:          r.Method,
		Path:            r.URL.RequestURI(),
		RequestBody:     string(body),
		ContentEncoding: encoding,
		RequestID:       ids.requestID,
	}
	if rt.op == OpCreateRequest {
		call.Action = peekAction(body)
	}
	sw := &statusWriter{ResponseWriter: w}

	if rt.err == nil && bodyErr != nil {
		rt.err = bodyErr
	}
	if rt.err != nil {
		writeGraphError(sw, e.Now(), rt.err)
		e.record(call, sw.status)
		return
	}
	if err := e.checkToken(r); err != nil {
		sw.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		writeGraphError(sw, e.Now(), err)
		e.record(call, sw.status)
		return
	}
	if e.overBudget(sw, &call) {
		e.record(call, sw.status)
		return
	}

	f := e.pickFault(call)
	if f != nil {
		call.Fault = true
		if f.Latency > 0 && !sleepCtx(r.Context(), f.Latency) {
			e.record(call, 0)
			return
		}
		switch {
		case f.ResetBeforeApply:
			// Nothing happens, and the client hears nothing but a reset.
			e.record(call, 0)
			dropConnection(w, true)
			return
		case f.DropAfterApply:
			// Perform the change, then drop the connection without an answer.
			buf := newBufferWriter()
			ids.set(buf.Header())
			e.handle(buf, r, rt, body)
			e.record(call, 0)
			dropConnection(w, false)
			return
		case f.Status != 0 || f.Body != "":
			e.writeFault(sw, f, rt)
			e.record(call, sw.status)
			return
		}
	}
	e.handle(sw, r, rt, body)
	e.record(call, sw.status)
}

// readBody reads a request body, gunzipping it when the client compressed it: kiota's
// default middleware gzips request bodies (Content-Encoding: gzip) and Graph accepts them.
func readBody(rd io.Reader, encoding string) ([]byte, *apiError) {
	raw, err := io.ReadAll(io.LimitReader(rd, maxBody))
	if err != nil {
		return nil, badRequest(CodeBadRequest, "The request body could not be read.")
	}
	switch encoding {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return raw, badRequest(CodeBadRequest, "The request body is not valid gzip: %v.", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxBody))
		if err != nil {
			return raw, badRequest(CodeBadRequest, "The request body is not valid gzip: %v.", err)
		}
		return plain, nil
	}
	return raw, &apiError{status: http.StatusUnsupportedMediaType, code: "UnsupportedMediaType",
		message: "The Content-Encoding '" + encoding + "' is not supported."}
}

// handle runs the operation.
func (e *Emulator) handle(w http.ResponseWriter, r *http.Request, rt route, body []byte) {
	switch rt.op {
	case OpListPolicyAssignments, OpListPolicies, OpGetPolicy, OpListPolicyRules:
		e.handlePolicies(w, r, rt)
	case OpCreateRequest:
		e.handleCreate(w, r, rt.res, body)
	case OpCancelRequest:
		e.handleCancel(w, rt.res, rt.id)
	case rt.res.listOp:
		e.handleList(w, r, rt.res)
	case rt.res.getOp:
		e.handleGet(w, r, rt.res, rt.id)
	}
}

// responseIDs are the ids Graph puts on every answer.
type responseIDs struct{ requestID, clientRequestID string }

func (ids responseIDs) set(h http.Header) {
	h.Set(headerRequestID, ids.requestID)
	h.Set(headerClientRequestID, ids.clientRequestID)
}

// checkToken enforces RequireToken.
func (e *Emulator) checkToken(r *http.Request) *apiError {
	e.mu.Lock()
	want := e.requireToken
	e.mu.Unlock()
	if want == "" {
		return nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return &apiError{status: http.StatusUnauthorized, code: CodeInvalidAuthenticationToken, message: "Access token is empty."}
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) != want {
		return &apiError{status: http.StatusUnauthorized, code: CodeInvalidAuthenticationToken, message: "Access token validation failure. Invalid audience."}
	}
	return nil
}

// peekAction reads the action of a create body for faults and the call log, in Graph's
// spelling when it is a known action.
func peekAction(body []byte) string {
	var b struct {
		Action string `json:"action"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	if a, ok := actionNames[strings.ToLower(b.Action)]; ok {
		return a
	}
	return b.Action
}

// writeJSON writes a successful Graph answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeGraphError(w, time.Now(), &apiError{status: http.StatusInternalServerError, message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", odataJSON)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// metadataURL is the @odata.context of a PIM-for-Groups entity set on the server the client
// called.
func metadataURL(r *http.Request, set string) string {
	return odataContext(r, "identityGovernance/privilegedAccess/group/"+set)
}

// odataContext is the @odata.context of a path under the metadata's root.
func odataContext(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/v1.0/$metadata#" + path
}

// sleepCtx waits d unless the client goes away first; false when it did.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// statusWriter remembers the status written, for the call log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
