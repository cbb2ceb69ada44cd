package graph

import (
	"net/http"
	"testing"

	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/pim-operator/pim-operator/internal/pim"
)

var allClasses = map[pim.ErrorClass]bool{
	pim.ClassThrottled: true, pim.ClassTransient: true, pim.ClassNotFound: true, pim.ClassNotCancellable: true,
	pim.ClassAlreadyGone: true, pim.ClassAssignmentExists: true, pim.ClassUserFixable: true,
	pim.ClassForbidden: true, pim.ClassUnauthenticated: true,
}

// FuzzClassify feeds arbitrary statuses, bodies and headers through the production error path
// (classifyResponse), through the SDK's own ODataError parsing plus sdkErrorFields (the
// fallback path), and through the response repair every success body passes. None may panic,
// and every failure must get a class.
func FuzzClassify(f *testing.F) {
	ops := []string{OpCreateRequest, OpGetRequest, OpFindRequests, OpCancelRequest, OpRemoveAssignment, OpGetSchedule, OpFindLiveSchedule}
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

		// The SDK's parse of the same body, read the way toError's fallback reads it.
		if node, err := jsonser.NewJsonParseNode(body); err == nil && node != nil {
			if v, err := node.GetObjectValue(odataerrors.CreateODataErrorFromDiscriminatorValue); err == nil && v != nil {
				if oe, ok := v.(*odataerrors.ODataError); ok {
					oe.SetStatusCode(status)
					pe := toError(op, oe, nil)
					if pe == nil || !allClasses[pe.Class] {
						t.Fatalf("toError(ODataError from %q) = %+v", body, pe)
					}
					_ = pe.Error()
				}
			}
		}

		// The repair applied to every JSON answer, then the SDK models it feeds.
		_ = repairResponseJSON(body)
		factory := &repairingParseNodeFactory{json: jsonser.NewJsonParseNodeFactory()}
		if node, err := factory.GetRootParseNode("application/json", body); err == nil && node != nil {
			if v, err := node.GetObjectValue(models.CreatePrivilegedAccessGroupAssignmentScheduleRequestFromDiscriminatorValue); err == nil && v != nil {
				if m, ok := v.(models.PrivilegedAccessGroupAssignmentScheduleRequestable); ok {
					_ = requestFromSDK(m)
				}
			}
		}
	})
}
