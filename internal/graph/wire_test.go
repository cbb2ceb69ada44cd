package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// weeks matches an ISO 8601 duration with a week part, which Graph rejects.
var weeks = regexp.MustCompile(`"P[0-9]*W[^"]*"`)

const requestsPath = "/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests"

// createAnswer answers every call with a created request, as Graph does for a POST.
func createAnswer(_ int, _ *http.Request, w http.ResponseWriter) {
	writeJSON(w, http.StatusCreated, requestJSON(testRequestID, "Provisioned", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"noExpiration"}}`))
}

// sentBody posts one create through the real SDK and returns the wire body, decoded and raw.
func sentBody(t *testing.T, in pim.CreateInput) (map[string]any, string, seen) {
	t.Helper()
	rec := newRecorder(t, createAnswer)
	c := newTestClient(t, rec.baseURL())
	if _, err := c.CreateAssignment(ctxT(t), in); err != nil {
		t.Fatalf("CreateAssignment: %v", err)
	}
	calls := rec.seen()
	if len(calls) != 1 {
		t.Fatalf("server saw %d calls, want 1", len(calls))
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(calls[0].Body), &body); err != nil {
		t.Fatalf("wire body is not JSON: %v\n%s", err, calls[0].Body)
	}
	return body, calls[0].Body, calls[0]
}

func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("%q is %T, want an object; body %v", key, m[key], m)
	}
	return v
}

func wantField(t *testing.T, m map[string]any, key, want string) {
	t.Helper()
	if got, _ := m[key].(string); got != want {
		t.Errorf("%s = %v, want %q", key, m[key], want)
	}
}

func wantAbsent(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := m[k]; ok {
			t.Errorf("%s = %v, want it absent", k, v)
		}
	}
}

func TestCreateWireBody(t *testing.T) {
	start := time.Date(2030, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	end := time.Date(2030, 4, 4, 5, 6, 7, 0, time.UTC)
	justification := pim.AppendMarker("need it for the release", "team-a", "release-access", "5e0c1a9e-7f3b-4c4e-9b8a-3f0e2d1c0b9a")
	ticket := &pim.Ticket{System: "Jira", Number: "OPS-42"}
	triple := pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessOwner}

	for _, tc := range []struct {
		name    string
		exp     pim.Expiration
		start   *time.Time
		check   func(t *testing.T, exp map[string]any)
		noStart bool
	}{
		{
			name:  "noExpiration",
			exp:   pim.Expiration{Type: pim.ExpirationNone},
			start: &start,
			check: func(t *testing.T, exp map[string]any) {
				wantField(t, exp, "type", "noExpiration")
				wantAbsent(t, exp, "endDateTime", "duration")
			},
		},
		{
			name:  "afterDateTime",
			exp:   pim.Expiration{Type: pim.ExpirationAfterDateTime, EndDateTime: &end},
			start: &start,
			check: func(t *testing.T, exp map[string]any) {
				wantField(t, exp, "type", "afterDateTime")
				wantField(t, exp, "endDateTime", "2030-04-04T05:06:07Z")
				wantAbsent(t, exp, "duration")
			},
		},
		{
			name:  "afterDuration 30 days",
			exp:   pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 720 * time.Hour},
			start: &start,
			check: func(t *testing.T, exp map[string]any) {
				wantField(t, exp, "type", "afterDuration")
				wantField(t, exp, "duration", "P30D")
				wantAbsent(t, exp, "endDateTime")
			},
		},
		{
			name:    "afterDuration 8 hours, start now",
			exp:     pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 8 * time.Hour},
			noStart: true,
			check: func(t *testing.T, exp map[string]any) {
				wantField(t, exp, "type", "afterDuration")
				wantField(t, exp, "duration", "PT8H")
				wantAbsent(t, exp, "endDateTime")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, raw, call := sentBody(t, pim.CreateInput{
				Triple:        triple,
				Justification: justification,
				Ticket:        ticket,
				Schedule:      pim.ScheduleInfo{Start: tc.start, Expiration: tc.exp},
			})
			if call.Method != http.MethodPost || call.Path != requestsPath {
				t.Errorf("sent %s %s, want POST %s", call.Method, call.Path, requestsPath)
			}
			if ce := call.Header.Get("Content-Encoding"); ce != "" {
				t.Errorf("request body sent with Content-Encoding %q; the compression handler must not be in the pipeline", ce)
			}
			if ct := call.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			wantField(t, body, "action", "adminAssign")
			wantField(t, body, "principalId", testPrincipal)
			wantField(t, body, "groupId", testGroup)
			wantField(t, body, "accessId", "owner")
			wantField(t, body, "justification", justification)
			if !pim.HasMarker(body["justification"].(string), "5e0c1a9e-7f3b-4c4e-9b8a-3f0e2d1c0b9a") {
				t.Errorf("justification %q lost the marker", body["justification"])
			}
			ti := obj(t, body, "ticketInfo")
			wantField(t, ti, "ticketSystem", "Jira")
			wantField(t, ti, "ticketNumber", "OPS-42")
			si := obj(t, body, "scheduleInfo")
			if tc.noStart {
				wantAbsent(t, si, "startDateTime")
			} else {
				wantField(t, si, "startDateTime", "2030-03-04T04:06:07Z")
			}
			wantAbsent(t, si, "recurrence")
			tc.check(t, obj(t, si, "expiration"))
			if weeks.MatchString(raw) {
				t.Errorf("a duration in weeks went out: %s", raw)
			}
			if n := strings.Count(raw, `"duration"`); n > 1 {
				t.Errorf(`"duration" appears %d times: %s`, n, raw)
			}
		})
	}
}

func TestCreateWithoutTicketSendsNoTicketInfo(t *testing.T) {
	body, _, _ := sentBody(t, pim.CreateInput{
		Triple:   pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup},
		Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationNone}},
	})
	wantAbsent(t, body, "ticketInfo", "justification")
	wantField(t, body, "accessId", "member")
}

func TestCreateRejectsBadInputWithoutCalling(t *testing.T) {
	rec := newRecorder(t, createAnswer)
	c := newTestClient(t, rec.baseURL())
	triple := pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup}
	for name, in := range map[string]pim.CreateInput{
		"zero duration":         {Triple: triple, Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDuration}}},
		"afterDateTime, no end": {Triple: triple, Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDateTime}}},
		"unknown expiration":    {Triple: triple, Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: "someday"}}},
		"unknown access":        {Triple: pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: "admin"}},
		"no principal":          {Triple: pim.Triple{GroupID: testGroup}},
	} {
		_, err := c.CreateAssignment(ctxT(t), in)
		mustPimError(t, err, pim.ClassUserFixable)
		if n := len(rec.seen()); n != 0 {
			t.Fatalf("%s: %d calls sent, want none", name, n)
		}
	}
}

func TestRemoveWireBody(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
		writeJSON(w, http.StatusCreated, strings.Replace(requestJSON("removal-1", "Revoked", `{"expiration":{"type":"noExpiration"}}`), "adminAssign", "adminRemove", 1))
	})
	c := newTestClient(t, rec.baseURL())
	r, err := c.RemoveAssignment(ctxT(t), pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}, "cleanup [pim-operator.dev ns/x uid=u]")
	if err != nil {
		t.Fatalf("RemoveAssignment: %v", err)
	}
	if r.ID != "removal-1" || r.Status != pim.StatusRevoked || r.Action != pim.ActionAdminRemove {
		t.Errorf("got %+v", r)
	}
	call := rec.seen()[0]
	if call.Method != http.MethodPost || call.Path != requestsPath {
		t.Errorf("sent %s %s", call.Method, call.Path)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(call.Body), &body); err != nil {
		t.Fatal(err)
	}
	wantField(t, body, "action", "adminRemove")
	wantField(t, body, "principalId", testPrincipal)
	wantField(t, body, "groupId", testGroup)
	wantField(t, body, "accessId", "member")
	wantField(t, body, "justification", "cleanup [pim-operator.dev ns/x uid=u]")
	wantAbsent(t, body, "scheduleInfo", "ticketInfo")
}

func TestListFilterCancelAndScheduleURLs(t *testing.T) {
	rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/cancel"):
			w.WriteHeader(http.StatusNoContent)
		case strings.Contains(r.URL.Path, "assignmentSchedules"):
			writeJSON(w, http.StatusOK, `{"value":[]}`)
		default:
			writeJSON(w, http.StatusOK, `{"value":[]}`)
		}
	})
	c := newTestClient(t, rec.baseURL())
	ctx := ctxT(t)
	if _, err := c.FindRequests(ctx, testPrincipal, "o'brien"); err != nil {
		t.Fatal(err)
	}
	if err := c.CancelRequest(ctx, testRequestID); err != nil {
		t.Fatalf("CancelRequest: %v", err)
	}
	if s, err := c.FindLiveSchedule(ctx, pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup}); err != nil || s != nil {
		t.Fatalf("FindLiveSchedule = %v, %v; want nil, nil", s, err)
	}
	calls := rec.seen()
	if len(calls) != 3 {
		t.Fatalf("%d calls", len(calls))
	}
	q, err := url.ParseQuery(calls[0].Query)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.Get("$filter"), "principalId eq '"+testPrincipal+"' and groupId eq 'o''brien'"; got != want {
		t.Errorf("$filter = %q, want %q (raw query %q)", got, want, calls[0].Query)
	}
	if !strings.HasPrefix(calls[0].Query, "$filter=") {
		t.Errorf("raw query %q: want Graph's $filter, not %%24filter", calls[0].Query)
	}
	if calls[1].Method != http.MethodPost || calls[1].Path != requestsPath+"/"+testRequestID+"/cancel" || calls[1].Body != "" {
		t.Errorf("cancel sent %s %s body %q", calls[1].Method, calls[1].Path, calls[1].Body)
	}
	if calls[2].Method != http.MethodGet || calls[2].Path != "/v1.0/identityGovernance/privilegedAccess/group/assignmentSchedules" {
		t.Errorf("schedules sent %s %s", calls[2].Method, calls[2].Path)
	}
}

func TestEmptyIDNeverAddressesTheCollection(t *testing.T) {
	rec := newRecorder(t, createAnswer)
	c := newTestClient(t, rec.baseURL())
	ctx := ctxT(t)
	_, err := c.GetRequest(ctx, "")
	mustPimError(t, err, pim.ClassUserFixable)
	mustPimError(t, c.CancelRequest(ctx, " "), pim.ClassUserFixable)
	_, err = c.GetSchedule(ctx, "")
	mustPimError(t, err, pim.ClassUserFixable)
	if n := len(rec.seen()); n != 0 {
		t.Fatalf("%d calls sent for empty ids", n)
	}
}
