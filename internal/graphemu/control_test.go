package graphemu

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestControlAPI(t *testing.T) {
	h := newHarness(t, Options{})

	// Settings.
	r := h.do(http.MethodPut, "/_emulator/settings", map[string]any{"minActiveAge": "0s", "listLag": "3s", "provisioningDelay": "0s", "unscopedListEmpty": true,
		"eligibilityMinActiveAge": "2m", "capitalizedMemberTypes": true})
	wantStatus(t, r, http.StatusOK)
	if r.str("listLag") != "3s" || r.str("minActiveAge") != "0s" || r.get("unscopedListEmpty") != true ||
		r.str("eligibilityMinActiveAge") != "2m0s" || r.get("capitalizedMemberTypes") != true {
		t.Fatalf("settings answer %s", r)
	}
	if s := h.emu.Settings(); s.ListLag != 3*time.Second || s.MinActiveAge != 0 || !s.UnscopedListEmpty || s.EligibilityMinActiveAge != 2*time.Minute || !s.CapitalizedMemberTypes {
		t.Fatalf("Settings() = %+v", s)
	}
	wantStatus(t, h.do(http.MethodPut, "/_emulator/settings", map[string]any{"listLag": "soon"}), http.StatusBadRequest)
	if h.emu.Settings().ListLag != 3*time.Second {
		t.Fatal("a refused settings change applied")
	}
	if got := h.do(http.MethodGet, "/_emulator/settings", nil).str("listLag"); got != "3s" {
		t.Fatalf("GET settings listLag %q", got)
	}

	// Clock.
	r = h.do(http.MethodPost, "/_emulator/clock/advance", map[string]any{"duration": "10m"})
	wantStatus(t, r, http.StatusOK)
	if r.str("now") != t0.Add(10*time.Minute).Format(time.RFC3339) || !h.emu.Now().Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("clock after advance: %s", r)
	}
	wantStatus(t, h.do(http.MethodPost, "/_emulator/clock/advance", map[string]any{"duration": "-1m"}), http.StatusBadRequest)
	if got := h.do(http.MethodGet, "/_emulator/clock", nil).str("now"); got != t0.Add(10*time.Minute).Format(time.RFC3339) {
		t.Fatalf("GET clock %q", got)
	}

	// Eligibilities, approval and activations: activating needs an eligibility.
	wantStatus(t, h.do(http.MethodPut, "/_emulator/groups/"+groupA+"/approval", map[string]any{"required": true}), http.StatusNoContent)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/activations", map[string]any{"principalId": principalA, "groupId": groupA}), http.StatusConflict)
	r = h.do(http.MethodPost, "/_emulator/eligibilities", map[string]any{"principalId": principalA, "groupId": groupA, "duration": "720h"})
	wantStatus(t, r, http.StatusCreated)
	if r.str("kind") != KindEligibility || r.str("status") != StatusProvisioned || r.str("createdBy") != PortalAdminID {
		t.Fatalf("eligibility %s", r)
	}
	wantStatus(t, h.do(http.MethodPost, "/_emulator/eligibilities", map[string]any{"principalId": principalA, "groupId": groupA}), http.StatusConflict)
	r = h.do(http.MethodPost, "/_emulator/activations", map[string]any{"principalId": principalA, "groupId": groupA, "duration": "2h", "justification": "incident"})
	wantStatus(t, r, http.StatusCreated)
	id := r.str("id")
	if r.str("status") != StatusPendingApproval || r.str("action") != ActionSelfActivate || r.str("scheduleInfo", "expiration", "duration") != "PT2H" {
		t.Fatalf("activation %s", r)
	}
	wantStatus(t, h.do(http.MethodPost, "/_emulator/activations", map[string]any{"principalId": "me", "groupId": groupA}), http.StatusBadRequest)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/requests/"+id+"/approve", nil), http.StatusNoContent)
	if got := h.do(http.MethodGet, "/_emulator/requests/"+id, nil).str("status"); got != StatusProvisioned {
		t.Fatalf("after approve: %q", got)
	}
	wantStatus(t, h.do(http.MethodPost, "/_emulator/requests/"+id+"/deny", nil), http.StatusConflict)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/requests/"+id+"/frobnicate", nil), http.StatusNotFound)

	// Seeded assignments.
	wantStatus(t, h.do(http.MethodPost, "/_emulator/assignments", map[string]any{"principalId": principalB, "groupId": groupB, "accessId": "owner", "start": t0.Format(time.RFC3339)}), http.StatusCreated)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/assignments", map[string]any{"principalId": principalB, "groupId": groupB, "accessId": "owner"}), http.StatusConflict)

	// Status hook, purge.
	wantStatus(t, h.do(http.MethodPut, "/_emulator/requests/"+id+"/status", map[string]any{"status": "Failed"}), http.StatusNoContent)
	if rq, _ := h.emu.Request(id); rq.Status != StatusFailed {
		t.Fatalf("status hook: %q", rq.Status)
	}
	wantStatus(t, h.do(http.MethodPost, "/_emulator/requests/"+id+"/purge", nil), http.StatusNoContent)
	wantStatus(t, h.do(http.MethodGet, "/_emulator/requests/"+id, nil), http.StatusNotFound)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/requests/"+id+"/purge", nil), http.StatusNotFound)

	// Snapshots.
	var reqs []Request
	if err := json.Unmarshal(h.do(http.MethodGet, "/_emulator/requests", nil).body, &reqs); err != nil || len(reqs) != 1 || reqs[0].AccessID != "owner" {
		t.Fatalf("GET requests: %v %+v", err, reqs)
	}
	var scheds []Schedule
	if err := json.Unmarshal(h.do(http.MethodGet, "/_emulator/schedules", nil).body, &scheds); err != nil || len(scheds) != 2 {
		t.Fatalf("GET schedules: %v %+v", err, scheds)
	}
	var elig []Request
	if err := json.Unmarshal(h.do(http.MethodGet, "/_emulator/eligibilityRequests", nil).body, &elig); err != nil || len(elig) != 1 || elig[0].Kind != KindEligibility {
		t.Fatalf("GET eligibilityRequests: %v %+v", err, elig)
	}
	if err := json.Unmarshal(h.do(http.MethodGet, "/_emulator/eligibilitySchedules", nil).body, &scheds); err != nil || len(scheds) != 1 || !scheds[0].Live() {
		t.Fatalf("GET eligibilitySchedules: %v %+v", err, scheds)
	}

	// Faults.
	wantStatus(t, h.do(http.MethodPost, "/_emulator/faults", map[string]any{"operation": "getSchedule", "status": 429, "retryAfter": "4s", "count": 1}), http.StatusCreated)
	wantStatus(t, h.do(http.MethodPost, "/_emulator/faults", map[string]any{"operation": "deleteEverything", "status": 500}), http.StatusBadRequest)
	var faults []faultJSON
	if err := json.Unmarshal(h.do(http.MethodGet, "/_emulator/faults", nil).body, &faults); err != nil || len(faults) != 1 || faults[0].RetryAfter != "4s" {
		t.Fatalf("GET faults: %v %+v", err, faults)
	}
	g := h.getSchedule("whatever")
	if g.status != 429 || g.header.Get("Retry-After") != "4" {
		t.Fatalf("control-made fault: %s", g)
	}
	wantStatus(t, h.do(http.MethodPost, "/_emulator/faults", map[string]any{"status": 500}), http.StatusCreated)
	wantStatus(t, h.do(http.MethodDelete, "/_emulator/faults", nil), http.StatusNoContent)
	if len(h.emu.Faults()) != 0 {
		t.Fatal("DELETE faults left faults")
	}

	// Calls: Graph calls only.
	var calls []Call
	if err := json.Unmarshal(h.do(http.MethodGet, "/_emulator/calls", nil).body, &calls); err != nil || len(calls) != 1 || calls[0].Operation != OpGetSchedule || calls[0].Status != 429 {
		t.Fatalf("GET calls: %v %+v", err, calls)
	}
	wantStatus(t, h.do(http.MethodDelete, "/_emulator/calls", nil), http.StatusNoContent)
	if n := h.emu.CountCalls(""); n != 0 {
		t.Fatalf("%d calls after DELETE", n)
	}

	// Reset.
	wantStatus(t, h.do(http.MethodPost, "/_emulator/reset", nil), http.StatusNoContent)
	if len(h.emu.Requests()) != 0 || len(h.emu.Schedules()) != 0 || len(h.emu.EligibilityRequests()) != 0 || len(h.emu.EligibilitySchedules()) != 0 {
		t.Fatal("reset kept state")
	}
	wantStatus(t, h.do(http.MethodGet, "/_emulator/nothing", nil), http.StatusNotFound)
}
