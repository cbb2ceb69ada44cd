package graph

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

func TestClassifyTable(t *testing.T) {
	ra := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	for _, tc := range []struct {
		op     string
		status int
		code   string
		header http.Header
		want   pim.ErrorClass
		retry  time.Duration
	}{
		{OpCreateRequest, 429, "", ra("5"), pim.ClassThrottled, 5 * time.Second},
		{OpCreateRequest, 429, "", nil, pim.ClassThrottled, 0},
		{OpGetRequest, 503, "", ra("3"), pim.ClassThrottled, 3 * time.Second},
		{OpGetRequest, 504, "", ra("3"), pim.ClassThrottled, 3 * time.Second},
		{OpGetRequest, 503, "", nil, pim.ClassTransient, 0},
		{OpGetRequest, 500, "", ra("3"), pim.ClassTransient, 0},
		{OpGetRequest, 502, "", nil, pim.ClassTransient, 0},
		{OpGetRequest, 599, "", nil, pim.ClassTransient, 0},
		{OpRemoveAccess, 400, "ActiveDurationTooShort", nil, pim.ClassTransient, 0},
		{OpRemoveAccess, 400, "activedurationtooshort", nil, pim.ClassTransient, 0},
		{OpCreateRequest, 400, "PendingRoleAssignmentRequest", nil, pim.ClassTransient, 0},
		{OpRemoveAccess, 400, "RoleAssignmentDoesNotExist", nil, pim.ClassAlreadyGone, 0},
		{OpRemoveAccess, 404, "RoleAssignmentDoesNotExist", nil, pim.ClassAlreadyGone, 0},
		{OpCreateRequest, 400, "RoleAssignmentExists", nil, pim.ClassAssignmentExists, 0},
		{OpCreateRequest, 409, "RoleAssignmentExists", nil, pim.ClassAssignmentExists, 0},
		{OpCreateRequest, 400, "RoleAssignmentRequestPolicyValidationFailed", nil, pim.ClassUserFixable, 0},
		{OpCreateRequest, 400, "InvalidRoleAssignmentRequest", nil, pim.ClassUserFixable, 0},
		{OpCreateRequest, 400, "", nil, pim.ClassUserFixable, 0},
		{OpCreateRequest, 409, "Conflict", nil, pim.ClassUserFixable, 0},
		{OpCreateRequest, 422, "", nil, pim.ClassUserFixable, 0},
		{OpGetRequest, 404, "", nil, pim.ClassNotFound, 0},
		{OpGetSchedule, 404, "ResourceNotFound", nil, pim.ClassNotFound, 0},
		{OpCancelRequest, 400, "", nil, pim.ClassNotCancellable, 0},
		{OpCancelRequest, 400, "PendingRoleAssignmentRequest", nil, pim.ClassNotCancellable, 0},
		{OpCancelRequest, 404, "", nil, pim.ClassNotFound, 0},
		{OpCreateRequest, 403, "", nil, pim.ClassForbidden, 0},
		{OpCreateRequest, 403, "RoleAssignmentExists", nil, pim.ClassForbidden, 0},
		{OpGetRequest, 401, "", nil, pim.ClassUnauthenticated, 0},
		{OpGetRequest, 408, "", nil, pim.ClassTransient, 0},
		{OpGetRequest, 500, "RoleAssignmentExists", nil, pim.ClassTransient, 0},
		{OpGetRequest, 0, "", nil, pim.ClassTransient, 0},
		{OpGetRequest, 302, "", nil, pim.ClassTransient, 0},
		{OpGetRequest, 700, "", nil, pim.ClassTransient, 0},
		{OpGetRequest, -1, "", nil, pim.ClassTransient, 0},
	} {
		h := tc.header
		if h == nil {
			h = http.Header{}
		}
		e := classify(tc.op, tc.status, tc.code, "msg", "rid", h)
		if e.Class != tc.want || e.RetryAfter != tc.retry || e.HTTPStatus != tc.status || e.Op != tc.op || e.Code != tc.code || e.Message != "msg" || e.RequestID != "rid" {
			t.Errorf("classify(%s, %d, %q, %v) = %+v; want class %s retry %s", tc.op, tc.status, tc.code, tc.header, e, tc.want, tc.retry)
		}
	}
}

func TestForbiddenSaysWhichPermission(t *testing.T) {
	e := classify(OpCreateRequest, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "rid", http.Header{})
	msg := e.Error()
	for _, want := range []string{"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup", "multifactor", "Insufficient privileges", "rid"} {
		if !strings.Contains(msg, want) {
			t.Errorf("403 error %q does not mention %q", msg, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		" 7 ":                           7 * time.Second,
		"1.5":                           1500 * time.Millisecond,
		"0":                             0,
		"-3":                            0,
		"NaN":                           0,
		"Inf":                           maxRetryAfter,
		"99999999999999999999":          maxRetryAfter,
		"86400":                         maxRetryAfter,
		"soon":                          0,
		"Wed, 01 Jan 2025 10:00:30 GMT": 30 * time.Second,
		"Wed, 01 Jan 2025 09:00:00 GMT": 0,
		"Thu, 02 Jan 2025 10:00:00 GMT": maxRetryAfter,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseErrorBody(t *testing.T) {
	for _, tc := range []struct {
		ct, body             string
		code, msg, rid, want string
	}{
		{"application/json", `{"error":{"code":"C","message":"M","innerError":{"request-id":"R"}}}`, "C", "M", "R", ""},
		{"application/json", `{"error":{"code":"C","message":"M","innererror":{"request-id":"R"}}}`, "C", "M", "R", ""},
		{"application/json", `{"ERROR":{"Code":"C","Message":"M"}}`, "C", "M", "", ""},
		{"application/json", `{"error":{"code":"C","message":{"lang":"en","value":"old OData"}}}`, "C", "old OData", "", ""},
		{"application/json", `{"error":{"code":42,"message":null,"innerError":"x"}}`, "42", "", "", ""},
		{"application/json", `{}`, "", "", "", "no Graph error object"},
		{"application/json", `[]`, "", "", "", "no Graph error object"},
		{"application/json", `null`, "", "", "", "no Graph error object"},
		{"", "   ", "", "", "", ""},
		{"text/html; charset=utf-8", "<html>\n<title>Oops</title></html>", "", "", "", "text/html"},
		{"", "\x00\xff garbage", "", "", "", "unknown content type"},
	} {
		code, msg, rid, detail := parseErrorBody(tc.ct, []byte(tc.body))
		if code != tc.code || msg != tc.msg || rid != tc.rid || !strings.Contains(detail, tc.want) || (tc.want == "" && detail != "") {
			t.Errorf("parseErrorBody(%q, %q) = %q %q %q %q; want %q %q %q %q", tc.ct, tc.body, code, msg, rid, detail, tc.code, tc.msg, tc.rid, tc.want)
		}
	}
}

func TestClassifyCapsHugeFields(t *testing.T) {
	long := strings.Repeat("é", 5000)
	e := classifyResponse(OpCreateRequest, 400, http.Header{}, []byte(`{"error":{"code":"`+long+`","message":"`+long+`"}}`))
	if len(e.Code) > maxCodeLen+len("…") || len(e.Message) > maxMessageLen+len("…") {
		t.Errorf("code %d bytes, message %d bytes", len(e.Code), len(e.Message))
	}
	if !strings.HasSuffix(e.Message, "…") || strings.ContainsRune(e.Message, '\uFFFD') {
		t.Errorf("message was not cut on a rune boundary")
	}
}
