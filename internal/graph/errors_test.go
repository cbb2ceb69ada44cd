package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// TestErrorAnswers sends every operation's failure shapes through the real SDK over HTTP.
func TestErrorAnswers(t *testing.T) {
	html := "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
	for _, tc := range []struct {
		name   string
		op     string
		answer func(w http.ResponseWriter)
		class  pim.ErrorClass
		status int
		code   string
		msg    string
		rid    string
		detail string
		retry  time.Duration
	}{
		{name: "Graph body", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) {
				graphError(w, 400, "RoleAssignmentExists", "The Role assignment already exists.")
			},
			class: pim.ClassAssignmentExists, status: 400, code: "RoleAssignmentExists", msg: "The Role assignment already exists.", rid: testGraphRID},
		{name: "policy validation", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) {
				graphError(w, 400, "RoleAssignmentRequestPolicyValidationFailed", "ExpirationRule failed")
			},
			class: pim.ClassUserFixable, status: 400, code: "RoleAssignmentRequestPolicyValidationFailed", msg: "ExpirationRule failed", rid: testGraphRID},
		{name: "too young to remove", op: OpRemoveAssignment,
			answer: func(w http.ResponseWriter) {
				graphError(w, 400, "ActiveDurationTooShort", "The active duration is too short.")
			},
			class: pim.ClassTransient, status: 400, code: "ActiveDurationTooShort", rid: testGraphRID, msg: "The active duration is too short."},
		{name: "nothing to remove", op: OpRemoveAssignment,
			answer: func(w http.ResponseWriter) { graphError(w, 404, "RoleAssignmentDoesNotExist", "gone") },
			class:  pim.ClassAlreadyGone, status: 404, code: "RoleAssignmentDoesNotExist", msg: "gone", rid: testGraphRID},
		{name: "empty JSON object", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { writeJSON(w, 400, `{}`) },
			class:  pim.ClassUserFixable, status: 400, detail: "no Graph error object"},
		{name: "empty body", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { w.WriteHeader(400) },
			class:  pim.ClassUserFixable, status: 400},
		{name: "empty body with JSON content type", op: OpGetRequest,
			answer: func(w http.ResponseWriter) { w.Header().Set("Content-Type", "application/json"); w.WriteHeader(404) },
			class:  pim.ClassNotFound, status: 404},
		{name: "HTML page", op: OpGetRequest,
			answer: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				_, _ = io.WriteString(w, html)
			},
			class: pim.ClassTransient, status: 502, detail: "502 Bad Gateway"},
		{name: "HTML page with a JSON content type", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { writeJSON(w, 400, html) },
			class:  pim.ClassUserFixable, status: 400, detail: "not JSON"},
		{name: "no error.message (ODataError.Error would panic)", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { writeJSON(w, 400, `{"error":{"code":"InvalidRoleAssignmentRequest"}}`) },
			class:  pim.ClassUserFixable, status: 400, code: "InvalidRoleAssignmentRequest"},
		{name: "error is not an object", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { writeJSON(w, 400, `{"error":"bad"}`) },
			class:  pim.ClassUserFixable, status: 400, detail: "no Graph error object"},
		{name: "request-id from the header", op: OpGetRequest,
			answer: func(w http.ResponseWriter) {
				w.Header().Set("request-id", "hdr-rid")
				writeJSON(w, 404, `{"error":{"code":"ResourceNotFound","message":"not found"}}`)
			},
			class: pim.ClassNotFound, status: 404, code: "ResourceNotFound", msg: "not found", rid: "hdr-rid"},
		{name: "cancel 400", op: OpCancelRequest,
			answer: func(w http.ResponseWriter) {
				graphError(w, 400, "RequestCannotBeCancelled", "cannot")
			},
			class: pim.ClassNotCancellable, status: 400, code: "RequestCannotBeCancelled", msg: "cannot", rid: testGraphRID},
		{name: "cancel 400 without a body", op: OpCancelRequest,
			answer: func(w http.ResponseWriter) { w.WriteHeader(400) },
			class:  pim.ClassNotCancellable, status: 400},
		{name: "403", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) {
				graphError(w, 403, "Authorization_RequestDenied", "Insufficient privileges")
			},
			class: pim.ClassForbidden, status: 403, code: "Authorization_RequestDenied", msg: "Insufficient privileges", rid: testGraphRID,
			detail: "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"},
		{name: "401", op: OpGetRequest,
			answer: func(w http.ResponseWriter) {
				graphError(w, 401, "InvalidAuthenticationToken", "Access token is empty.")
			},
			class: pim.ClassUnauthenticated, status: 401, code: "InvalidAuthenticationToken", msg: "Access token is empty.", rid: testGraphRID},
		{name: "429 on a write", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", "7")
				graphError(w, 429, "TooManyRequests", "slow down")
			},
			class: pim.ClassThrottled, status: 429, code: "TooManyRequests", msg: "slow down", rid: testGraphRID, retry: 7 * time.Second},
		{name: "503 with Retry-After on a write", op: OpCancelRequest,
			answer: func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", "2")
				graphError(w, 503, "ServiceUnavailable", "busy")
			},
			class: pim.ClassThrottled, status: 503, code: "ServiceUnavailable", msg: "busy", rid: testGraphRID, retry: 2 * time.Second},
		{name: "503 without Retry-After", op: OpRemoveAssignment,
			answer: func(w http.ResponseWriter) { graphError(w, 503, "ServiceUnavailable", "busy") },
			class:  pim.ClassTransient, status: 503, code: "ServiceUnavailable", msg: "busy", rid: testGraphRID},
		{name: "500", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { graphError(w, 500, "InternalServerError", "oops") },
			class:  pim.ClassTransient, status: 500, code: "InternalServerError", msg: "oops", rid: testGraphRID},
		{name: "GET 429 with a long Retry-After is not waited out", op: OpGetRequest,
			answer: func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", "120")
				graphError(w, 429, "TooManyRequests", "later")
			},
			class: pim.ClassThrottled, status: 429, code: "TooManyRequests", msg: "later", rid: testGraphRID, retry: 120 * time.Second},
		{name: "success with a broken body", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { writeJSON(w, 201, `{"id":`) },
			class:  pim.ClassTransient, status: 201, detail: "reading Graph's answer"},
		{name: "success without a body", op: OpCreateRequest,
			answer: func(w http.ResponseWriter) { w.WriteHeader(204) },
			class:  pim.ClassTransient, status: 204, detail: "without the expected object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { tc.answer(w) })
			c := newTestClient(t, rec.baseURL())
			err := runOp(ctxT(t), c, tc.op)
			pe := mustPimError(t, err, tc.class)
			if pe.Op != tc.op || pe.HTTPStatus != tc.status || pe.Code != tc.code || pe.Message != tc.msg || pe.RequestID != tc.rid || pe.RetryAfter != tc.retry {
				t.Errorf("got op=%q status=%d code=%q msg=%q rid=%q retry=%s; want %q %d %q %q %q %s",
					pe.Op, pe.HTTPStatus, pe.Code, pe.Message, pe.RequestID, pe.RetryAfter, tc.op, tc.status, tc.code, tc.msg, tc.rid, tc.retry)
			}
			if !strings.Contains(pe.Detail, tc.detail) {
				t.Errorf("Detail = %q, want it to contain %q", pe.Detail, tc.detail)
			}
			for _, verb := range []string{"%v", "%s", "%+v"} {
				_ = fmt.Sprintf(verb, err)
			}
			_ = fmt.Errorf("wrapped: %w", err).Error()
			if n := len(rec.seen()); n != 1 {
				t.Errorf("server saw %d calls, want exactly 1", n)
			}
		})
	}
}

// runOp calls one operation with fixed arguments.
func runOp(ctx context.Context, c *Client, op string) error {
	triple := pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}
	var err error
	switch op {
	case OpCreateRequest:
		_, err = c.CreateAssignment(ctx, pim.CreateInput{Triple: triple, Justification: "j",
			Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: time.Hour}}})
	case OpGetRequest:
		_, err = c.GetRequest(ctx, testRequestID)
	case OpFindRequests:
		_, err = c.FindRequests(ctx, testPrincipal, testGroup)
	case OpCancelRequest:
		err = c.CancelRequest(ctx, testRequestID)
	case OpRemoveAssignment:
		_, err = c.RemoveAssignment(ctx, triple, "j")
	case OpGetSchedule:
		_, err = c.GetSchedule(ctx, testGroup+"_member_x")
	case OpFindLiveSchedule:
		_, err = c.FindLiveSchedule(ctx, triple)
	default:
		panic(op)
	}
	return err
}

var writeOps = []string{OpCreateRequest, OpCancelRequest, OpRemoveAssignment}
var readOps = []string{OpGetRequest, OpFindRequests, OpGetSchedule, OpFindLiveSchedule}

// A POST goes out exactly once whatever Graph answers: the SDK's retry handler would resend it
// on 429/503/504 (with a corrupted body when compression is on, kiota-http-go #183).
func TestWritesAreSentOnce(t *testing.T) {
	for _, status := range []int{429, 503, 504} {
		for _, op := range writeOps {
			t.Run(fmt.Sprintf("%s %d", op, status), func(t *testing.T) {
				rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
					w.Header().Set("Retry-After", "0")
					graphError(w, status, "Busy", "busy")
				})
				c := newTestClient(t, rec.baseURL())
				err := runOp(ctxT(t), c, op)
				if pim.ClassOf(err) != pim.ClassTransient && pim.ClassOf(err) != pim.ClassThrottled {
					t.Fatalf("class %s: %v", pim.ClassOf(err), err)
				}
				if n := rec.count(http.MethodPost); n != 1 {
					t.Fatalf("POST sent %d times, want exactly 1", n)
				}
			})
		}
	}
}

// A GET answered 429/503/504 with a short Retry-After is retried inside the call.
func TestReadsAreRetried(t *testing.T) {
	for _, status := range []int{429, 503, 504} {
		for _, op := range readOps {
			t.Run(fmt.Sprintf("%s %d", op, status), func(t *testing.T) {
				rec := newRecorder(t, func(n int, r *http.Request, w http.ResponseWriter) {
					if n == 1 {
						w.Header().Set("Retry-After", "0")
						graphError(w, status, "Busy", "busy")
						return
					}
					if strings.Contains(r.URL.Path, "assignmentSchedules/") {
						writeJSON(w, 200, scheduleJSON("s", "member", "Provisioned", "assigned", "direct", "2025-01-01T10:00:00Z"))
					} else if strings.HasSuffix(r.URL.Path, "assignmentScheduleRequests/"+testRequestID) {
						writeJSON(w, 200, requestJSON(testRequestID, "Provisioned", "null"))
					} else {
						writeJSON(w, 200, `{"value":[]}`)
					}
				})
				c := newTestClient(t, rec.baseURL())
				if err := runOp(ctxT(t), c, op); err != nil {
					t.Fatalf("%s: %v", op, err)
				}
				calls := rec.seen()
				if len(calls) != 2 {
					t.Fatalf("GET sent %d times, want 2", len(calls))
				}
				// One call, one client-request-id, even across the retry.
				if a, b := calls[0].Header.Get("client-request-id"), calls[1].Header.Get("client-request-id"); a == "" || a != b {
					t.Errorf("client-request-id %q then %q", a, b)
				}
			})
		}
	}
}

func TestReadRetriesCanBeDisabled(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
		w.Header().Set("Retry-After", "0")
		graphError(w, 503, "Busy", "busy")
	})
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.MaxGetRetries = -1 })
	_, err := c.GetRequest(ctxT(t), testRequestID)
	mustPimError(t, err, pim.ClassTransient)
	if n := len(rec.seen()); n != 1 {
		t.Fatalf("GET sent %d times, want 1", n)
	}
}

func TestReadRetriesGiveUp(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
		w.Header().Set("Retry-After", "0")
		graphError(w, 429, "TooManyRequests", "busy")
	})
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.MaxGetRetries = 2 })
	_, err := c.GetRequest(ctxT(t), testRequestID)
	mustPimError(t, err, pim.ClassThrottled)
	if n := len(rec.seen()); n != 3 {
		t.Fatalf("GET sent %d times, want 1 + 2 retries", n)
	}
}

// hijackAndClose drops the connection without any answer, as a proxy or a crashed Graph
// front end does.
func hijackAndClose(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

func TestDroppedConnection(t *testing.T) {
	for _, op := range append(append([]string{}, writeOps...), readOps...) {
		t.Run(op, func(t *testing.T) {
			rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { hijackAndClose(t, w) })
			c := newTestClient(t, rec.baseURL())
			pe := mustPimError(t, runOp(ctxT(t), c, op), pim.ClassTransient)
			if pe.HTTPStatus != 0 || pe.Detail == "" || pe.Op != op {
				t.Errorf("got %+v", pe)
			}
			if strings.HasPrefix(op, "create") || op == OpCancelRequest || op == OpRemoveAssignment {
				if n := rec.count(http.MethodPost); n != 1 {
					t.Errorf("POST sent %d times after a dropped connection, want 1", n)
				}
			}
		})
	}
}

func TestBodyCutShort(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "500")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"abc",`)
		w.(http.Flusher).Flush()
		hijackAndClose(t, w)
	})
	c := newTestClient(t, rec.baseURL())
	pe := mustPimError(t, runOp(ctxT(t), c, OpCreateRequest), pim.ClassTransient)
	if !strings.Contains(pe.Detail, "HTTP 201") {
		t.Errorf("Detail = %q, want it to say the status arrived", pe.Detail)
	}
}

func TestDeadline(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newTestClient(t, rec.baseURL())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	pe := mustPimError(t, runOp(ctx, c, OpCreateRequest), pim.ClassTransient)
	if !strings.Contains(pe.Detail, "deadline") {
		t.Errorf("Detail = %q", pe.Detail)
	}
}

func TestDefaultTimeoutWhenTheCallerHasNone(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.DefaultTimeout = 200 * time.Millisecond })
	start := time.Now()
	mustPimError(t, runOp(context.Background(), c, OpGetRequest), pim.ClassTransient)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("call took %s", d)
	}
}

func TestCallerCancel(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1/v1.0")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mustPimError(t, runOp(ctx, c, OpGetRequest), pim.ClassTransient)
}

func TestConnectionRefused(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1/v1.0")
	pe := mustPimError(t, runOp(ctxT(t), c, OpCreateRequest), pim.ClassTransient)
	if pe.Detail == "" || pe.HTTPStatus != 0 {
		t.Errorf("got %+v", pe)
	}
}

// The SDK bug behind the rule "never format an SDK error": an ODataError whose body had no
// error.message panics in Error(). sdkErrorFields reads it without a panic.
func TestODataErrorWithoutMessage(t *testing.T) {
	oe := odataerrors.NewODataError()
	me := odataerrors.NewMainError()
	me.SetCode(ptr("SomeCode"))
	oe.SetErrorEscaped(me)
	oe.SetStatusCode(400)
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("(*ODataError).Error() no longer panics without a message; the rule may be relaxed")
			}
		}()
		_ = oe.Error()
	}()
	wrapped := fmt.Errorf("ctx: %w", error(oe))
	f, ok := sdkErrorFields(wrapped)
	if !ok || f.status != 400 || f.code != "SomeCode" || f.message != "" {
		t.Errorf("sdkErrorFields = %+v, %v", f, ok)
	}
	_ = safeText(wrapped)
	pe := toError(OpGetRequest, wrapped, &exchange{})
	if pe.Class != pim.ClassUserFixable || pe.Code != "SomeCode" || pe.HTTPStatus != 400 {
		t.Errorf("toError = %+v", pe)
	}
	// Even a zero ODataError (nil backing store) must not panic.
	if _, ok := sdkErrorFields(&odataerrors.ODataError{}); ok {
		t.Log("zero ODataError read without fields")
	}
	_ = toError(OpGetRequest, &odataerrors.ODataError{}, nil)
	_ = toError(OpGetRequest, errors.New("plain"), nil)
}
