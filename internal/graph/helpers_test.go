package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// Test identities: GUID-shaped, as the CRD requires.
const (
	testPrincipal = "11111111-1111-1111-1111-111111111111"
	testGroup     = "22222222-2222-2222-2222-222222222222"
	testRequestID = "33333333-3333-3333-3333-333333333333"
	testGraphRID  = "44444444-4444-4444-4444-444444444444"
)

// seen is one request as a test server received it.
type seen struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// recorder is an httptest server whose answers a test scripts per call.
type recorder struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []seen
	answer func(n int, r *http.Request, w http.ResponseWriter)
}

func newRecorder(t *testing.T, answer func(n int, r *http.Request, w http.ResponseWriter)) *recorder {
	t.Helper()
	rec := &recorder{t: t, answer: answer}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.calls = append(rec.calls, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
		n := len(rec.calls)
		rec.mu.Unlock()
		rec.answer(n, r, w)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (r *recorder) baseURL() string { return r.srv.URL + "/v1.0" }

func (r *recorder) seen() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.calls...)
}

func (r *recorder) count(method string) int {
	n := 0
	for _, c := range r.seen() {
		if c.Method == method {
			n++
		}
	}
	return n
}

// paths are the collections the SDK addresses for each kind.
var paths = map[pim.Kind]struct{ requests, schedules string }{
	pim.KindAssignment: {
		"/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests",
		"/v1.0/identityGovernance/privilegedAccess/group/assignmentSchedules",
	},
	pim.KindEligibility: {
		"/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests",
		"/v1.0/identityGovernance/privilegedAccess/group/eligibilitySchedules",
	},
}

// newTestClient builds a client for a loopback test server with its own metrics registry.
func newTestClient(t *testing.T, baseURL string, mods ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: baseURL, Auth: AuthNone, Registerer: prometheus.NewRegistry()}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// graphError writes Graph's error envelope.
func graphError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"error":{"code":"`+code+`","message":"`+message+`","innerError":{"date":"2025-01-01T10:00:00","request-id":"`+testGraphRID+`","client-request-id":"x"}}}`)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// requestJSON is a Graph request body as Graph answers it.
func requestJSON(id, status, scheduleInfo string) string {
	return `{"@odata.context":"x","id":"` + id + `","status":"` + status + `","action":"adminAssign",` +
		`"principalId":"` + testPrincipal + `","groupId":"` + testGroup + `","accessId":"member",` +
		`"targetScheduleId":"` + testGroup + `_member_` + id + `","justification":"because",` +
		`"createdDateTime":"2025-01-01T10:00:00Z","completedDateTime":"2025-01-01T10:00:01Z",` +
		`"scheduleInfo":` + scheduleInfo + `}`
}

// mustPimError asserts err is a *pim.Error of class want and returns it. Formatting it must
// not panic: that is the point of the type.
func mustPimError(t *testing.T, err error, want pim.ErrorClass) *pim.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got nil", want)
	}
	var pe *pim.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error is %T, not *pim.Error", err)
	}
	if pe.Class != want {
		t.Fatalf("class = %s, want %s (%v)", pe.Class, want, pe)
	}
	_ = pe.Error()
	return pe
}
