package graphemu

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Instances are the access in effect now: served for a Provisioned schedule, not for one that
// starts later or has ended.

func TestAssignmentInstances(t *testing.T) {
	h := newHarness(t, Options{MinActiveAge: -1})
	now := h.create(assignBody())
	later := h.create(assignBody(with("principalId", principalB), withStart(t0.Add(time.Hour))))

	items := h.list(instancesPath, "groupId eq '"+groupA+"'").values()
	if len(items) != 1 {
		t.Fatalf("instances %v", items)
	}
	it := items[0]
	sid := now.str("targetScheduleId")
	if it["assignmentScheduleId"] != sid || it["id"] == sid || it["principalId"] != principalA ||
		it["assignmentType"] != AssignmentTypeAssigned || it["memberType"] != MemberTypeDirect ||
		it["startDateTime"] != gt(t0) || it["endDateTime"] != gt(t0.Add(8*time.Hour)) {
		t.Fatalf("instance %v", it)
	}
	id := it["id"].(string)
	g := h.do(http.MethodGet, instancesPath+"/"+url.PathEscape(id), nil)
	if g.status != http.StatusOK || g.str("assignmentScheduleId") != sid ||
		g.str("@odata.context") != h.srv.URL+"/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleInstances/$entity" {
		t.Fatalf("GET instance %s", g)
	}
	if got := ids(h.list(instancesPath, "groupId eq '"+groupA+"' and assignmentScheduleId eq '"+sid+"'").values()); len(got) != 1 || got[0] != id {
		t.Fatalf("filtered by schedule: %v", got)
	}
	wantError(t, h.list(instancesPath, "groupId eq '"+groupA+"' and status eq 'Provisioned'"), http.StatusBadRequest, CodeBadRequest)
	wantError(t, h.list(instancesPath, ""), http.StatusBadRequest, CodeBadRequest)

	// The future assignment gets its instance at its start.
	h.emu.Advance(time.Hour)
	if got := h.list(instancesPath, "principalId eq '"+principalB+"'").values(); len(got) != 1 || got[0]["assignmentScheduleId"] != later.str("targetScheduleId") {
		t.Fatalf("instances at the start: %v", got)
	}
	// Removed: no instance.
	h.create(removeBody(principalA, groupA, "member"))
	wantError(t, h.do(http.MethodGet, instancesPath+"/"+url.PathEscape(id), nil), http.StatusNotFound, CodeResourceNotFound)
	if got := h.list(instancesPath, "principalId eq '"+principalA+"'").values(); len(got) != 0 {
		t.Fatalf("instances after removal: %v", ids(got))
	}
	// An activation's instance says so.
	act := h.activate(Activation{PrincipalID: principalA, GroupID: groupB})
	if got := h.list(instancesPath, "groupId eq '"+groupB+"'").values(); len(got) != 1 || got[0]["assignmentType"] != AssignmentTypeActivated || got[0]["assignmentScheduleId"] != act.TargetScheduleID {
		t.Fatalf("activation instance %v", got)
	}
}

func TestEligibilityInstances(t *testing.T) {
	h := newHarness(t, Options{})
	el, err := h.emu.SeedEligibility(Eligibility{PrincipalID: principalA, GroupID: groupA, AccessID: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	items := h.list(eligibilityInstancesPath, "groupId eq '"+groupA+"' and accessId eq 'owner'").values()
	if len(items) != 1 || items[0]["eligibilityScheduleId"] != el.TargetScheduleID || items[0]["endDateTime"] != nil {
		t.Fatalf("eligibility instances %v", items)
	}
	if _, ok := items[0]["assignmentType"]; ok {
		t.Fatalf("an eligibility instance with an assignmentType: %v", items[0])
	}
	id := items[0]["id"].(string)
	wantStatus(t, h.do(http.MethodGet, eligibilityInstancesPath+"/"+url.PathEscape(id), nil), http.StatusOK)
	// Not an assignment instance.
	wantError(t, h.do(http.MethodGet, instancesPath+"/"+url.PathEscape(id), nil), http.StatusNotFound, CodeResourceNotFound)
	if got := h.list(instancesPath, "groupId eq '"+groupA+"'").values(); len(got) != 0 {
		t.Fatalf("assignment instances %v", ids(got))
	}
}

// TestCapitalizedMemberTypesKnob: Options.CapitalizedMemberTypes answers as most of Graph's
// examples spell memberType and assignmentType; $filter matches either spelling.
func TestCapitalizedMemberTypesKnob(t *testing.T) {
	h := newHarness(t, Options{CapitalizedMemberTypes: true})
	sid := h.create(assignBody()).str("targetScheduleId")
	s := h.getSchedule(sid)
	if s.str("memberType") != "Direct" || s.str("assignmentType") != "Assigned" {
		t.Fatalf("schedule %s", s)
	}
	for _, f := range []string{"memberType eq 'direct'", "memberType eq 'Direct'", "assignmentType eq 'ASSIGNED'"} {
		if got := h.list(instancesPath, "groupId eq '"+groupA+"' and "+f).values(); len(got) != 1 || got[0]["memberType"] != "Direct" {
			t.Fatalf("%s: %v", f, got)
		}
	}
	if snap, _ := h.emu.Schedule(sid); snap.MemberType != MemberTypeDirect {
		t.Fatalf("snapshot memberType %q", snap.MemberType)
	}
	h.emu.SetCapitalizedMemberTypes(false)
	if got := h.getSchedule(sid).str("memberType"); got != MemberTypeDirect {
		t.Fatalf("knob off: %q", got)
	}
}
