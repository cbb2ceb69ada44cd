package graphemu

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var innerDateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)

func TestErrorBodyShapeAndHeaders(t *testing.T) {
	h := newHarness(t, Options{})
	const clientID = "7d1f4b8e-2a3c-4d5e-9f60-718293a4b5c6"
	r := h.do(http.MethodGet, requestsPath+"/0b8e5a1c-1111-4222-8333-944455566677", nil, "client-request-id", clientID)

	wantError(t, r, http.StatusNotFound, CodeResourceNotFound)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	// Exactly Graph's envelope: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil || len(raw) != 1 {
		t.Fatalf("body %s: %v", r.body, err)
	}
	keys := []string{}
	for k := range raw["error"] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "code,innerError,message" {
		t.Fatalf("error keys = %v", keys)
	}
	reqID := r.header.Get("request-id")
	if !guidRE.MatchString(reqID) {
		t.Fatalf("request-id header %q", reqID)
	}
	if got := r.header.Get("client-request-id"); got != clientID {
		t.Fatalf("client-request-id header %q, want the one sent", got)
	}
	if got := r.str("error", "innerError", "request-id"); got != reqID {
		t.Fatalf("innerError.request-id %q, header %q", got, reqID)
	}
	if got := r.str("error", "innerError", "client-request-id"); got != clientID {
		t.Fatalf("innerError.client-request-id %q", got)
	}
	if got := r.str("error", "innerError", "date"); !innerDateRE.MatchString(got) || got != t0.Format(innerErrorDateLayout) {
		t.Fatalf("innerError.date %q", got)
	}
}

func TestIDsOnEveryAnswer(t *testing.T) {
	h := newHarness(t, Options{})
	seen := map[string]bool{}
	for _, r := range []*response{
		h.create(assignBody()),
		h.list(requestsPath, "principalId eq '"+principalA+"'"),
		h.cancel("0b8e5a1c-1111-4222-8333-944455566677"),
		h.do(http.MethodGet, "/v1.0/me", nil),
	} {
		id, cid := r.header.Get("request-id"), r.header.Get("client-request-id")
		if !guidRE.MatchString(id) || !guidRE.MatchString(cid) {
			t.Fatalf("%d answer: request-id %q client-request-id %q", r.status, id, cid)
		}
		if seen[id] {
			t.Fatalf("request-id %s reused", id)
		}
		seen[id] = true
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	h := newHarness(t, Options{})
	wantError(t, h.do(http.MethodGet, groupPath+"roleDefinitions", nil), http.StatusBadRequest, CodeBadRequest)
	wantError(t, h.do(http.MethodGet, "/v1.0/policies/roleManagementPolicies", nil), http.StatusBadRequest, CodeBadRequest)
	wantError(t, h.do(http.MethodPost, schedulesPath+"/x/cancel", nil), http.StatusBadRequest, CodeBadRequest)
	wantError(t, h.do(http.MethodPost, instancesPath, "{}"), http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	wantError(t, h.do(http.MethodGet, "/beta/identityGovernance/privilegedAccess/group/assignmentSchedules", nil), http.StatusBadRequest, CodeBadRequest)
	wantError(t, h.do(http.MethodDelete, requestsPath+"/x", nil), http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	wantError(t, h.do(http.MethodGet, requestsPath+"/x/cancel", nil), http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	wantError(t, h.do(http.MethodPost, schedulesPath, "{}"), http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	// Path segments are case-insensitive, as Graph's are.
	wantStatus(t, h.do(http.MethodGet, "/v1.0/IdentityGovernance/PrivilegedAccess/Group/AssignmentSchedules?$filter=groupId%20eq%20%27"+groupA+"%27", nil), http.StatusOK)
}

// What Graph serves but the emulator does not model is 501, never an answer Graph would not
// give: functions that need a signed-in user, and query options.
func TestUnmodelledIsNotImplemented(t *testing.T) {
	h := newHarness(t, Options{})
	for _, path := range []string{
		requestsPath + "/filterByCurrentUser(on='principal')",
		eligibilitySchedulesPath + "/filterByCurrentUser(on='principal')",
		requestsPath + "?$filter=groupId%20eq%20%27" + groupA + "%27&$select=id,status",
		schedulesPath + "?$filter=groupId%20eq%20%27" + groupA + "%27&$top=5",
		eligibilityRequestsPath + "/" + groupA + "?$expand=principal",
	} {
		wantError(t, h.do(http.MethodGet, path, nil), http.StatusNotImplemented, CodeNotModelled)
	}
}

// kiota's default middleware gzips request bodies; Graph accepts them.
func TestGzipRequestBodies(t *testing.T) {
	h := newHarness(t, Options{})
	raw, _ := json.Marshal(assignBody())
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(raw)
	_ = zw.Close()

	r := h.do(http.MethodPost, requestsPath, zipped.String(), "Content-Encoding", "gzip")
	wantStatus(t, r, http.StatusCreated)
	if r.str("principalId") != principalA {
		t.Fatalf("created %s", r)
	}
	c := h.emu.Calls()[0]
	if c.ContentEncoding != "gzip" || c.RequestBody != string(raw) || c.Action != ActionAdminAssign {
		t.Fatalf("call = %+v", c)
	}
	wantError(t, h.do(http.MethodPost, requestsPath, string(raw), "Content-Encoding", "gzip"), http.StatusBadRequest, CodeBadRequest)
	wantError(t, h.do(http.MethodPost, requestsPath, string(raw), "Content-Encoding", "br"), http.StatusUnsupportedMediaType, "UnsupportedMediaType")
	if n := len(h.emu.Requests()); n != 1 {
		t.Fatalf("%d requests stored", n)
	}
}
