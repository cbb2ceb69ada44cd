package graph

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// getOne serves one request body for GET by id and returns what the client made of it.
func getOne(t *testing.T, body string) *pim.Request {
	t.Helper()
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { writeJSON(w, http.StatusOK, body) })
	r, err := newTestClient(t, rec.baseURL()).For(pim.KindAssignment).GetRequest(ctxT(t), testRequestID)
	if err != nil {
		t.Fatalf("GetRequest: %v", err)
	}
	return r
}

func TestRequestConversion(t *testing.T) {
	start := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	created := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		schedule string
		typ      pim.ExpirationType
		dur      time.Duration
		start    *time.Time
		end      *time.Time
	}{
		{"noExpiration", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"noExpiration"}}`, pim.ExpirationNone, 0, &start, nil},
		{"afterDateTime", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDateTime","endDateTime":"2025-02-01T10:00:00Z"}}`,
			pim.ExpirationAfterDateTime, 0, &start, ptr(time.Date(2025, 2, 1, 10, 0, 0, 0, time.UTC))},
		{"afterDuration PT8H", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"PT8H"}}`,
			pim.ExpirationAfterDuration, 8 * time.Hour, &start, ptr(start.Add(8 * time.Hour))},
		{"afterDuration P30D", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"P30D"}}`,
			pim.ExpirationAfterDuration, 720 * time.Hour, &start, ptr(start.Add(720 * time.Hour))},
		{"weeks as kiota writes them", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"P4W2D"}}`,
			pim.ExpirationAfterDuration, 720 * time.Hour, &start, ptr(start.Add(720 * time.Hour))},
		{"seconds kiota reads as zero", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"PT30S"}}`,
			pim.ExpirationAfterDuration, 30 * time.Second, &start, ptr(start.Add(30 * time.Second))},
		{"fractional hours", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"PT1.5H"}}`,
			pim.ExpirationAfterDuration, 90 * time.Minute, &start, ptr(start.Add(90 * time.Minute))},
		{"no start: created stands in", `{"expiration":{"type":"afterDuration","duration":"PT8H"}}`,
			pim.ExpirationAfterDuration, 8 * time.Hour, &created, ptr(created.Add(8 * time.Hour))},
		{"zone-less times are UTC", `{"startDateTime":"2025-01-01T10:00:00","expiration":{"type":"afterDateTime","endDateTime":"2025-01-02T10:00:00.1234567"}}`,
			pim.ExpirationAfterDateTime, 0, &start, ptr(time.Date(2025, 1, 2, 10, 0, 0, 123456700, time.UTC))},
		{"both end and duration: end wins", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"PT8H","endDateTime":"2025-01-01T12:00:00Z"}}`,
			pim.ExpirationAfterDuration, 8 * time.Hour, &start, ptr(start.Add(2 * time.Hour))},
		{"garbage duration is ignored, not fatal", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"eight hours"}}`,
			pim.ExpirationAfterDuration, 0, &start, nil},
		{"type missing, end given", `{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"endDateTime":"2025-02-01T10:00:00Z"}}`,
			pim.ExpirationAfterDateTime, 0, &start, ptr(time.Date(2025, 2, 1, 10, 0, 0, 0, time.UTC))},
		{"no scheduleInfo", `null`, "", 0, &created, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := getOne(t, requestJSON(testRequestID, "Provisioned", tc.schedule))
			if r.ID != testRequestID || r.Status != pim.StatusProvisioned || r.Action != pim.ActionAdminAssign ||
				r.Triple != (pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember}) ||
				r.TargetScheduleID != testGroup+"_member_"+testRequestID || r.Justification != "because" {
				t.Errorf("request fields: %+v", r)
			}
			if r.Created == nil || !r.Created.Equal(created) || r.Completed == nil {
				t.Errorf("created/completed: %v %v", r.Created, r.Completed)
			}
			if r.Schedule.Expiration.Type != tc.typ || r.Schedule.Expiration.Duration != tc.dur {
				t.Errorf("expiration = %+v, want type %q duration %s", r.Schedule.Expiration, tc.typ, tc.dur)
			}
			if !sameTime(r.Start, tc.start) {
				t.Errorf("Start = %v, want %v", r.Start, tc.start)
			}
			if !sameTime(r.End, tc.end) {
				t.Errorf("End = %v, want %v", r.End, tc.end)
			}
		})
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b) && a.Location() == time.UTC
}

func TestRequestConversionKeepsUnknownValuesAndTicket(t *testing.T) {
	body := strings.Replace(requestJSON(testRequestID, "SomethingNew", `{"expiration":{"type":"noExpiration"}}`), `"action":"adminAssign"`, `"action":"adminUpdate"`, 1)
	body = strings.Replace(body, `"accessId":"member"`, `"accessId":"unknownFutureValue","ticketInfo":{"ticketNumber":"42","ticketSystem":"SNOW"},"futureProperty":{"x":[1]}`, 1)
	r := getOne(t, body)
	if r.Status != "SomethingNew" || r.Action != "adminUpdate" || r.Triple.AccessID != "" {
		t.Errorf("got status %q action %q access %q", r.Status, r.Action, r.Triple.AccessID)
	}
	if r.Ticket == nil || *r.Ticket != (pim.Ticket{System: "SNOW", Number: "42"}) {
		t.Errorf("ticket = %+v", r.Ticket)
	}
}

func TestFindRequestsFollowsNextLink(t *testing.T) {
	var rec *recorder
	rec = newRecorder(t, func(n int, r *http.Request, w http.ResponseWriter) {
		switch n {
		case 1:
			writeJSON(w, http.StatusOK, `{"value":[`+requestJSON("r1", "Provisioned", `null`)+`],"@odata.nextLink":"`+rec.srv.URL+paths[pim.KindEligibility].requests+`?$skiptoken=abc"}`)
		default:
			if r.URL.Query().Get("$skiptoken") != "abc" || r.URL.Path != paths[pim.KindEligibility].requests {
				t.Errorf("second page query %q", r.URL.RawQuery)
			}
			writeJSON(w, http.StatusOK, `{"value":[`+requestJSON("r2", "Revoked", `null`)+`,null]}`)
		}
	})
	got, err := newTestClient(t, rec.baseURL()).For(pim.KindEligibility).FindRequests(ctxT(t), testPrincipal, testGroup)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "r1" || got[1].ID != "r2" || got[1].Status != pim.StatusRevoked {
		t.Fatalf("got %+v", got)
	}
}

func TestListsStopOnEndlessPaging(t *testing.T) {
	var rec *recorder
	rec = newRecorder(t, func(n int, _ *http.Request, w http.ResponseWriter) {
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"value":[],"@odata.nextLink":"%s%s?$skiptoken=%d"}`, rec.srv.URL, paths[pim.KindAssignment].schedules, n))
	})
	_, err := newTestClient(t, rec.baseURL()).For(pim.KindAssignment).FindLiveSchedules(ctxT(t), pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember})
	mustPimError(t, err, pim.ClassTransient)
	if n := len(rec.seen()); n != maxPages {
		t.Errorf("%d pages fetched, want %d", n, maxPages)
	}
}

// scheduleJSON is an assignment schedule as Graph lists it, eight hours from its start.
func scheduleJSON(id, access, status, assignmentType, memberType, created string) string {
	return `{"id":"` + id + `","accessId":"` + access + `","status":"` + status + `","assignmentType":"` + assignmentType +
		`","memberType":"` + memberType + `","principalId":"` + testPrincipal + `","groupId":"` + testGroup + `","createdUsing":"r-` + id +
		`","createdDateTime":"` + created + `","scheduleInfo":{"startDateTime":"2025-01-01T10:00:00Z","expiration":{"type":"afterDuration","duration":"PT8H"}}}`
}

func TestFindLiveSchedules(t *testing.T) {
	day := func(d int) string { return fmt.Sprintf("2025-01-%02dT10:00:00Z", d) }
	for _, tc := range []struct {
		name   string
		value  []string
		access pim.AccessID
		want   []string
	}{
		{"none", nil, pim.AccessMember, nil},
		{"only the other access kind", []string{scheduleJSON("s-owner", "owner", "Provisioned", "assigned", "direct", day(1))}, pim.AccessMember, nil},
		{"ended ones are not live", []string{
			scheduleJSON("s-revoked", "member", "Revoked", "assigned", "direct", day(1)),
			scheduleJSON("s-canceled", "member", "Canceled", "assigned", "direct", day(2)),
			scheduleJSON("s-expired", "member", "Expired", "assigned", "direct", day(3)),
			scheduleJSON("s-denied", "member", "Denied", "assigned", "direct", day(4)),
			scheduleJSON("s-failed", "member", "Failed", "assigned", "direct", day(5)),
		}, pim.AccessMember, nil},
		{"granted and unknown statuses count as live", []string{
			scheduleJSON("s-granted", "member", "Granted", "assigned", "direct", day(1)),
			scheduleJSON("s-new", "member", "SomethingNew", "assigned", "direct", day(2)),
		}, pim.AccessMember, []string{"s-new", "s-granted"}},
		{"every kind of holding, newest first", []string{
			scheduleJSON("s-assigned", "member", "Provisioned", "assigned", "direct", day(1)),
			scheduleJSON("s-activated", "member", "Provisioned", "activated", "direct", day(3)),
			scheduleJSON("s-group", "member", "Provisioned", "assigned", "group", day(2)),
		}, pim.AccessMember, []string{"s-activated", "s-group", "s-assigned"}},
		{"enums capitalised as in Graph's examples", []string{scheduleJSON("s-caps", "Owner", "Provisioned", "Assigned", "Direct", day(1))}, pim.AccessOwner, []string{"s-caps"}},
		{"a schedule without accessId is kept: it may be live", []string{scheduleJSON("s-unsaid", "", "Provisioned", "assigned", "direct", day(1)),
			scheduleJSON("s-owner", "owner", "Provisioned", "assigned", "direct", day(2))}, pim.AccessMember, []string{"s-unsaid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
				writeJSON(w, http.StatusOK, `{"value":[`+strings.Join(append(tc.value, "null"), ",")+`]}`)
			})
			got, err := newTestClient(t, rec.baseURL()).For(pim.KindAssignment).FindLiveSchedules(ctxT(t), pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: tc.access})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
				if s.Start == nil || s.End == nil || s.End.Sub(*s.Start) != 8*time.Hour || s.Created == nil || s.CreatedUsing != "r-"+s.ID ||
					s.MemberType == "" || s.AssignmentType == "" || s.Triple.PrincipalID != testPrincipal {
					t.Errorf("schedule fields: %+v", s)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestGetSchedule(t *testing.T) {
	id := testGroup + "_member_" + testRequestID
	for _, k := range pim.Kinds() {
		rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
			writeJSON(w, http.StatusOK, scheduleJSON(id, "member", "Provisioned", "Assigned", "Group", "2025-01-01T10:00:00.1234567"))
		})
		s, err := newTestClient(t, rec.baseURL()).For(k).GetSchedule(ctxT(t), id)
		if err != nil {
			t.Fatal(err)
		}
		want := pim.Schedule{ID: id, Status: pim.StatusProvisioned, Triple: pim.Triple{PrincipalID: testPrincipal, GroupID: testGroup, AccessID: pim.AccessMember},
			MemberType: pim.MemberTypeGroup, AssignmentType: pim.AssignmentTypeAssigned, CreatedUsing: "r-" + id}
		if s.Created == nil || s.Created.Nanosecond() != 123456700 || s.Created.Location() != time.UTC {
			t.Errorf("%s: created %v", k, s.Created)
		}
		s.Created, s.Start, s.End = nil, nil, nil
		if *s != want {
			t.Errorf("%s: got %+v, want %+v", k, *s, want)
		}
		if p := rec.seen()[0].Path; p != paths[k].schedules+"/"+id {
			t.Errorf("%s: path %s", k, p)
		}
	}
}

// A next page that cannot be read fails the list: a partial list would hide requests.
func TestListFailsOnABadNextLink(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
		writeJSON(w, http.StatusOK, `{"value":[`+requestJSON("r1", "Provisioned", `null`)+`],"@odata.nextLink":"http://%zz"}`)
	})
	_, err := newTestClient(t, rec.baseURL()).For(pim.KindAssignment).FindRequests(ctxT(t), testPrincipal, testGroup)
	mustPimError(t, err, pim.ClassTransient)
}
