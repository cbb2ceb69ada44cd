package graphemu

import "time"

// Call is one Graph call the emulator received (control calls are not recorded).
type Call struct {
	// Time is when the call arrived, by the emulator's clock.
	Time time.Time `json:"time"`
	// Kind is KindAssignment or KindEligibility, after the URL's entity set; "" for a URL the
	// emulator does not serve.
	Kind string `json:"kind,omitempty"`
	// Operation is one of the Op constants; "" for a URL the emulator does not serve.
	Operation string `json:"operation"`
	Method    string `json:"method"`
	// Path is the request URI: path and query.
	Path string `json:"path"`
	// Action is the create body's action (createRequest only).
	Action string `json:"action,omitempty"`
	// RequestBody is the body as the emulator read it (after gunzipping).
	RequestBody string `json:"requestBody,omitempty"`
	// ContentEncoding is the request's Content-Encoding ("gzip" when kiota's compression
	// handler is in the client's middleware).
	ContentEncoding string `json:"contentEncoding,omitempty"`
	// Status is the HTTP status answered; 0 when no answer was sent (a dropped connection,
	// or a client that went away during injected latency).
	Status int `json:"status"`
	// RequestID is the request-id header the emulator answered with.
	RequestID string `json:"requestId"`
	// Fault is true when a Fault fired for the call.
	Fault bool `json:"fault,omitempty"`
	// Throttled is true when the write budget (SetWriteBudget) answered 429: the client wrote
	// faster than Graph allows.
	Throttled bool `json:"throttled,omitempty"`
}

func (e *Emulator) record(c Call, status int) {
	c.Status = status
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, c)
}

// Calls returns the Graph calls received so far, in the order they were answered.
func (e *Emulator) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Call{}, e.calls...)
}

// ResetCalls forgets the calls recorded so far.
func (e *Emulator) ResetCalls() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = nil
}

// CountCalls counts the calls of one operation, of either kind ("" counts every call).
func (e *Emulator) CountCalls(op string) int {
	return e.CountKindCalls("", op, "")
}

// CountCallsWithAction counts the calls of one operation with one action, of either kind, e.g.
// CountCallsWithAction(OpCreateRequest, ActionAdminAssign); action "" matches any.
func (e *Emulator) CountCallsWithAction(op, action string) int {
	return e.CountKindCalls("", op, action)
}

// CountKindCalls counts the calls of one kind, operation and action, e.g.
// CountKindCalls(KindEligibility, OpCreateRequest, ActionAdminRemove); "" matches any.
func (e *Emulator) CountKindCalls(kind, op, action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.calls {
		if (kind == "" || c.Kind == kind) && (op == "" || c.Operation == op) && (action == "" || c.Action == action) {
			n++
		}
	}
	return n
}
