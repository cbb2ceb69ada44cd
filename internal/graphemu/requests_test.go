package graphemu

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestCreateAdminAssignNowIsProvisioned(t *testing.T) {
	h := newHarness(t, Options{})
	// A start in the past is replaced by the processing time, as Graph does.
	r := h.create(assignBody(withStart(t0.Add(-48 * time.Hour))))

	id := r.str("id")
	if !guidRE.MatchString(id) {
		t.Fatalf("id %q is not a GUID", id)
	}
	for field, want := range map[string]string{
		"status":            StatusProvisioned,
		"action":            "adminAssign",
		"accessId":          "member",
		"principalId":       principalA,
		"groupId":           groupA,
		"targetScheduleId":  groupA + "_member_" + id,
		"justification":     "Needed for the release.",
		"createdDateTime":   gt(t0),
		"completedDateTime": gt(t0),
	} {
		if got := r.str(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if got := r.str("scheduleInfo", "startDateTime"); got != gt(t0) {
		t.Errorf("scheduleInfo.startDateTime = %q, want %q", got, gt(t0))
	}
	if got := r.str("scheduleInfo", "expiration", "type"); got != "afterDuration" {
		t.Errorf("expiration.type = %q", got)
	}
	if got := r.str("scheduleInfo", "expiration", "duration"); got != "PT8H" {
		t.Errorf("expiration.duration = %q", got)
	}
	if r.str("ticketInfo", "ticketNumber") != "CHG-1" || r.str("ticketInfo", "ticketSystem") != "ServiceNow" {
		t.Errorf("ticketInfo = %v", r.get("ticketInfo"))
	}
	if v, ok := r.obj["isValidationOnly"]; !ok || v != false {
		t.Errorf("isValidationOnly = %v", v)
	}
	if v, ok := r.obj["approvalId"]; !ok || v != nil {
		t.Errorf("approvalId = %v, want null", v)
	}
	if got := r.str("createdBy", "application", "id"); got != CallerID {
		t.Errorf("createdBy.application.id = %q", got)
	}
	if ctx := r.str("@odata.context"); !strings.HasSuffix(ctx, "/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity") {
		t.Errorf("@odata.context = %q", ctx)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}

	s := h.getSchedule(groupA + "_member_" + id)
	wantStatus(t, s, http.StatusOK)
	for field, want := range map[string]string{
		"id":             groupA + "_member_" + id,
		"status":         StatusProvisioned,
		"accessId":       "member",
		"principalId":    principalA,
		"groupId":        groupA,
		"memberType":     MemberTypeDirect,
		"assignmentType": AssignmentTypeAssigned,
		"createdUsing":   id,
	} {
		if got := s.str(field); got != want {
			t.Errorf("schedule %s = %q, want %q", field, got, want)
		}
	}
	if got := s.str("scheduleInfo", "startDateTime"); got != gt(t0) {
		t.Errorf("schedule start = %q", got)
	}
	if ctx := s.str("@odata.context"); !strings.HasSuffix(ctx, "assignmentSchedules/$entity") {
		t.Errorf("schedule @odata.context = %q", ctx)
	}
}

func TestCreateAdminAssignFutureStartIsGrantedThenProvisioned(t *testing.T) {
	h := newHarness(t, Options{})
	start := t0.Add(2 * time.Hour)
	r := h.create(assignBody(withStart(start)))
	id, sid := r.str("id"), r.str("targetScheduleId")
	if r.str("status") != StatusGranted {
		t.Fatalf("status = %q, want Granted", r.str("status"))
	}
	// Graph reports a Granted request as completed at its scheduled start.
	if r.str("completedDateTime") != gt(start) || r.str("scheduleInfo", "startDateTime") != gt(start) {
		t.Fatalf("completed %q start %q, want %q", r.str("completedDateTime"), r.str("scheduleInfo", "startDateTime"), gt(start))
	}
	s := h.getSchedule(sid)
	wantStatus(t, s, http.StatusOK)
	if s.str("status") != StatusGranted {
		t.Fatalf("schedule status = %q, want Granted", s.str("status"))
	}
	if got := ids(h.list(schedulesPath, "principalId eq '"+principalA+"'").values()); len(got) != 1 || got[0] != sid {
		t.Fatalf("listed schedules = %v, want [%s]", got, sid)
	}

	h.emu.Advance(2*time.Hour - time.Second)
	if got := h.getRequest(id).str("status"); got != StatusGranted {
		t.Fatalf("a second before the start: %q, want Granted", got)
	}
	h.emu.Advance(time.Second)
	if got := h.getRequest(id).str("status"); got != StatusProvisioned {
		t.Fatalf("at the start: request %q, want Provisioned", got)
	}
	if got := h.getSchedule(sid).str("status"); got != StatusProvisioned {
		t.Fatalf("at the start: schedule %q, want Provisioned", got)
	}
}

func TestCancelFromEachStatus(t *testing.T) {
	cases := []struct {
		status string
		want   int
	}{
		{StatusGranted, http.StatusNoContent},
		{StatusPendingApproval, http.StatusNoContent},
		{StatusPendingAdminDecision, http.StatusNoContent},
		{StatusProvisioned, http.StatusBadRequest},
		{StatusPendingProvisioning, http.StatusBadRequest},
		{StatusPendingScheduleCreation, http.StatusBadRequest},
		{StatusScheduleCreated, http.StatusBadRequest},
		{StatusCanceled, http.StatusBadRequest},
		{StatusDenied, http.StatusBadRequest},
		{StatusFailed, http.StatusBadRequest},
		{StatusRevoked, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.status, func(t *testing.T) {
			h := newHarness(t, Options{})
			r := h.create(assignBody(withStart(t0.Add(time.Hour))))
			id, sid := r.str("id"), r.str("targetScheduleId")
			if err := h.emu.SetRequestStatus(id, tc.status); err != nil {
				t.Fatal(err)
			}
			c := h.cancel(id)
			if tc.want == http.StatusNoContent {
				wantStatus(t, c, http.StatusNoContent)
				if len(c.body) != 0 {
					t.Fatalf("204 with a body: %q", c.body)
				}
				if got := h.getRequest(id).str("status"); got != StatusCanceled {
					t.Fatalf("after cancel: %q, want Canceled", got)
				}
				// The future assignment is gone with it.
				wantError(t, h.getSchedule(sid), http.StatusNotFound, CodeResourceNotFound)
				return
			}
			wantError(t, c, http.StatusBadRequest, CodeRequestCannotBeCancelled)
			if got := h.getRequest(id).str("status"); got != tc.status {
				t.Fatalf("a refused cancel changed the status to %q", got)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		h := newHarness(t, Options{})
		wantError(t, h.cancel("5a3c1e0b-0000-4000-8000-000000000001"), http.StatusNotFound, CodeResourceNotFound)
	})
	t.Run("purged", func(t *testing.T) {
		h := newHarness(t, Options{})
		id := h.create(assignBody(withStart(t0.Add(time.Hour)))).str("id")
		if err := h.emu.Purge(id); err != nil {
			t.Fatal(err)
		}
		wantError(t, h.cancel(id), http.StatusNotFound, CodeResourceNotFound)
	})
}

func TestAdminRemove(t *testing.T) {
	t.Run("live assignment old enough", func(t *testing.T) {
		h := newHarness(t, Options{})
		a := h.create(assignBody())
		h.emu.Advance(5 * time.Minute)
		r := h.create(removeBody(principalA, groupA, "member"))
		if r.str("status") != StatusRevoked || r.str("action") != "adminRemove" || r.str("id") == a.str("id") {
			t.Fatalf("removal = %s", r)
		}
		// As Graph's documented removal: no completedDateTime, no targetScheduleId.
		for _, k := range []string{"completedDateTime", "targetScheduleId"} {
			if v, ok := r.obj[k]; !ok || v != nil {
				t.Fatalf("removal %s = %v, want null", k, v)
			}
		}
		if got := h.getRequest(a.str("id")).str("status"); got != StatusProvisioned {
			t.Fatalf("assigning request after removal: %q, want Provisioned", got)
		}
		wantError(t, h.getSchedule(a.str("targetScheduleId")), http.StatusNotFound, CodeResourceNotFound)
		if got := h.list(schedulesPath, tripleFilter(principalA, groupA)).values(); len(got) != 0 {
			t.Fatalf("schedules listed after removal: %v", ids(got))
		}
		// The removal request is listed beside the original.
		if got := ids(h.list(requestsPath, tripleFilter(principalA, groupA)).values()); len(got) != 2 {
			t.Fatalf("requests listed = %v, want 2", got)
		}
		// The triple can be assigned again; the new schedule has a new id.
		again := h.create(assignBody())
		if again.str("targetScheduleId") == a.str("targetScheduleId") {
			t.Fatal("a new assignment reused the old schedule id")
		}
		snap, ok := h.emu.Schedule(a.str("targetScheduleId"))
		if !ok || snap.Live() || snap.EndReason != EndReasonRemoved {
			t.Fatalf("snapshot of removed schedule = %+v", snap)
		}
	})
	t.Run("too young", func(t *testing.T) {
		h := newHarness(t, Options{})
		a := h.create(assignBody())
		h.emu.Advance(4*time.Minute + 59*time.Second)
		r := h.do(http.MethodPost, requestsPath, removeBody(principalA, groupA, "member"))
		wantError(t, r, http.StatusBadRequest, CodeActiveDurationTooShort)
		if msg := r.str("error", "message"); !strings.Contains(msg, "5 minutes") {
			t.Fatalf("message = %q", msg)
		}
		wantStatus(t, h.getSchedule(a.str("targetScheduleId")), http.StatusOK)
	})
	t.Run("minimum is a knob", func(t *testing.T) {
		h := newHarness(t, Options{MinActiveAge: time.Second})
		h.create(assignBody())
		wantError(t, h.do(http.MethodPost, requestsPath, removeBody(principalA, groupA, "member")), http.StatusBadRequest, CodeActiveDurationTooShort)
		h.emu.Advance(time.Second)
		h.create(removeBody(principalA, groupA, "member"))
	})
	t.Run("nothing live", func(t *testing.T) {
		h := newHarness(t, Options{})
		wantError(t, h.do(http.MethodPost, requestsPath, removeBody(principalA, groupA, "member")), http.StatusBadRequest, CodeRoleAssignmentDoesNotExist)
		// A member assignment is not an owner assignment.
		h.create(assignBody())
		h.emu.Advance(10 * time.Minute)
		wantError(t, h.do(http.MethodPost, requestsPath, removeBody(principalA, groupA, "owner")), http.StatusBadRequest, CodeRoleAssignmentDoesNotExist)
	})
	t.Run("after expiry", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.create(assignBody())
		h.emu.Advance(8 * time.Hour)
		wantError(t, h.do(http.MethodPost, requestsPath, removeBody(principalA, groupA, "member")), http.StatusBadRequest, CodeRoleAssignmentDoesNotExist)
	})
}

func TestDuplicateAssign(t *testing.T) {
	t.Run("provisioned", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.create(assignBody())
		r := h.do(http.MethodPost, requestsPath, assignBody())
		wantError(t, r, http.StatusBadRequest, CodeRoleAssignmentExists)
		if r.str("error", "message") != "The Role assignment already exists." {
			t.Fatalf("message = %q", r.str("error", "message"))
		}
		// Another access kind, principal or group is another triple.
		h.create(assignBody(with("accessId", "owner")))
		h.create(assignBody(with("principalId", principalB)))
		h.create(assignBody(with("groupId", groupB)))
		if n := len(h.emu.Requests()); n != 4 {
			t.Fatalf("%d requests stored, want 4", n)
		}
	})
	t.Run("granted", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.create(assignBody(withStart(t0.Add(time.Hour))))
		wantError(t, h.do(http.MethodPost, requestsPath, assignBody()), http.StatusBadRequest, CodeRoleAssignmentExists)
	})
	t.Run("pending provisioning", func(t *testing.T) {
		h := newHarness(t, Options{ProvisioningDelay: time.Minute})
		h.create(assignBody())
		wantError(t, h.do(http.MethodPost, requestsPath, assignBody()), http.StatusBadRequest, CodePendingRoleAssignmentRequest)
	})
	t.Run("uppercase ids are the same triple", func(t *testing.T) {
		h := newHarness(t, Options{})
		r := h.create(assignBody())
		if r.str("principalId") != principalA {
			t.Fatalf("principalId = %q", r.str("principalId"))
		}
		wantError(t, h.do(http.MethodPost, requestsPath, assignBody(with("principalId", strings.ToUpper(principalA)))), http.StatusBadRequest, CodeRoleAssignmentExists)
	})
	t.Run("seeded by someone else", func(t *testing.T) {
		h := newHarness(t, Options{})
		seeded, err := h.emu.SeedAssignment(Assignment{PrincipalID: principalA, GroupID: groupA, AccessID: "member"})
		if err != nil {
			t.Fatal(err)
		}
		if seeded.Status != StatusProvisioned || seeded.CreatedBy != PortalAdminID {
			t.Fatalf("seeded = %+v", seeded)
		}
		wantError(t, h.do(http.MethodPost, requestsPath, assignBody()), http.StatusBadRequest, CodeRoleAssignmentExists)
		if _, err := h.emu.SeedAssignment(Assignment{PrincipalID: principalA, GroupID: groupA}); err != ErrAssignmentExists {
			t.Fatalf("second seed: %v, want ErrAssignmentExists", err)
		}
	})
}

func TestSeedAssignmentInThePastCanBeRemovedAtOnce(t *testing.T) {
	h := newHarness(t, Options{})
	seeded, err := h.emu.SeedAssignment(Assignment{PrincipalID: principalA, GroupID: groupA, Start: t0.Add(-time.Hour), Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := h.getSchedule(seeded.TargetScheduleID)
	if s.str("status") != StatusProvisioned || s.str("scheduleInfo", "startDateTime") != gt(t0.Add(-time.Hour)) {
		t.Fatalf("schedule = %s", s)
	}
	h.create(removeBody(principalA, groupA, "member"))
	wantError(t, h.getSchedule(seeded.TargetScheduleID), http.StatusNotFound, CodeResourceNotFound)
}

func TestListRequests(t *testing.T) {
	h := newHarness(t, Options{})
	a := h.create(assignBody()).str("id")
	b := h.create(assignBody(with("principalId", principalB))).str("id")
	c := h.create(assignBody(with("groupId", groupB))).str("id")

	cases := []struct {
		name, filter string
		want         []string
	}{
		{"by principal", "principalId eq '" + principalA + "'", []string{a, c}},
		{"by group", "groupId eq '" + groupA + "'", []string{a, b}},
		{"by both", tripleFilter(principalA, groupA), []string{a}},
		{"both, group first, extra spaces", "  groupId  eq '" + groupB + "'   and principalId eq '" + principalA + "' ", []string{c}},
		{"upper-case keywords and value", "principalId EQ '" + strings.ToUpper(principalB) + "'", []string{b}},
		{"parentheses", "(principalId eq '" + principalA + "') and (groupId eq '" + groupA + "')", []string{a}},
		{"with status", "groupId eq '" + groupA + "' and status eq 'Provisioned'", []string{a, b}},
		{"with status ne", "groupId eq '" + groupA + "' and status ne 'Provisioned'", []string{}},
		{"nobody", "principalId eq '00000000-0000-4000-8000-000000000000'", []string{}},
		{"createdBy eq null, as documented", "groupId eq '" + groupA + "' and createdBy eq null", []string{}},
		{"createdBy is its identity's id", "groupId eq '" + groupA + "' and createdBy eq '" + CallerID + "'", []string{a, b}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.list(requestsPath, tc.filter)
			wantStatus(t, r, http.StatusOK)
			got := ids(r.values())
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if !strings.HasSuffix(r.str("@odata.context"), "$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests") {
				t.Fatalf("@odata.context = %q", r.str("@odata.context"))
			}
		})
	}

	t.Run("items are full requests", func(t *testing.T) {
		items := h.list(requestsPath, tripleFilter(principalA, groupA)).values()
		if len(items) != 1 || items[0]["targetScheduleId"] != groupA+"_member_"+a || items[0]["status"] != StatusProvisioned {
			t.Fatalf("items = %v", items)
		}
		if _, ok := items[0]["@odata.context"]; ok {
			t.Fatal("list items carry @odata.context")
		}
	})
	t.Run("raw spaces and quotes, dollar-less filter", func(t *testing.T) {
		r := h.do(http.MethodGet, requestsPath+"?filter=principalId+eq+%27"+principalB+"%27", nil)
		if got := ids(r.values()); len(got) != 1 || got[0] != b {
			t.Fatalf("got %s", r)
		}
	})

	refused := []struct{ name, filter string }{
		{"no filter", ""},
		{"status only", "status eq 'Provisioned'"},
		{"ne on principal only", "principalId ne '" + principalA + "'"},
		{"or", "principalId eq '" + principalA + "' or groupId eq '" + groupA + "'"},
		{"unknown property", "principalId eq '" + principalA + "' and color eq 'red'"},
		{"unquoted value", "principalId eq " + principalA},
		{"unterminated quote", "principalId eq '" + principalA},
		{"unsupported operator", "principalId gt '" + principalA + "'"},
		{"operator the property does not document", "principalId eq '" + principalA + "' and groupId ne '" + groupA + "'"},
		{"property the docs do not list", "principalId eq '" + principalA + "' and accessId eq 'member'"},
		{"eq null where not documented", "principalId eq '" + principalA + "' and status eq null"},
		{"dangling and", "principalId eq '" + principalA + "' and"},
	}
	for _, tc := range refused {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			wantError(t, h.list(requestsPath, tc.filter), http.StatusBadRequest, CodeBadRequest)
		})
	}
}

// TestUnscopedListEmptyKnob: every list without an eq on principalId or groupId is 400 by
// default, or 200 with an empty value (what app-only callers report) with the knob.
func TestUnscopedListEmptyKnob(t *testing.T) {
	h := newHarness(t, Options{UnscopedListEmpty: true})
	h.create(assignBody())
	for _, path := range []string{requestsPath, schedulesPath, instancesPath, eligibilityRequestsPath, eligibilitySchedulesPath, eligibilityInstancesPath} {
		wantError(t, newHarness(t, Options{}).list(path, ""), http.StatusBadRequest, CodeBadRequest)
		r := h.list(path, "")
		wantStatus(t, r, http.StatusOK)
		if v, ok := r.get("value").([]any); !ok || len(v) != 0 {
			t.Fatalf("%s without a filter: %s, want an empty value", path, r)
		}
	}
	// A malformed filter is still refused.
	wantError(t, h.list(requestsPath, "principalId eq"), http.StatusBadRequest, CodeBadRequest)
}

func TestListLagKeepsNewRequestsOutOfLists(t *testing.T) {
	h := newHarness(t, Options{ListLag: 30 * time.Second})
	id := h.create(assignBody()).str("id")
	if got := h.list(requestsPath, tripleFilter(principalA, groupA)).values(); len(got) != 0 {
		t.Fatalf("listed before the lag: %v", ids(got))
	}
	wantStatus(t, h.getRequest(id), http.StatusOK)
	h.emu.Advance(29 * time.Second)
	if got := h.list(requestsPath, tripleFilter(principalA, groupA)).values(); len(got) != 0 {
		t.Fatalf("listed a second before the lag ends: %v", ids(got))
	}
	h.emu.Advance(time.Second)
	if got := ids(h.list(requestsPath, tripleFilter(principalA, groupA)).values()); len(got) != 1 || got[0] != id {
		t.Fatalf("after the lag: %v, want [%s]", got, id)
	}

	// The setter changes the lag for new requests.
	h.emu.SetListLag(0)
	id2 := h.create(assignBody(with("principalId", principalB))).str("id")
	if got := ids(h.list(requestsPath, "principalId eq '"+principalB+"'").values()); len(got) != 1 || got[0] != id2 {
		t.Fatalf("with no lag: %v", got)
	}
}

func TestPurgeKeepsTheSchedule(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.create(assignBody())
	id, sid := r.str("id"), r.str("targetScheduleId")
	if err := h.emu.Purge(id); err != nil {
		t.Fatal(err)
	}
	wantError(t, h.getRequest(id), http.StatusNotFound, CodeResourceNotFound)
	if got := h.list(requestsPath, tripleFilter(principalA, groupA)).values(); len(got) != 0 {
		t.Fatalf("purged request listed: %v", ids(got))
	}
	s := h.getSchedule(sid)
	if s.status != http.StatusOK || s.str("createdUsing") != id {
		t.Fatalf("schedule after purge: %s", s)
	}
	if _, ok := h.emu.Request(id); ok {
		t.Fatal("Request() still returns the purged request")
	}
	if err := h.emu.Purge(id); err != ErrNotFound {
		t.Fatalf("second purge: %v", err)
	}
	// The schedule still ends on time.
	h.emu.Advance(8 * time.Hour)
	wantError(t, h.getSchedule(sid), http.StatusNotFound, CodeResourceNotFound)
}

func TestExpiryEndsTheSchedule(t *testing.T) {
	end := t0.Add(90 * time.Minute)
	cases := []struct {
		name  string
		exp   map[string]any
		until time.Duration
	}{
		{"afterDuration", map[string]any{"type": "afterDuration", "duration": "PT1H"}, time.Hour},
		{"afterDateTime", map[string]any{"type": "afterDateTime", "endDateTime": end.Format(time.RFC3339)}, 90 * time.Minute},
		{"P30D", map[string]any{"type": "afterDuration", "duration": "P30D"}, 30 * 24 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			r := h.create(assignBody(withExpiration(tc.exp)))
			id, sid := r.str("id"), r.str("targetScheduleId")
			h.emu.Advance(tc.until - time.Second)
			wantStatus(t, h.getSchedule(sid), http.StatusOK)
			h.emu.Advance(time.Second)
			wantError(t, h.getSchedule(sid), http.StatusNotFound, CodeResourceNotFound)
			if got := h.list(schedulesPath, tripleFilter(principalA, groupA)).values(); len(got) != 0 {
				t.Fatalf("expired schedule listed: %v", ids(got))
			}
			// Graph keeps the request Provisioned.
			if got := h.getRequest(id).str("status"); got != StatusProvisioned {
				t.Fatalf("request after expiry: %q", got)
			}
			snap, _ := h.emu.Schedule(sid)
			if snap.EndReason != EndReasonExpired || snap.EndedDateTime == nil || !snap.EndedDateTime.Equal(t0.Add(tc.until)) {
				t.Fatalf("snapshot = %+v", snap)
			}
		})
	}
	t.Run("noExpiration", func(t *testing.T) {
		h := newHarness(t, Options{})
		sid := h.create(assignBody(withExpiration(map[string]any{"type": "noExpiration"}))).str("targetScheduleId")
		h.emu.Advance(10 * 365 * 24 * time.Hour)
		wantStatus(t, h.getSchedule(sid), http.StatusOK)
	})
}

func TestProvisioningDelay(t *testing.T) {
	h := newHarness(t, Options{ProvisioningDelay: 10 * time.Second})
	r := h.create(assignBody())
	id, sid := r.str("id"), r.str("targetScheduleId")
	if r.str("status") != StatusPendingProvisioning {
		t.Fatalf("status = %q, want PendingProvisioning", r.str("status"))
	}
	if v, ok := r.obj["completedDateTime"]; !ok || v != nil {
		t.Fatalf("completedDateTime = %v, want null", v)
	}
	wantError(t, h.getSchedule(sid), http.StatusNotFound, CodeResourceNotFound)
	wantError(t, h.cancel(id), http.StatusBadRequest, CodeRequestCannotBeCancelled)

	h.emu.Advance(10 * time.Second)
	g := h.getRequest(id)
	if g.str("status") != StatusProvisioned || g.str("completedDateTime") != gt(t0.Add(10*time.Second)) {
		t.Fatalf("after the delay: %s", g)
	}
	s := h.getSchedule(sid)
	if s.status != http.StatusOK || s.str("scheduleInfo", "startDateTime") != gt(t0.Add(10*time.Second)) {
		t.Fatalf("schedule after the delay: %s", s)
	}

	// A future start goes PendingProvisioning → Granted.
	h.emu.SetProvisioningDelay(5 * time.Second)
	f := h.create(assignBody(with("principalId", principalB), withStart(h.emu.Now().Add(time.Hour))))
	h.emu.Advance(5 * time.Second)
	if got := h.getRequest(f.str("id")).str("status"); got != StatusGranted {
		t.Fatalf("future start after the delay: %q, want Granted", got)
	}
}

func TestSelfActivationApproval(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.SetApprovalRequired(groupA, true)

	pending := h.activate(Activation{PrincipalID: principalA, GroupID: groupA, AccessID: "member", Justification: "on call", Duration: 2 * time.Hour})
	if pending.Status != StatusPendingApproval || pending.ApprovalID != pending.ID || pending.Action != ActionSelfActivate {
		t.Fatalf("activation = %+v", pending)
	}
	g := h.getRequest(pending.ID)
	if g.str("status") != StatusPendingApproval || g.str("approvalId") != pending.ID || g.str("createdBy", "user", "id") != principalA {
		t.Fatalf("GET = %s", g)
	}
	if got := ids(h.list(requestsPath, tripleFilter(principalA, groupA)).values()); len(got) != 1 {
		t.Fatalf("seeded activation not listed at once: %v", got)
	}
	wantError(t, h.getSchedule(pending.TargetScheduleID), http.StatusNotFound, CodeResourceNotFound)

	h.emu.Advance(time.Minute)
	if err := h.emu.Approve(pending.ID); err != nil {
		t.Fatal(err)
	}
	approved := h.getRequest(pending.ID)
	if approved.str("status") != StatusProvisioned {
		t.Fatalf("after approval: %s", approved)
	}
	s := h.getSchedule(pending.TargetScheduleID)
	if s.str("assignmentType") != AssignmentTypeActivated || s.str("scheduleInfo", "startDateTime") != gt(t0.Add(time.Minute)) {
		t.Fatalf("schedule after approval: %s", s)
	}
	if err := h.emu.Approve(pending.ID); err == nil {
		t.Fatal("approving twice succeeded")
	}
	// The activation runs two hours from approval.
	h.emu.Advance(2 * time.Hour)
	wantError(t, h.getSchedule(pending.TargetScheduleID), http.StatusNotFound, CodeResourceNotFound)

	denied := h.activate(Activation{PrincipalID: principalB, GroupID: groupA})
	if err := h.emu.Deny(denied.ID); err != nil {
		t.Fatal(err)
	}
	if got := h.getRequest(denied.ID).str("status"); got != StatusDenied {
		t.Fatalf("after deny: %q", got)
	}
	wantError(t, h.cancel(denied.ID), http.StatusBadRequest, CodeRequestCannotBeCancelled)

	// Without approval an activation is provisioned at once, for 8 hours by default.
	direct := h.activate(Activation{PrincipalID: principalA, GroupID: groupB})
	if direct.Status != StatusProvisioned || direct.ScheduleInfo.Expiration.Duration != "PT8H" {
		t.Fatalf("activation without approval = %+v", direct)
	}
	// Approval does not apply to adminAssign.
	if got := h.create(assignBody(with("principalId", principalB), with("groupId", groupA))).str("status"); got != StatusProvisioned {
		t.Fatalf("adminAssign in an approval group: %q", got)
	}

	if err := h.emu.Approve("00000000-0000-4000-8000-000000000009"); err != ErrNotFound {
		t.Fatalf("approve unknown: %v", err)
	}
}

func TestPendingApprovalCanBeCancelled(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.SetApprovalRequired(groupA, true)
	a := h.activate(Activation{PrincipalID: principalA, GroupID: groupA})
	wantStatus(t, h.cancel(a.ID), http.StatusNoContent)
	if got, _ := h.emu.Request(a.ID); got.Status != StatusCanceled {
		t.Fatalf("after cancel: %q", got.Status)
	}
	if err := h.emu.Approve(a.ID); err == nil {
		t.Fatal("approved a cancelled request")
	}
}

func TestValidationOnlyStoresNothing(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.create(assignBody(with("isValidationOnly", true)))
	if r.get("isValidationOnly") != true || r.str("status") != StatusProvisioned {
		t.Fatalf("validation-only answer: %s", r)
	}
	wantError(t, h.getRequest(r.str("id")), http.StatusNotFound, CodeResourceNotFound)
	if n := len(h.emu.Schedules()); n != 0 {
		t.Fatalf("%d schedules after a validation-only request", n)
	}
	h.create(assignBody())
}
