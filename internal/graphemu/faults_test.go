package graphemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestThrottleFaultWithRetryAfter(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.AddFault(Fault{Operation: OpCreateRequest, Status: http.StatusTooManyRequests, RetryAfter: 2500 * time.Millisecond, Count: 1})

	r := h.do(http.MethodPost, requestsPath, assignBody())
	wantError(t, r, http.StatusTooManyRequests, CodeTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "3" {
		t.Fatalf("Retry-After = %q, want 3 (seconds, rounded up)", got)
	}
	if r.str("error", "innerError", "request-id") != r.header.Get("request-id") {
		t.Fatal("fault body lacks the request-id")
	}
	if n := len(h.emu.Requests()); n != 0 {
		t.Fatalf("a throttled create stored %d requests", n)
	}
	// Count 1: spent.
	h.create(assignBody())
	if len(h.emu.Faults()) != 0 {
		t.Fatal("a spent fault is still listed")
	}
	calls := h.emu.Calls()
	if len(calls) != 2 || calls[0].Status != 429 || !calls[0].Fault || calls[1].Status != 201 || calls[1].Fault {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestFaultDefaultsAndCodes(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.AddFault(Fault{Operation: OpListRequests, Status: http.StatusTooManyRequests, Count: 1})
	h.emu.AddFault(Fault{Operation: OpListRequests, Status: http.StatusTooManyRequests, RetryAfter: -1, Count: 1})
	h.emu.AddFault(Fault{Operation: OpListRequests, Status: http.StatusServiceUnavailable, RetryAfter: 5 * time.Second, Count: 1})
	h.emu.AddFault(Fault{Operation: OpListRequests, Status: http.StatusForbidden, Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation.", Count: 1})

	f := "groupId eq '" + groupA + "'"
	r := h.list(requestsPath, f)
	if r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("429 without RetryAfter: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	r = h.list(requestsPath, f)
	if r.status != 429 || r.header.Get("Retry-After") != "" {
		t.Fatalf("429 with negative RetryAfter: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	r = h.list(requestsPath, f)
	wantError(t, r, http.StatusServiceUnavailable, CodeServiceUnavailable)
	if r.header.Get("Retry-After") != "5" {
		t.Fatalf("503 Retry-After %q", r.header.Get("Retry-After"))
	}
	r = h.list(requestsPath, f)
	wantError(t, r, http.StatusForbidden, "Authorization_RequestDenied")
	if r.str("error", "message") != "Insufficient privileges to complete the operation." {
		t.Fatalf("message %q", r.str("error", "message"))
	}
	wantStatus(t, h.list(requestsPath, f), http.StatusOK)
}

func TestMalformedBodyFaults(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.create(assignBody()).str("id")

	h.emu.AddFault(Fault{Operation: OpGetRequest, Status: http.StatusOK, Body: "{}", Count: 1})
	r := h.getRequest(id)
	if r.status != 200 || string(r.body) != "{}" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}

	const page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
	h.emu.AddFault(Fault{Status: http.StatusBadGateway, Body: page, Count: 1})
	r = h.getRequest(id)
	if r.status != 502 || string(r.body) != page || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	// An error status with an empty-message body: {"error":{"code":"x"}} (the SDK's panic case).
	h.emu.AddFault(Fault{Operation: OpCancelRequest, Status: http.StatusBadRequest, Body: `{"error":{"code":"UnknownError"}}`, Count: 1})
	r = h.cancel(id)
	if r.status != 400 || r.str("error", "code") != "UnknownError" || r.get("error", "message") != nil {
		t.Fatalf("got %s", r)
	}
	if got := h.getRequest(id).str("status"); got != StatusProvisioned {
		t.Fatalf("status %q", got)
	}
}

func TestFaultActionFilter(t *testing.T) {
	h := newHarness(t, Options{MinActiveAge: -1})
	h.emu.AddFault(Fault{Operation: OpCreateRequest, Action: ActionAdminRemove, Status: http.StatusInternalServerError})
	h.create(assignBody())
	wantError(t, h.do(http.MethodPost, requestsPath, removeBody(principalA, groupA, "member")), http.StatusInternalServerError, CodeInternalServerError)
	h.create(assignBody(with("principalId", principalB)))
	if n := h.emu.CountCallsWithAction(OpCreateRequest, ActionAdminAssign); n != 2 {
		t.Fatalf("adminAssign creates = %d", n)
	}
	if n := h.emu.CountCallsWithAction(OpCreateRequest, ActionAdminRemove); n != 1 {
		t.Fatalf("adminRemove creates = %d", n)
	}
	h.emu.ClearFaults()
	h.create(removeBody(principalA, groupA, "member"))
}

// postWithoutAnswer creates an assignment request and requires a connection error instead
// of an answer.
func (h *harness) postWithoutAnswer(body map[string]any) {
	h.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+requestsPath, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.srv.Client().Do(req)
	if err == nil {
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h.t.Fatalf("the client got an answer: %d %s", resp.StatusCode, answer)
	}
}

func TestDropAfterApply(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.AddFault(Fault{Operation: OpCreateRequest, DropAfterApply: true, Count: 1})

	h.postWithoutAnswer(assignBody())
	// Yet the request exists, provisioned.
	reqs := h.emu.Requests()
	if len(reqs) != 1 || reqs[0].Status != StatusProvisioned {
		t.Fatalf("requests after a dropped create: %+v", reqs)
	}
	if r := h.list(schedulesPath, tripleFilter(principalA, groupA)); len(r.values()) != 1 {
		t.Fatalf("schedule after a dropped create: %s", r)
	}
	calls := h.emu.Calls()
	if len(calls) < 1 || calls[0].Status != 0 || !calls[0].Fault || calls[0].Action != ActionAdminAssign {
		t.Fatalf("call log: %+v", calls)
	}
	// A retry of the same create now meets the assignment.
	wantError(t, h.do(http.MethodPost, requestsPath, assignBody()), http.StatusBadRequest, CodeRoleAssignmentExists)
}

func TestLatencyFault(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.AddFault(Fault{Operation: OpGetSchedule, Latency: 80 * time.Millisecond, Count: 1})
	start := time.Now()
	wantError(t, h.getSchedule("nope"), http.StatusNotFound, CodeResourceNotFound)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Fatalf("answered after %v, want at least 80ms", d)
	}
	if c := h.emu.Calls(); len(c) != 1 || !c[0].Fault || c[0].Status != 404 {
		t.Fatalf("calls %+v", c)
	}
}

func TestFaultRateIsSeeded(t *testing.T) {
	fired := func(seed uint64) []bool {
		e := New(Options{Seed: seed, Now: func() time.Time { return t0 }})
		e.AddFault(Fault{Status: 503, Rate: 0.3})
		out := make([]bool, 200)
		for i := range out {
			out[i] = e.pickFault(Call{Operation: OpGetRequest}) != nil
		}
		return out
	}
	a, b, c := fired(7), fired(7), fired(8)
	n, same := 0, true
	for i := range a {
		if a[i] {
			n++
		}
		if a[i] != b[i] {
			same = false
		}
	}
	if !same {
		t.Fatal("the same seed gave different firings")
	}
	if n < 35 || n > 85 {
		t.Fatalf("rate 0.3 fired %d of 200", n)
	}
	diff := false
	for i := range a {
		diff = diff || a[i] != c[i]
	}
	if !diff {
		t.Fatal("different seeds gave the same firings")
	}
}

func TestFaultOperationMatching(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.AddFault(Fault{Operation: OpGetSchedule, Status: 500})
	// Other operations pass.
	id := h.create(assignBody()).str("id")
	wantStatus(t, h.getRequest(id), http.StatusOK)
	wantError(t, h.getSchedule(groupA+"_member_"+id), http.StatusInternalServerError, CodeInternalServerError)
	h.emu.ClearFaults()
	// "" matches every operation.
	h.emu.AddFault(Fault{Status: 504, Count: 2})
	wantError(t, h.getRequest(id), http.StatusGatewayTimeout, CodeGatewayTimeout)
	wantError(t, h.list(schedulesPath, "groupId eq '"+groupA+"'"), http.StatusGatewayTimeout, CodeGatewayTimeout)
	wantStatus(t, h.getRequest(id), http.StatusOK)
}

func TestResetBeforeApply(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.AddFault(Fault{Operation: OpCreateRequest, ResetBeforeApply: true, Count: 1})

	h.postWithoutAnswer(assignBody())
	// Nothing happened.
	if reqs := h.emu.Requests(); len(reqs) != 0 {
		t.Fatalf("requests after a reset create: %+v", reqs)
	}
	if c := h.emu.Calls(); len(c) != 1 || c[0].Status != 0 || !c[0].Fault || c[0].Action != ActionAdminAssign {
		t.Fatalf("call log: %+v", c)
	}
	// The retry is the first create Graph sees.
	h.create(assignBody())
}

func TestFaultActiveForAWindowOfTheClock(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.create(assignBody()).str("id")
	// A replication 404 for 30 seconds: it reads as Graph's own miss.
	h.emu.AddFault(Fault{Kind: KindAssignment, Operation: OpGetRequest, Status: http.StatusNotFound, ActiveFor: 30 * time.Second})
	r := h.getRequest(id)
	wantError(t, r, http.StatusNotFound, CodeResourceNotFound)
	if want := "The privilegedAccessGroupAssignmentScheduleRequest '" + id + "' was not found."; r.str("error", "message") != want {
		t.Fatalf("message %q, want %q", r.str("error", "message"), want)
	}
	h.emu.Advance(29 * time.Second)
	wantError(t, h.getRequest(id), http.StatusNotFound, CodeResourceNotFound)
	if n := len(h.emu.Faults()); n != 1 {
		t.Fatalf("%d faults inside the window", n)
	}
	h.emu.Advance(time.Second)
	wantStatus(t, h.getRequest(id), http.StatusOK)
	if n := len(h.emu.Faults()); n != 0 {
		t.Fatalf("%d faults after the window", n)
	}
	// With a count too, whichever ends first.
	h.emu.AddFault(Fault{Operation: OpGetRequest, Status: http.StatusNotFound, ActiveFor: time.Hour, Count: 2})
	wantError(t, h.getRequest(id), http.StatusNotFound, CodeResourceNotFound)
	wantError(t, h.getRequest(id), http.StatusNotFound, CodeResourceNotFound)
	wantStatus(t, h.getRequest(id), http.StatusOK)
	// The kind must match.
	h.emu.AddFault(Fault{Kind: KindEligibility, Status: http.StatusNotFound})
	wantStatus(t, h.getRequest(id), http.StatusOK)
}

func TestControlFaultFields(t *testing.T) {
	h := newHarness(t, Options{})
	wantStatus(t, h.do(http.MethodPost, "/_emulator/faults", map[string]any{"kind": "eligibility", "operation": "listInstances", "status": 404, "activeFor": "1m"}), http.StatusCreated)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/faults", map[string]any{"operation": "createRequest", "resetBeforeApply": true, "count": 1}), http.StatusCreated)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/faults", map[string]any{"kind": "role"}), http.StatusBadRequest)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/faults", map[string]any{"activeFor": "soon"}), http.StatusBadRequest)
	f := h.emu.Faults()
	if len(f) != 2 || f[0].Kind != KindEligibility || f[0].Operation != OpListInstances || f[0].ActiveFor != time.Minute || !f[1].ResetBeforeApply {
		t.Fatalf("faults %+v", f)
	}
	var listed []faultJSON
	if err := json.Unmarshal(h.do(http.MethodGet, "/_emulator/faults", nil).body, &listed); err != nil || listed[0].ActiveFor != "1m0s" || listed[0].Kind != KindEligibility {
		t.Fatalf("GET faults %v %+v", err, listed)
	}
	wantError(t, h.list(eligibilityInstancesPath, "groupId eq '"+groupA+"'"), http.StatusNotFound, CodeResourceNotFound)
	wantStatus(t, h.list(instancesPath, "groupId eq '"+groupA+"'"), http.StatusOK)
}
