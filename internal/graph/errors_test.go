package graph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// errorCase is one failure answer and the *pim.Error it must become.
type errorCase struct {
	name, op string
	answer   func(w http.ResponseWriter)
	want     pim.Error
}

// graphCase answers with Graph's error envelope; the error carries its code, message and
// request-id, and the Retry-After header (seconds) when one is given.
func graphCase(name, op string, status int, code, msg, retryAfter string, class pim.ErrorClass) errorCase {
	secs, _ := strconv.Atoi(retryAfter)
	return errorCase{name: name, op: op,
		answer: func(w http.ResponseWriter) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			graphError(w, status, code, msg)
		},
		want: pim.Error{Class: class, HTTPStatus: status, Code: code, Message: msg, RequestID: testGraphRID, RetryAfter: time.Duration(secs) * time.Second}}
}

// rawCase answers with any body; the error says what it was in Detail.
func rawCase(name, op string, status int, contentType, body string, class pim.ErrorClass, detail string) errorCase {
	return errorCase{name: name, op: op,
		answer: func(w http.ResponseWriter) {
			if contentType != "" {
				w.Header().Set("Content-Type", contentType)
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		},
		want: pim.Error{Class: class, HTTPStatus: status, Detail: detail}}
}

// TestErrorAnswers sends every operation's failure shapes through the real SDK over HTTP.
func TestErrorAnswers(t *testing.T) {
	html := "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
	const jsonType = "application/json"
	headerRID := rawCase("request-id from the header", OpGetRequest, 404, jsonType, `{"error":{"code":"ResourceNotFound","message":"not found"}}`, pim.ClassNotFound, "")
	answer := headerRID.answer
	headerRID.answer = func(w http.ResponseWriter) { w.Header().Set("request-id", "hdr-rid"); answer(w) }
	headerRID.want.Code, headerRID.want.Message, headerRID.want.RequestID = "ResourceNotFound", "not found", "hdr-rid"
	noMessage := rawCase("no error.message (ODataError.Error would panic)", OpCreateRequest, 400, jsonType, `{"error":{"code":"InvalidRoleAssignmentRequest"}}`, pim.ClassUserFixable, "")
	noMessage.want.Code = "InvalidRoleAssignmentRequest"
	forbidden := graphCase("403", OpCreateRequest, 403, "Authorization_RequestDenied", "Insufficient privileges", "", pim.ClassForbidden)
	forbidden.want.Detail = "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"
	for _, tc := range []errorCase{
		graphCase("Graph body", OpCreateRequest, 400, "RoleAssignmentExists", "The Role assignment already exists.", "", pim.ClassAssignmentExists),
		graphCase("policy validation", OpCreateRequest, 400, "RoleAssignmentRequestPolicyValidationFailed", "ExpirationRule failed", "", pim.ClassUserFixable),
		graphCase("too young to remove", OpRemoveAccess, 400, "ActiveDurationTooShort", "The active duration is too short.", "", pim.ClassTransient),
		graphCase("nothing to remove", OpRemoveAccess, 404, "RoleAssignmentDoesNotExist", "gone", "", pim.ClassAlreadyGone),
		graphCase("cancel 400", OpCancelRequest, 400, "RequestCannotBeCancelled", "cannot", "", pim.ClassNotCancellable),
		graphCase("401", OpGetRequest, 401, "InvalidAuthenticationToken", "Access token is empty.", "", pim.ClassUnauthenticated),
		graphCase("429 on a write", OpCreateRequest, 429, "TooManyRequests", "slow down", "7", pim.ClassThrottled),
		graphCase("503 with Retry-After on a write", OpCancelRequest, 503, "ServiceUnavailable", "busy", "2", pim.ClassThrottled),
		graphCase("503 without Retry-After", OpRemoveAccess, 503, "ServiceUnavailable", "busy", "", pim.ClassTransient),
		graphCase("500", OpCreateRequest, 500, "InternalServerError", "oops", "", pim.ClassTransient),
		graphCase("GET 429 with a long Retry-After is not waited out", OpGetRequest, 429, "TooManyRequests", "later", "120", pim.ClassThrottled),
		forbidden,
		headerRID,
		noMessage,
		rawCase("empty JSON object", OpCreateRequest, 400, jsonType, `{}`, pim.ClassUserFixable, "no Graph error object"),
		rawCase("error is not an object", OpCreateRequest, 400, jsonType, `{"error":"bad"}`, pim.ClassUserFixable, "no Graph error object"),
		rawCase("empty body", OpCreateRequest, 400, "", "", pim.ClassUserFixable, ""),
		rawCase("empty body with JSON content type", OpGetRequest, 404, jsonType, "", pim.ClassNotFound, ""),
		rawCase("cancel 400 without a body", OpCancelRequest, 400, "", "", pim.ClassNotCancellable, ""),
		rawCase("HTML page", OpGetRequest, 502, "text/html", html, pim.ClassTransient, "502 Bad Gateway"),
		rawCase("HTML page with a JSON content type", OpCreateRequest, 400, jsonType, html, pim.ClassUserFixable, "not JSON"),
		rawCase("success with a broken body", OpCreateRequest, 201, jsonType, `{"id":`, pim.ClassTransient, "reading Graph's answer"),
		rawCase("success with an HTML body", OpFindLiveSchedules, 200, "text/html", html, pim.ClassTransient, "not a JSON object"),
		rawCase("success with a wrong type", OpGetSchedule, 200, jsonType, `{"id":7}`, pim.ClassTransient, "decoding the schedule"),
		rawCase("success with a bad time", OpGetRequest, 200, jsonType, `{"id":"x","createdDateTime":"yesterday"}`, pim.ClassTransient, `"yesterday" is not a date-time`),
		rawCase("success without a body", OpCreateRequest, 204, "", "", pim.ClassTransient, "without the expected object"),
		rawCase("created request without an id", OpRemoveAccess, 201, jsonType, `{"status":"Revoked"}`, pim.ClassTransient, "without the expected object"),
	} {
		for _, k := range pim.Kinds() {
			t.Run(string(k)+" "+tc.name, func(t *testing.T) {
				rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { tc.answer(w) })
				err := runOp(ctxT(t), newTestClient(t, rec.baseURL()).For(k), tc.op)
				pe := mustPimError(t, err, tc.want.Class)
				got, want := *pe, tc.want
				want.Op = tc.op
				if !strings.Contains(got.Detail, want.Detail) {
					t.Errorf("Detail = %q, want it to contain %q", got.Detail, want.Detail)
				}
				got.Detail, want.Detail = "", ""
				if got != want {
					t.Errorf("got  %+v\nwant %+v", got, want)
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
}

// runOp calls one operation with fixed arguments.
func runOp(ctx context.Context, c pim.Client, op string) error {
	triple := pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}
	var err error
	switch op {
	case OpCreateRequest:
		_, err = c.Assign(ctx, pim.CreateInput{Triple: triple, Justification: "j",
			Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: time.Hour}}})
	case OpGetRequest:
		_, err = c.GetRequest(ctx, testRequestID)
	case OpFindRequests:
		_, err = c.FindRequests(ctx, testPrincipal, testGroup)
	case OpCancelRequest:
		err = c.Cancel(ctx, testRequestID)
	case OpRemoveAccess:
		_, err = c.Remove(ctx, triple, "j")
	case OpGetSchedule:
		_, err = c.GetSchedule(ctx, testGroup+"_member_x")
	case OpFindLiveSchedules:
		_, err = c.FindLiveSchedules(ctx, triple)
	default:
		panic(op)
	}
	return err
}

var writeOps = []string{OpCreateRequest, OpCancelRequest, OpRemoveAccess}
var readOps = []string{OpGetRequest, OpFindRequests, OpGetSchedule, OpFindLiveSchedules}

// A POST goes out exactly once whatever Graph answers: the SDK's retry handler would resend it
// on 429/503/504 (with a corrupted body when compression is on, kiota-http-go #183).
func TestWritesAreSentOnce(t *testing.T) {
	eachBusyStatus(t, writeOps, func(t *testing.T, k pim.Kind, op string, status int) {
		rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { busy(w, status) })
		err := runOp(ctxT(t), newTestClient(t, rec.baseURL()).For(k), op)
		if pim.ClassOf(err) != pim.ClassTransient && pim.ClassOf(err) != pim.ClassThrottled {
			t.Fatalf("class %s: %v", pim.ClassOf(err), err)
		}
		if n := rec.count(http.MethodPost); n != 1 {
			t.Fatalf("POST sent %d times, want exactly 1", n)
		}
	})
}

// eachBusyStatus runs fn for each of Graph's busy statuses and each op, alternating the kinds.
func eachBusyStatus(t *testing.T, ops []string, fn func(t *testing.T, k pim.Kind, op string, status int)) {
	for _, status := range []int{429, 503, 504} {
		for i, op := range ops {
			k := pim.Kinds()[(i+status)%2]
			t.Run(fmt.Sprintf("%s %s %d", k, op, status), func(t *testing.T) { fn(t, k, op, status) })
		}
	}
}

// busy answers as a busy Graph does, asking for a retry at once.
func busy(w http.ResponseWriter, status int) {
	w.Header().Set("Retry-After", "0")
	graphError(w, status, "Busy", "busy")
}

// A GET answered 429/503/504 with a short Retry-After is retried inside the call.
func TestReadsAreRetried(t *testing.T) {
	eachBusyStatus(t, readOps, func(t *testing.T, k pim.Kind, op string, status int) {
		rec := newRecorder(t, func(n int, r *http.Request, w http.ResponseWriter) {
			switch {
			case n == 1:
				busy(w, status)
			case strings.HasPrefix(r.URL.Path, paths[k].schedules+"/"):
				writeJSON(w, 200, scheduleJSON("s", "member", "Provisioned", "assigned", "direct", "2025-01-01T10:00:00Z"))
			case r.URL.Path == paths[k].requests+"/"+testRequestID:
				writeJSON(w, 200, requestJSON(testRequestID, "Provisioned", "null"))
			default:
				writeJSON(w, 200, `{"value":[]}`)
			}
		})
		if err := runOp(ctxT(t), newTestClient(t, rec.baseURL()).For(k), op); err != nil {
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

func TestReadRetriesCanBeDisabled(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { busy(w, 503) })
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.MaxGetRetries = -1 })
	_, err := c.For(pim.KindAssignment).GetRequest(ctxT(t), testRequestID)
	mustPimError(t, err, pim.ClassTransient)
	if n := len(rec.seen()); n != 1 {
		t.Fatalf("GET sent %d times, want 1", n)
	}
}

func TestReadRetriesGiveUp(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { busy(w, 429) })
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.MaxGetRetries = 2 })
	_, err := c.For(pim.KindEligibility).GetRequest(ctxT(t), testRequestID)
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
	for i, op := range append(append([]string{}, writeOps...), readOps...) {
		k := pim.Kinds()[i%2]
		t.Run(string(k)+" "+op, func(t *testing.T) {
			rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { hijackAndClose(t, w) })
			pe := mustPimError(t, runOp(ctxT(t), newTestClient(t, rec.baseURL()).For(k), op), pim.ClassTransient)
			// The request left: Graph may have applied a write, so it is not NotSent.
			if pe.HTTPStatus != 0 || pe.Detail == "" || pe.Op != op || pe.NotSent {
				t.Errorf("got %+v", pe)
			}
			if slices.Contains(writeOps, op) {
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
	c := newTestClient(t, rec.baseURL()).For(pim.KindAssignment)
	pe := mustPimError(t, runOp(ctxT(t), c, OpCreateRequest), pim.ClassTransient)
	if !strings.Contains(pe.Detail, "HTTP 201") {
		t.Errorf("Detail = %q, want it to say the status arrived", pe.Detail)
	}
}

// hangingRecorder never answers: a call to it ends only with its context.
func hangingRecorder(t *testing.T) *recorder {
	release := make(chan struct{})
	rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	return rec
}

func TestDeadline(t *testing.T) {
	c := newTestClient(t, hangingRecorder(t).baseURL()).For(pim.KindAssignment)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	pe := mustPimError(t, runOp(ctx, c, OpCreateRequest), pim.ClassTransient)
	if !strings.Contains(pe.Detail, "deadline") {
		t.Errorf("Detail = %q", pe.Detail)
	}
}

func TestDefaultTimeoutWhenTheCallerHasNone(t *testing.T) {
	c := newTestClient(t, hangingRecorder(t).baseURL(), func(c *Config) { c.DefaultTimeout = 200 * time.Millisecond }).For(pim.KindAssignment)
	start := time.Now()
	mustPimError(t, runOp(context.Background(), c, OpGetRequest), pim.ClassTransient)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("call took %s", d)
	}
}

func TestCallerCancel(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1/v1.0").For(pim.KindAssignment)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mustPimError(t, runOp(ctx, c, OpGetRequest), pim.ClassTransient)
}

func TestConnectionRefused(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1/v1.0").For(pim.KindAssignment)
	pe := mustPimError(t, runOp(ctxT(t), c, OpCreateRequest), pim.ClassTransient)
	if pe.Detail == "" || pe.HTTPStatus != 0 {
		t.Errorf("got %+v", pe)
	}
}
