package graphemu

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Eligibility schedule requests follow the same rules as assignment requests, on their own
// URLs and their own triples.

func (h *harness) createEligibility(body map[string]any) *response {
	h.t.Helper()
	return h.createIn(eligibilityRequestsPath, body)
}

func TestEligibilityAssignAndRemove(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.createEligibility(assignBody(withExpiration(map[string]any{"type": "afterDuration", "duration": "P365D"})))
	id, sid := r.str("id"), r.str("targetScheduleId")
	if r.str("status") != StatusProvisioned || sid != groupA+"_member_"+id || r.str("createdBy", "application", "id") != CallerID {
		t.Fatalf("created %s", r)
	}
	if ctx := r.str("@odata.context"); ctx != h.srv.URL+"/v1.0/$metadata#identityGovernance/privilegedAccess/group/eligibilityScheduleRequests/$entity" {
		t.Fatalf("@odata.context %q", ctx)
	}
	// Its own URLs serve it; the assignment URLs do not.
	wantStatus(t, h.do(http.MethodGet, eligibilityRequestsPath+"/"+id, nil), http.StatusOK)
	wantError(t, h.getRequest(id), http.StatusNotFound, CodeResourceNotFound)
	s := h.do(http.MethodGet, eligibilitySchedulesPath+"/"+url.PathEscape(sid), nil)
	if s.status != http.StatusOK || s.str("status") != StatusProvisioned || s.str("memberType") != MemberTypeDirect || s.get("assignmentType") != nil {
		t.Fatalf("eligibility schedule %s", s)
	}
	wantError(t, h.getSchedule(sid), http.StatusNotFound, CodeResourceNotFound)
	if got := ids(h.list(eligibilityRequestsPath, tripleFilter(principalA, groupA)).values()); len(got) != 1 || got[0] != id {
		t.Fatalf("listed eligibility requests %v", got)
	}
	if got := h.list(requestsPath, tripleFilter(principalA, groupA)).values(); len(got) != 0 {
		t.Fatalf("an eligibility listed as an assignment request: %v", ids(got))
	}

	// No minimum age before removing an eligibility by default.
	rm := h.createEligibility(removeBody(principalA, groupA, "member"))
	if rm.str("status") != StatusRevoked || rm.get("targetScheduleId") != nil || rm.get("completedDateTime") != nil {
		t.Fatalf("removal %s", rm)
	}
	wantError(t, h.do(http.MethodGet, eligibilitySchedulesPath+"/"+url.PathEscape(sid), nil), http.StatusNotFound, CodeResourceNotFound)
	if got := h.do(http.MethodGet, eligibilityRequestsPath+"/"+id, nil).str("status"); got != StatusProvisioned {
		t.Fatalf("assigning eligibility request after removal: %q", got)
	}
	if snaps := h.emu.EligibilitySchedules(); len(snaps) != 1 || snaps[0].EndReason != EndReasonRemoved || snaps[0].Kind != KindEligibility {
		t.Fatalf("snapshots %+v", snaps)
	}
	if reqs := h.emu.EligibilityRequests(); len(reqs) != 2 || len(h.emu.Requests()) != 0 {
		t.Fatalf("eligibility requests %+v, assignment requests %+v", reqs, h.emu.Requests())
	}
	wantError(t, h.do(http.MethodPost, eligibilityRequestsPath, removeBody(principalA, groupA, "member")), http.StatusBadRequest, CodeRoleAssignmentDoesNotExist)
}

func TestEligibilityOneLivePerTriple(t *testing.T) {
	h := newHarness(t, Options{})
	h.createEligibility(assignBody())
	wantError(t, h.do(http.MethodPost, eligibilityRequestsPath, assignBody()), http.StatusBadRequest, CodeRoleAssignmentExists)
	// An eligibility and an active assignment of the same triple are different things.
	h.create(assignBody())
	if _, err := h.emu.SeedEligibility(Eligibility{PrincipalID: principalA, GroupID: groupA}); !errors.Is(err, ErrEligibilityExists) {
		t.Fatalf("seeding a second eligibility: %v", err)
	}

	p := newHarness(t, Options{ProvisioningDelay: time.Minute})
	p.createEligibility(assignBody())
	wantError(t, p.do(http.MethodPost, eligibilityRequestsPath, assignBody()), http.StatusBadRequest, CodePendingRoleAssignmentRequest)
	wantError(t, p.do(http.MethodPost, eligibilityRequestsPath, removeBody(principalA, groupA, "member")), http.StatusBadRequest, CodePendingRoleAssignmentRequest)
}

func TestEligibilityMinActiveAgeKnob(t *testing.T) {
	h := newHarness(t, Options{EligibilityMinActiveAge: 5 * time.Minute})
	h.createEligibility(assignBody())
	wantError(t, h.do(http.MethodPost, eligibilityRequestsPath, removeBody(principalA, groupA, "member")), http.StatusBadRequest, CodeActiveDurationTooShort)
	h.emu.Advance(5 * time.Minute)
	h.createEligibility(removeBody(principalA, groupA, "member"))

	// The assignments' minimum does not apply to eligibilities, and the other way round.
	h.emu.SetEligibilityMinActiveAge(0)
	h.emu.SetMinActiveAge(time.Hour)
	h.createEligibility(assignBody())
	h.createEligibility(removeBody(principalA, groupA, "member"))
	if s := h.emu.Settings(); s.EligibilityMinActiveAge != 0 || s.MinActiveAge != time.Hour {
		t.Fatalf("settings %+v", s)
	}
}

func TestEligibilityClockListLagPurgeAndCancel(t *testing.T) {
	h := newHarness(t, Options{ListLag: 10 * time.Second})
	start := t0.Add(time.Hour)
	r := h.createEligibility(assignBody(withStart(start)))
	id, sid := r.str("id"), r.str("targetScheduleId")
	if r.str("status") != StatusGranted || r.str("completedDateTime") != gt(start) {
		t.Fatalf("future eligibility %s", r)
	}
	if got := h.list(eligibilityRequestsPath, tripleFilter(principalA, groupA)).values(); len(got) != 0 {
		t.Fatalf("listed before the lag: %v", ids(got))
	}
	h.emu.Advance(10 * time.Second)
	if got := ids(h.list(eligibilityRequestsPath, tripleFilter(principalA, groupA)).values()); len(got) != 1 {
		t.Fatalf("after the lag: %v", got)
	}
	h.emu.Advance(time.Hour)
	if got := h.do(http.MethodGet, eligibilityRequestsPath+"/"+id, nil).str("status"); got != StatusProvisioned {
		t.Fatalf("at the start: %q", got)
	}
	wantError(t, h.do(http.MethodPost, eligibilityRequestsPath+"/"+id+"/cancel", nil), http.StatusBadRequest, CodeRequestCannotBeCancelled)

	// Purged: the request is gone, the schedule stays; it expires on time.
	if err := h.emu.Purge(id); err != nil {
		t.Fatal(err)
	}
	wantError(t, h.do(http.MethodGet, eligibilityRequestsPath+"/"+id, nil), http.StatusNotFound, CodeResourceNotFound)
	wantStatus(t, h.do(http.MethodGet, eligibilitySchedulesPath+"/"+url.PathEscape(sid), nil), http.StatusOK)
	h.emu.Advance(8 * time.Hour)
	wantError(t, h.do(http.MethodGet, eligibilitySchedulesPath+"/"+url.PathEscape(sid), nil), http.StatusNotFound, CodeResourceNotFound)

	// A future eligibility can be cancelled, on its own URL only.
	c := h.createEligibility(assignBody(with("principalId", principalB), withStart(h.emu.Now().Add(time.Hour)))).str("id")
	wantError(t, h.cancel(c), http.StatusNotFound, CodeResourceNotFound)
	wantStatus(t, h.do(http.MethodPost, eligibilityRequestsPath+"/"+c+"/cancel", nil), http.StatusNoContent)
	if got, _ := h.emu.Request(c); got.Status != StatusCanceled || got.Kind != KindEligibility {
		t.Fatalf("after cancel %+v", got)
	}
}

func TestEligibilityCreateValidation(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.do(http.MethodPost, eligibilityRequestsPath, assignBody(with("reason", "x")))
	wantError(t, r, http.StatusBadRequest, CodeBadRequest)
	if want := "The property 'reason' does not exist on type 'microsoft.graph.privilegedAccessGroupEligibilityScheduleRequest'. Make sure to only use property names that are defined by the type or mark the type as open type."; r.str("error", "message") != want {
		t.Fatalf("message %q", r.str("error", "message"))
	}
	wantError(t, h.do(http.MethodPost, eligibilityRequestsPath, assignBody(with("scheduleInfo", nil))), http.StatusBadRequest, CodeInvalidRequest)
	// Enum values are read without regard to case, as the documented eligibility create sends
	// them (AdminAssign, AfterDateTime), and answered in Graph's spelling.
	ok := h.createEligibility(assignBody(with("action", "AdminAssign"), withExpiration(map[string]any{"type": "AfterDateTime", "endDateTime": t0.Add(time.Hour).Format(time.RFC3339)})))
	if ok.str("action") != ActionAdminAssign || ok.str("scheduleInfo", "expiration", "type") != ExpirationAfterDateTime {
		t.Fatalf("created %s", ok)
	}
}

func TestSeedActivationNeedsALiveEligibility(t *testing.T) {
	h := newHarness(t, Options{})
	act := Activation{PrincipalID: principalA, GroupID: groupA, AccessID: "member"}
	if _, err := h.emu.SeedActivation(act); !errors.Is(err, ErrNoEligibility) {
		t.Fatalf("without an eligibility: %v", err)
	}
	// One that starts later cannot be activated yet.
	if _, err := h.emu.SeedEligibility(Eligibility{PrincipalID: principalA, GroupID: groupA, Start: t0.Add(time.Hour), Duration: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.emu.SeedActivation(act); !errors.Is(err, ErrNoEligibility) {
		t.Fatalf("before the eligibility starts: %v", err)
	}
	h.emu.Advance(time.Hour)
	req, err := h.emu.SeedActivation(act)
	if err != nil || req.Status != StatusProvisioned || req.Kind != KindAssignment || req.CreatedBy != principalA {
		t.Fatalf("activation %+v, %v", req, err)
	}
	if _, err := h.emu.SeedActivation(act); !errors.Is(err, ErrAssignmentExists) {
		t.Fatalf("activating twice: %v", err)
	}
	// Owner is another triple.
	if _, err := h.emu.SeedActivation(Activation{PrincipalID: principalA, GroupID: groupA, AccessID: "owner"}); !errors.Is(err, ErrNoEligibility) {
		t.Fatalf("owner without an eligibility: %v", err)
	}
	// Once the eligibility is removed there is nothing to activate; the activation already
	// made runs on to its end (docs/graph.md: open).
	h.emu.Advance(8 * time.Hour)
	h.createEligibility(removeBody(principalA, groupA, "member"))
	if _, err := h.emu.SeedActivation(act); !errors.Is(err, ErrNoEligibility) {
		t.Fatalf("after removal: %v", err)
	}
}

func TestCallsAndFaultsTellTheKindsApart(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.AddFault(Fault{Kind: KindEligibility, Operation: OpCreateRequest, Status: http.StatusServiceUnavailable})
	h.create(assignBody())
	wantError(t, h.do(http.MethodPost, eligibilityRequestsPath, assignBody()), http.StatusServiceUnavailable, CodeServiceUnavailable)
	h.list(eligibilitySchedulesPath, "groupId eq '"+groupA+"'")
	h.list(instancesPath, "groupId eq '"+groupA+"'")
	h.do(http.MethodGet, "/v1.0/me", nil)

	calls := h.emu.Calls()
	want := []struct{ kind, op string }{
		{KindAssignment, OpCreateRequest}, {KindEligibility, OpCreateRequest},
		{KindEligibility, OpListSchedules}, {KindAssignment, OpListInstances}, {"", ""},
	}
	if len(calls) != len(want) {
		t.Fatalf("calls %+v", calls)
	}
	for i, w := range want {
		if calls[i].Kind != w.kind || calls[i].Operation != w.op {
			t.Errorf("call %d = %s %s, want %s %s", i, calls[i].Kind, calls[i].Operation, w.kind, w.op)
		}
	}
	for _, c := range []struct {
		kind, op, action string
		want             int
	}{
		{"", OpCreateRequest, "", 2},
		{KindAssignment, OpCreateRequest, ActionAdminAssign, 1},
		{KindEligibility, OpCreateRequest, ActionAdminAssign, 1},
		{KindEligibility, "", "", 2},
	} {
		if got := h.emu.CountKindCalls(c.kind, c.op, c.action); got != c.want {
			t.Errorf("CountKindCalls(%q, %q, %q) = %d, want %d", c.kind, c.op, c.action, got, c.want)
		}
	}
}
