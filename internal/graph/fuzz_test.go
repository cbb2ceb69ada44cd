package graph

import (
	"net/http"
	"testing"

	"github.com/pim-operator/pim-operator/internal/pim"
)

var allClasses = map[pim.ErrorClass]bool{
	pim.ClassThrottled: true, pim.ClassTransient: true, pim.ClassNotFound: true, pim.ClassNotCancellable: true,
	pim.ClassAlreadyGone: true, pim.ClassAssignmentExists: true, pim.ClassUserFixable: true,
	pim.ClassForbidden: true, pim.ClassUnauthenticated: true,
}

// FuzzClassify feeds arbitrary statuses, bodies and headers through the production error path
// (classifyResponse) and the same bodies through the decoding every success body passes. None
// may panic, and every failure must get a class.
func FuzzClassify(f *testing.F) {
	ops := []string{OpCreateRequest, OpGetRequest, OpFindRequests, OpCancelRequest, OpRemoveAccess, OpGetSchedule, OpFindLiveSchedules}
	seeds := []struct {
		status      int
		body        string
		contentType string
		retryAfter  string
	}{
		{400, `{"error":{"code":"RoleAssignmentExists","message":"exists","innerError":{"date":"2025-01-01T10:00:00","request-id":"r","client-request-id":"c"}}}`, "application/json", ""},
		{400, `{"error":{"code":"ActiveDurationTooShort"}}`, "application/json", ""},
		{404, `{"error":{"message":null,"code":null,"innerError":null}}`, "application/json", ""},
		{429, `{"error":{"code":"TooManyRequests","message":"x"}}`, "application/json", "7"},
		{503, ``, "", "Wed, 21 Oct 2015 07:28:00 GMT"},
		{502, `<html><title>Bad Gateway</title></html>`, "text/html", ""},
		{400, `{}`, "application/json", ""},
		{400, `{"error":"text"}`, "application/json", ""},
		{400, `{"error":{"message":{"lang":"en","value":"v"}}}`, "application/json", ""},
		{403, `{"error":{"code":1e400}}`, "application/json", "-1"},
		{0, "\xff\xfe\x00", "application/octet-stream", "NaN"},
		{200, `{"value":[{"scheduleInfo":{"expiration":{"duration":"P4W2D","endDateTime":"2025-01-01T10:00:00"}}}]}`, "application/json", ""},
		{201, `{"scheduleInfo":{"expiration":{"duration":12}},"createdDateTime":"x"}`, "application/json", ""},
		{200, `{"value":{"id":"i","startDateTime":"2020-08-27T18:58:35.967Z","endDateTime":null,"memberType":"Direct"}}`, "application/json", ""},
		{200, `{"value":[null,{"status":"Provisioned","accessId":"Member","createdDateTime":"2025-01-01T10:00:00.1234567"}]}`, "application/json", ""},
	}
	for i, s := range seeds {
		f.Add(s.status, ops[i%len(ops)], []byte(s.body), s.contentType, s.retryAfter)
	}
	f.Fuzz(func(t *testing.T, status int, op string, body []byte, contentType, retryAfter string) {
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("Retry-After", retryAfter)
		e := classifyResponse(op, status, h, body)
		if e == nil || !allClasses[e.Class] {
			t.Fatalf("classifyResponse(%d, %q) = %+v: no valid class", status, body, e)
		}
		if e.HTTPStatus != status || e.Op != op || e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("classifyResponse(%d, %q) = %+v", status, body, e)
		}
		_ = e.Error()

		// The decoding every success body passes, and the conversion to pim types: a body
		// that does not decode is an error, never a panic.
		if w, err := decodeEntity[wireRequest]("request", body); err == nil {
			_ = w.request()
		}
		if w, err := decodeEntity[wireAccess]("schedule", body); err == nil {
			_ = w.schedule()
		}
		if p, err := decodePage[wireAccess]("schedule", body); err == nil {
			_ = liveSchedules(p.Value, pim.AccessMember)
		}
	})
}
