package graphemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	principalA = "3cce9d87-3986-4f19-8335-7ed075408ca2"
	principalB = "9f1a0e44-5d2c-4c36-8a5b-0b6d1c2e3f40"
	groupA     = "2b5ed229-4072-478d-9504-a047ebd4b07d"
	groupB     = "68e55cce-cf7e-4a2d-9046-3e4e75c4bfa7"

	groupPath                = "/v1.0/identityGovernance/privilegedAccess/group/"
	requestsPath             = groupPath + "assignmentScheduleRequests"
	schedulesPath            = groupPath + "assignmentSchedules"
	instancesPath            = groupPath + "assignmentScheduleInstances"
	eligibilityRequestsPath  = groupPath + "eligibilityScheduleRequests"
	eligibilitySchedulesPath = groupPath + "eligibilitySchedules"
	eligibilityInstancesPath = groupPath + "eligibilityScheduleInstances"
)

// t0 is the emulator's start time in tests; its clock moves only with Advance.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type harness struct {
	t   *testing.T
	emu *Emulator
	srv *httptest.Server
}

// newHarness serves an emulator whose clock starts at t0 and moves only with Advance.
func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	emu := New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &harness{t: t, emu: emu, srv: srv}
}

type response struct {
	status int
	header http.Header
	body   []byte
	obj    map[string]any
}

// get walks the JSON object: get("error", "code").
func (r *response) get(path ...string) any {
	var v any = r.obj
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func (r *response) str(path ...string) string {
	s, _ := r.get(path...).(string)
	return s
}

func (r *response) values() []map[string]any {
	arr, _ := r.get("value").([]any)
	out := []map[string]any{}
	for _, v := range arr {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

func (r *response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// do sends a request; body is JSON-encoded unless it is a string or nil. headers are pairs.
func (h *harness) do(method, path string, body any, headers ...string) *response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	out := &response{status: resp.StatusCode, header: resp.Header, body: raw}
	if len(bytes.TrimSpace(raw)) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out.obj)
	}
	return out
}

// assignBody is an adminAssign body for principalA in groupA, 8 hours from now.
func assignBody(mods ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"action":        "adminAssign",
		"accessId":      "member",
		"principalId":   principalA,
		"groupId":       groupA,
		"justification": "Needed for the release.",
		"ticketInfo":    map[string]any{"ticketNumber": "CHG-1", "ticketSystem": "ServiceNow"},
		"scheduleInfo": map[string]any{
			"expiration": map[string]any{"type": "afterDuration", "duration": "PT8H"},
		},
	}
	for _, m := range mods {
		m(b)
	}
	return b
}

func removeBody(principal, group, access string) map[string]any {
	return map[string]any{
		"action":        "adminRemove",
		"accessId":      access,
		"principalId":   principal,
		"groupId":       group,
		"justification": "No longer needed.",
	}
}

func withStart(t time.Time) func(map[string]any) {
	return func(b map[string]any) {
		b["scheduleInfo"].(map[string]any)["startDateTime"] = t.Format(time.RFC3339)
	}
}

func withExpiration(exp map[string]any) func(map[string]any) {
	return func(b map[string]any) { b["scheduleInfo"].(map[string]any)["expiration"] = exp }
}

func with(key string, v any) func(map[string]any) {
	return func(b map[string]any) {
		if v == nil {
			delete(b, key)
			return
		}
		b[key] = v
	}
}

// create posts an assignment request and requires 201.
func (h *harness) create(body map[string]any) *response {
	h.t.Helper()
	return h.createIn(requestsPath, body)
}

// createIn posts a request to the requests path of either kind and requires 201.
func (h *harness) createIn(path string, body map[string]any) *response {
	h.t.Helper()
	r := h.do(http.MethodPost, path, body)
	if r.status != http.StatusCreated {
		h.t.Fatalf("create: want 201, got %s", r)
	}
	return r
}

func (h *harness) getRequest(id string) *response {
	h.t.Helper()
	return h.do(http.MethodGet, requestsPath+"/"+url.PathEscape(id), nil)
}

func (h *harness) getSchedule(id string) *response {
	h.t.Helper()
	return h.do(http.MethodGet, schedulesPath+"/"+url.PathEscape(id), nil)
}

func (h *harness) cancel(id string) *response {
	h.t.Helper()
	return h.do(http.MethodPost, requestsPath+"/"+url.PathEscape(id)+"/cancel", nil)
}

// list sends a filtered list the way the SDK encodes it.
func (h *harness) list(path, filter string) *response {
	h.t.Helper()
	q := ""
	if filter != "" {
		q = "?%24filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
	}
	return h.do(http.MethodGet, path+q, nil)
}

// activate seeds a user's activation, and first the eligibility it needs.
func (h *harness) activate(a Activation) Request {
	h.t.Helper()
	if _, err := h.emu.SeedEligibility(Eligibility{PrincipalID: a.PrincipalID, GroupID: a.GroupID, AccessID: a.AccessID}); err != nil && !errors.Is(err, ErrEligibilityExists) {
		h.t.Fatal(err)
	}
	req, err := h.emu.SeedActivation(a)
	if err != nil {
		h.t.Fatalf("SeedActivation: %v", err)
	}
	return req
}

func tripleFilter(principal, group string) string {
	return fmt.Sprintf("principalId eq '%s' and groupId eq '%s'", principal, group)
}

// wantError requires a Graph error with this status and code.
func wantError(t *testing.T, r *response, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error", "code") != code {
		t.Fatalf("want %d %s, got %s", status, code, r)
	}
}

func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("want %d, got %s", status, r)
	}
}

func ids(items []map[string]any) []string {
	out := []string{}
	for _, it := range items {
		s, _ := it["id"].(string)
		out = append(out, s)
	}
	return out
}

func gt(t time.Time) string { return t.UTC().Format(graphTimeLayout) }
