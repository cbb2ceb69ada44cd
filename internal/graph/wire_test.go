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

// createAnswer answers every call with a created request, as Graph does for a POST.
func createAnswer(_ int, _ *http.Request, w http.ResponseWriter) {
	writeJSON(w, http.StatusCreated, requestJSON(testRequestID, "Provisioned", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"noExpiration"}}`))
}

// sentBody posts one create of kind k through the real SDK and returns the wire body, decoded
// and raw.
func sentBody(t *testing.T, k pim.Kind, in pim.CreateInput) (map[string]any, string, seen) {
	t.Helper()
	rec := newRecorder(t, createAnswer)
	c := newTestClient(t, rec.baseURL())
	if _, err := c.For(k).Assign(ctxT(t), in); err != nil {
		t.Fatalf("Assign: %v", err)
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

// wantField checks a string property; want "" means the property must be absent.
func wantField(t *testing.T, m map[string]any, key, want string) {
	t.Helper()
	v, present := m[key]
	switch got, _ := v.(string); {
	case want == "" && present:
		t.Errorf("%s = %v, want it absent", key, v)
	case want != "" && got != want:
		t.Errorf("%s = %v, want %q", key, v, want)
	}
}

func TestCreateWireBody(t *testing.T) {
	start := time.Date(2030, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	fractional := time.Date(2030, 3, 4, 5, 6, 7, 123456789, time.UTC)
	end := time.Date(2030, 4, 4, 5, 6, 7, 0, time.UTC)
	justification := pim.AppendMarker("need it for the release", "team-a", "release-access", "5e0c1a9e-7f3b-4c4e-9b8a-3f0e2d1c0b9a")
	ticket := &pim.Ticket{System: "Jira", Number: "OPS-42"}
	triple := pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessOwner}

	for _, tc := range []struct {
		name                                  string
		exp                                   pim.Expiration
		start                                 *time.Time
		wantStart, wantType, wantEnd, wantDur string
	}{
		{"noExpiration", pim.Expiration{Type: pim.ExpirationNone}, &start, "2030-03-04T04:06:07Z", "noExpiration", "", ""},
		{"afterDateTime", pim.Expiration{Type: pim.ExpirationAfterDateTime, EndDateTime: &end}, &start, "2030-03-04T04:06:07Z", "afterDateTime", "2030-04-04T05:06:07Z", ""},
		{"afterDuration 30 days", pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 720 * time.Hour}, &start, "2030-03-04T04:06:07Z", "afterDuration", "", "P30D"},
		{"afterDuration 8 hours, start now", pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 8 * time.Hour}, nil, "", "afterDuration", "", "PT8H"},
		{"seven fractional digits at most", pim.Expiration{Type: pim.ExpirationNone}, &fractional, "2030-03-04T05:06:07.1234567Z", "noExpiration", "", ""},
	} {
		for _, k := range pim.Kinds() {
			t.Run(string(k)+" "+tc.name, func(t *testing.T) {
				body, raw, call := sentBody(t, k, pim.CreateInput{
					Triple:        triple,
					Justification: justification,
					Ticket:        ticket,
					Schedule:      pim.ScheduleInfo{Start: tc.start, Expiration: tc.exp},
				})
				if call.Method != http.MethodPost || call.Path != paths[k].requests {
					t.Errorf("sent %s %s, want POST %s", call.Method, call.Path, paths[k].requests)
				}
				if ce := call.Header.Get("Content-Encoding"); ce != "" {
					t.Errorf("request body sent with Content-Encoding %q; the compression handler must not be in the pipeline", ce)
				}
				if ct := call.Header.Values("Content-Type"); len(ct) != 1 || !strings.HasPrefix(ct[0], "application/json") {
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
				wantField(t, si, "startDateTime", tc.wantStart)
				wantField(t, si, "recurrence", "")
				exp := obj(t, si, "expiration")
				wantField(t, exp, "type", tc.wantType)
				wantField(t, exp, "endDateTime", tc.wantEnd)
				wantField(t, exp, "duration", tc.wantDur)
				if weeks.MatchString(raw) {
					t.Errorf("a duration in weeks went out: %s", raw)
				}
				for _, key := range []string{"id", "status", "targetScheduleId", "createdDateTime", "completedDateTime"} {
					wantField(t, body, key, "")
				}
			})
		}
	}
}

func TestCreateWithoutTicketSendsNoTicketInfo(t *testing.T) {
	body, _, _ := sentBody(t, pim.KindAssignment, pim.CreateInput{
		Triple:   pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember},
		Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationNone}},
	})
	if _, ok := body["ticketInfo"]; ok {
		t.Errorf("ticketInfo sent: %v", body)
	}
	wantField(t, body, "justification", "")
	wantField(t, body, "accessId", "member")
}

// Inputs the operator should never produce are refused before anything is sent, and say so.
func TestBadInputIsNotSent(t *testing.T) {
	rec := newRecorder(t, createAnswer)
	c := newTestClient(t, rec.baseURL()).For(pim.KindEligibility)
	ctx := ctxT(t)
	triple := pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}
	calls := map[string]func() error{}
	for name, in := range map[string]pim.CreateInput{
		"zero duration":         {Triple: triple, Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDuration}}},
		"afterDateTime, no end": {Triple: triple, Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDateTime}}},
		"unknown expiration":    {Triple: triple, Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: "someday"}}},
		"unknown access":        {Triple: pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: "admin"}},
		"no principal":          {Triple: pim.Triple{GroupID: testGroup, AccessID: pim.AccessMember}},
		"no access":             {Triple: pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup}},
	} {
		calls["assign, "+name] = func() error { _, err := c.Assign(ctx, in); return err }
	}
	calls["get, empty id"] = func() error { _, err := c.GetRequest(ctx, ""); return err }
	calls["cancel, blank id"] = func() error { return c.Cancel(ctx, " ") }
	calls["schedule, empty id"] = func() error { _, err := c.GetSchedule(ctx, ""); return err }
	calls["find, no group"] = func() error { _, err := c.FindRequests(ctx, testPrincipal, ""); return err }
	calls["remove, no group"] = func() error { _, err := c.Remove(ctx, pim.Triple{PrincipalID: testPrincipal}, "j"); return err }
	calls["live, no principal"] = func() error { _, err := c.FindLiveSchedules(ctx, pim.Triple{GroupID: testGroup}); return err }
	calls["live, unknown access"] = func() error {
		_, err := c.FindLiveSchedules(ctx, pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: "admin"})
		return err
	}
	calls["unknown kind"] = func() error { _, err := newTestClient(t, rec.baseURL()).For("role").GetRequest(ctx, "x"); return err }
	for name, call := range calls {
		err := call()
		if pe := mustPimError(t, err, pim.ClassUserFixable); !pe.NotSent || !strings.Contains(pe.Detail, "invalid input") {
			t.Errorf("%s: %+v, want NotSent and the reason", name, pe)
		}
	}
	if n := len(rec.seen()); n != 0 {
		t.Fatalf("%d calls sent for refused inputs", n)
	}
}

func TestRemoveWireBody(t *testing.T) {
	for _, k := range pim.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
				writeJSON(w, http.StatusCreated, strings.Replace(requestJSON("removal-1", "Revoked", `{"expiration":{"type":"noExpiration"}}`), "adminAssign", "adminRemove", 1))
			})
			r, err := newTestClient(t, rec.baseURL()).For(k).Remove(ctxT(t), pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}, "cleanup [pim-operator.dev ns/x uid=u]")
			if err != nil {
				t.Fatalf("Remove: %v", err)
			}
			if r.ID != "removal-1" || r.Status != pim.StatusRevoked || r.Action != pim.ActionAdminRemove {
				t.Errorf("got %+v", r)
			}
			call := rec.seen()[0]
			if call.Method != http.MethodPost || call.Path != paths[k].requests {
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
			for _, key := range []string{"scheduleInfo", "ticketInfo"} {
				if _, ok := body[key]; ok {
					t.Errorf("%s sent in an adminRemove: %s", key, call.Body)
				}
			}
		})
	}
}

// Every operation of each kind goes to that kind's collections, and only the URL differs.
func TestURLsPerKind(t *testing.T) {
	for _, k := range pim.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
				if strings.HasSuffix(r.URL.Path, "/cancel") {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				writeJSON(w, http.StatusOK, `{"value":[]}`)
			})
			c := newTestClient(t, rec.baseURL()).For(k)
			ctx := ctxT(t)
			if _, err := c.FindRequests(ctx, testPrincipal, "o'brien"); err != nil {
				t.Fatal(err)
			}
			if err := c.Cancel(ctx, testRequestID); err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			if s, err := c.FindLiveSchedules(ctx, pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}); err != nil || s == nil || len(s) != 0 {
				t.Fatalf("FindLiveSchedules = %#v, %v; want an empty list", s, err)
			}
			_, _ = c.GetRequest(ctx, testRequestID)
			_, _ = c.GetSchedule(ctx, testGroup+"_member_"+testRequestID)
			calls := rec.seen()
			want := []struct{ method, path string }{
				{http.MethodGet, paths[k].requests},
				{http.MethodPost, paths[k].requests + "/" + testRequestID + "/cancel"},
				{http.MethodGet, paths[k].schedules},
				{http.MethodGet, paths[k].requests + "/" + testRequestID},
				{http.MethodGet, paths[k].schedules + "/" + testGroup + "_member_" + testRequestID},
			}
			if len(calls) != len(want) {
				t.Fatalf("%d calls, want %d", len(calls), len(want))
			}
			for i, w := range want {
				if calls[i].Method != w.method || calls[i].Path != w.path {
					t.Errorf("call %d: %s %s, want %s %s", i, calls[i].Method, calls[i].Path, w.method, w.path)
				}
			}
			if calls[1].Body != "" {
				t.Errorf("cancel sent a body: %q", calls[1].Body)
			}
			for _, i := range []int{0, 2} {
				q, err := url.ParseQuery(calls[i].Query)
				if err != nil {
					t.Fatal(err)
				}
				wantFilter := "principalId eq '" + testPrincipal + "' and groupId eq '" + testGroup + "'"
				if i == 0 {
					wantFilter = "principalId eq '" + testPrincipal + "' and groupId eq 'o''brien'"
				}
				if got := q.Get("$filter"); got != wantFilter {
					t.Errorf("$filter = %q, want %q (raw query %q)", got, wantFilter, calls[i].Query)
				}
				if !strings.HasPrefix(calls[i].Query, "$filter=") {
					t.Errorf("raw query %q: want Graph's $filter, not %%24filter", calls[i].Query)
				}
			}
		})
	}
}
