package graphemu

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/graphdocs"
)

const policyAssignmentsPath = "/v1.0/policies/roleManagementPolicyAssignments"

// policyQuery is the documented read of one access's policy with its rules.
func policyQuery(group, access string) string {
	return policyAssignmentsPath + encodeQuery("$filter=scopeId eq '"+group+"' and scopeType eq 'Group' and roleDefinitionId eq '"+access+"'&$expand=policy($expand=rules)")
}

// servedRules are the rules the emulator serves for the group and access, by id.
func servedRules(t *testing.T, h *harness, group, access string) map[string]map[string]any {
	t.Helper()
	r := h.do(http.MethodGet, policyQuery(group, access), nil)
	wantStatus(t, r, http.StatusOK)
	vs := r.values()
	if len(vs) != 1 {
		t.Fatalf("%d assignments for %s/%s: %s", len(vs), group, access, r)
	}
	out := map[string]map[string]any{}
	for _, rl := range vs[0]["policy"].(map[string]any)["rules"].([]any) {
		m := rl.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// The documented defaults are served exactly as Graph's group example shows them (example 4,
// the owner's policy), but for the metadata's spelling of target.operations.
func TestDocumentedGroupPolicyIsServedAsTheExampleShows(t *testing.T) {
	var ex graphdocs.Example
	for _, e := range loadExamples(t) {
		if e.File == "policyroot-list-rolemanagementpolicyassignments.example4" {
			ex = e
		}
	}
	var doc struct {
		Value []struct {
			Policy map[string]any `json:"policy"`
		} `json:"value"`
	}
	if err := json.Unmarshal(ex.Response.BodyJSON(), &doc); err != nil || len(doc.Value) != 1 {
		t.Fatalf("example 4: %v", err)
	}
	h := newHarness(t, Options{DocumentedGroupPolicies: true})
	r := h.do(http.MethodGet, policyQuery(groupA, AccessOwner), nil)
	wantStatus(t, r, http.StatusOK)
	served := r.values()[0]["policy"].(map[string]any)
	documented := doc.Value[0].Policy
	for _, p := range []map[string]any{served, documented} {
		for _, rl := range p["rules"].([]any) {
			target := rl.(map[string]any)["target"].(map[string]any)
			for i, op := range target["operations"].([]any) {
				target["operations"].([]any)[i] = strings.ToLower(op.(string))
			}
		}
		// Ids and scope are the example's own group's.
		for _, k := range []string{"id", "scopeId"} {
			delete(p, k)
		}
	}
	if !reflect.DeepEqual(served, documented) {
		a, _ := json.MarshalIndent(served, "", " ")
		b, _ := json.MarshalIndent(documented, "", " ")
		t.Errorf("served policy\n%s\ndocumented\n%s", a, b)
	}
	if got := r.values()[0]["id"]; got != GroupPolicyID(groupA, AccessOwner)+"_owner" {
		t.Errorf("assignment id %v", got)
	}
	if !strings.HasPrefix(GroupPolicyID(groupA, AccessOwner), "Group_"+groupA+"_") || GroupPolicyID(groupA, AccessOwner) == GroupPolicyID(groupA, AccessMember) {
		t.Errorf("policy ids %s %s", GroupPolicyID(groupA, AccessOwner), GroupPolicyID(groupA, AccessMember))
	}
}

// A group whose policy was never set serves, and enforces, the unrestricted policy.
func TestDefaultGroupPolicyIsUnrestricted(t *testing.T) {
	h := newHarness(t, Options{})
	for _, access := range []string{AccessMember, AccessOwner} {
		rules := servedRules(t, h, groupA, access)
		for _, level := range []string{"Assignment", "Eligibility"} {
			exp, en := rules["Expiration_Admin_"+level], rules["Enablement_Admin_"+level]
			if exp["isExpirationRequired"] != false || exp["maximumDuration"] != nil || len(en["enabledRules"].([]any)) != 0 {
				t.Errorf("%s %s: %v %v", access, level, exp, en)
			}
		}
		if len(rules) != 17 {
			t.Errorf("%d rules, want 17", len(rules))
		}
	}
	h.create(assignBody(withExpiration(map[string]any{"type": "noExpiration"}), with("justification", nil), with("ticketInfo", nil)))
	if p, explicit := h.emu.GroupPolicy(groupA, AccessMember); explicit || !reflect.DeepEqual(p, UnrestrictedGroupPolicy()) {
		t.Errorf("GroupPolicy: %+v %v", p, explicit)
	}
	h.emu.SetDocumentedGroupPolicies(true)
	if p, explicit := h.emu.GroupPolicy(groupA, AccessMember); explicit || !reflect.DeepEqual(p, DocumentedGroupPolicy()) {
		t.Errorf("GroupPolicy with the documented defaults: %+v %v", p, explicit)
	}
}

// The emulator refuses an adminAssign that breaks its group's policy, with Graph's code and the
// names of the failed rules, for each kind by the rules of its level.
func TestGroupPolicyEnforcement(t *testing.T) {
	strict := GroupPolicy{
		Assignment:  PolicyLevel{ExpirationRequired: true, MaximumDuration: "PT8H", EnabledRules: []string{EnabledJustification}},
		Eligibility: PolicyLevel{ExpirationRequired: true, MaximumDuration: "P30D", EnabledRules: []string{EnabledTicketing}},
	}
	dur := func(d string) func(map[string]any) {
		return withExpiration(map[string]any{"type": "afterDuration", "duration": d})
	}
	end := func(at time.Time) func(map[string]any) {
		return withExpiration(map[string]any{"type": "AfterDateTime", "endDateTime": at.Format(time.RFC3339)})
	}
	for _, tc := range []struct {
		name   string
		path   string
		policy GroupPolicy
		mods   []func(map[string]any)
		failed string // "" for 201
	}{
		{"within the maximum", requestsPath, strict, []func(map[string]any){dur("PT8H")}, ""},
		{"over the maximum", requestsPath, strict, []func(map[string]any){dur("PT8H1S")}, `["ExpirationRule"]`},
		{"end date within the maximum from a future start", requestsPath, strict,
			[]func(map[string]any){end(t0.Add(10 * time.Hour)), withStart(t0.Add(2 * time.Hour))}, ""},
		{"end date over the maximum", requestsPath, strict, []func(map[string]any){end(t0.Add(9 * time.Hour))}, `["ExpirationRule"]`},
		{"no end where one is required", requestsPath, strict,
			[]func(map[string]any){withExpiration(map[string]any{"type": "noExpiration"})}, `["ExpirationRule"]`},
		{"no expiration at all", requestsPath, strict, []func(map[string]any){withExpiration(nil)}, `["ExpirationRule"]`},
		{"permanent where no end is required", requestsPath, GroupPolicy{Assignment: PolicyLevel{MaximumDuration: "PT1H"}},
			[]func(map[string]any){withExpiration(map[string]any{"type": "noExpiration"})}, ""},
		{"the maximum bounds an end even when none is required", requestsPath, GroupPolicy{Assignment: PolicyLevel{MaximumDuration: "PT1H"}},
			[]func(map[string]any){dur("PT2H")}, `["ExpirationRule"]`},
		{"no justification", requestsPath, strict, []func(map[string]any){with("justification", nil)}, `["JustificationRule"]`},
		{"a blank justification", requestsPath, strict, []func(map[string]any){with("justification", "  ")}, `["JustificationRule"]`},
		{"MFA is never satisfied", requestsPath, GroupPolicy{Assignment: PolicyLevel{EnabledRules: []string{EnabledMFA}}}, nil, `["MfaRule"]`},
		{"eligibility within P30D with a ticket", eligibilityRequestsPath, strict, []func(map[string]any){dur("P30D"), with("justification", nil)}, ""},
		{"eligibility over P30D", eligibilityRequestsPath, strict, []func(map[string]any){dur("P30DT1M")}, `["ExpirationRule"]`},
		{"eligibility without a ticket", eligibilityRequestsPath, strict, []func(map[string]any){dur("P1D"), with("ticketInfo", nil)}, `["TicketingRule"]`},
		{"a ticket without its system", eligibilityRequestsPath, strict,
			[]func(map[string]any){dur("P1D"), with("ticketInfo", map[string]any{"ticketNumber": "CHG-1"})}, `["TicketingRule"]`},
		{"every rule at once, in order", requestsPath,
			GroupPolicy{Assignment: PolicyLevel{ExpirationRequired: true, MaximumDuration: "PT1H", EnabledRules: []string{EnabledTicketing, EnabledMFA, EnabledJustification}}},
			[]func(map[string]any){dur("PT2H"), with("justification", nil), with("ticketInfo", nil)},
			`["ExpirationRule","JustificationRule","MfaRule","TicketingRule"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			if err := h.emu.SetGroupPolicy(groupA, AccessMember, tc.policy); err != nil {
				t.Fatal(err)
			}
			r := h.do(http.MethodPost, tc.path, assignBody(tc.mods...))
			if tc.failed == "" {
				wantStatus(t, r, http.StatusCreated)
				return
			}
			wantError(t, r, http.StatusBadRequest, CodePolicyValidationFailed)
			if got, want := r.str("error", "message"), "The following policy rules failed: "+tc.failed; got != want {
				t.Errorf("message %q, want %q", got, want)
			}
			// Nothing is stored, and the owner's policy and other groups are not this one.
			if n := len(h.emu.Requests()) + len(h.emu.EligibilityRequests()); n != 0 {
				t.Errorf("%d requests stored", n)
			}
			h.createIn(tc.path, assignBody(append(tc.mods, with("accessId", "owner"))...))
			h.createIn(tc.path, assignBody(append(tc.mods, with("groupId", groupB))...))
		})
	}
}

// What is not checked: removals, seeded assignments, a pending duplicate first.
func TestGroupPolicyScope(t *testing.T) {
	h := newHarness(t, Options{DocumentedGroupPolicies: true})
	if _, err := h.emu.SeedAssignment(Assignment{PrincipalID: principalA, GroupID: groupA, Start: t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err) // permanent, without a justification: the portal's business
	}
	// The duplicate is found before the policy.
	wantError(t, h.do(http.MethodPost, requestsPath, assignBody(withExpiration(map[string]any{"type": "noExpiration"}))), http.StatusBadRequest, CodeRoleAssignmentExists)
	h.emu.SetMinActiveAge(0)
	r := h.do(http.MethodPost, requestsPath, removeBody(principalA, groupA, AccessMember))
	wantStatus(t, r, http.StatusCreated)
	// isValidationOnly is validated too.
	wantError(t, h.do(http.MethodPost, requestsPath, assignBody(with("isValidationOnly", true), with("justification", nil))),
		http.StatusBadRequest, CodePolicyValidationFailed)
}

// The policy set is the policy served: the control API, the Go API and the Graph read agree.
func TestSetGroupPolicyIsServed(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.SetApprovalRequired(groupA, true)
	r := h.do(http.MethodPut, "/_emulator/groups/"+groupA+"/policy", map[string]any{
		"accessId":   "member",
		"assignment": map[string]any{"maximumDuration": "PT8H", "enabledRules": []string{"multifactorauthentication"}},
	})
	wantStatus(t, r, http.StatusOK)
	if r.get("member", "explicit") != true || r.get("owner", "explicit") != false || r.str("member", "assignment", "maximumDuration") != "PT8H" {
		t.Fatalf("PUT answered %s", r)
	}
	p, explicit := h.emu.GroupPolicy(strings.ToUpper(groupA), AccessMember)
	want := DocumentedGroupPolicy()
	want.Assignment.MaximumDuration, want.Assignment.EnabledRules = "PT8H", []string{EnabledMFA}
	if !explicit || !reflect.DeepEqual(p, want) {
		t.Fatalf("GroupPolicy %+v %v, want %+v", p, explicit, want)
	}
	rules := servedRules(t, h, groupA, AccessMember)
	if exp := rules["Expiration_Admin_Assignment"]; exp["maximumDuration"] != "PT8H" || exp["isExpirationRequired"] != true {
		t.Errorf("served expiration %v", exp)
	}
	if en := rules["Enablement_Admin_Assignment"]["enabledRules"].([]any); len(en) != 1 || en[0] != EnabledMFA {
		t.Errorf("served enablement %v", en)
	}
	if exp := rules["Expiration_Admin_Eligibility"]; exp["maximumDuration"] != "P365D" {
		t.Errorf("eligibility keeps the documented default: %v", exp)
	}
	if s := rules["Approval_EndUser_Assignment"]["setting"].(map[string]any); s["isApprovalRequired"] != true {
		t.Errorf("approval setting %v", s)
	}
	// An explicit policy was modified by an administrator; the default was not.
	r = h.do(http.MethodGet, policyAssignmentsPath+encodeQuery("$filter=scopeId eq '"+groupA+"' and scopeType eq 'Group'&$expand=policy"), nil)
	for _, a := range r.values() {
		policy := a["policy"].(map[string]any)
		modified := policy["lastModifiedDateTime"] != nil
		if modified != (a["roleDefinitionId"] == "member") || policy["rules"] != nil {
			t.Errorf("%v: %v", a["roleDefinitionId"], policy)
		}
	}
	if owner := servedRules(t, h, groupA, AccessOwner); owner["Expiration_Admin_Assignment"]["maximumDuration"] != nil {
		t.Errorf("the owner's policy is unrestricted still: %v", owner["Expiration_Admin_Assignment"])
	}

	// Invalid policies are refused; DELETE restores the default; Reset forgets them.
	for _, body := range []map[string]any{
		{"assignment": map[string]any{"maximumDuration": "P4W"}},
		{"assignment": map[string]any{"maximumDuration": "PT0S", "expirationRequired": false}},
		{"eligibility": map[string]any{"maximumDuration": "", "expirationRequired": true}},
		{"assignment": map[string]any{"enabledRules": []string{"Approval"}}},
		{"accessId": "guest"},
		{"assignment": map[string]any{"maxDuration": "PT1H"}},
	} {
		wantStatus(t, h.do(http.MethodPut, "/_emulator/groups/"+groupA+"/policy", body), http.StatusBadRequest)
	}
	wantStatus(t, h.do(http.MethodPut, "/_emulator/groups/not-a-guid/policy", map[string]any{}), http.StatusBadRequest)
	wantStatus(t, h.do(http.MethodDelete, "/_emulator/groups/"+groupA+"/policy?accessId=guest", nil), http.StatusBadRequest)
	wantStatus(t, h.do(http.MethodDelete, "/_emulator/groups/"+groupA+"/policy?accessId=member", nil), http.StatusNoContent)
	if r := h.do(http.MethodGet, "/_emulator/groups/"+groupA+"/policy", nil); r.get("member", "explicit") != false {
		t.Errorf("after DELETE: %s", r)
	}
	wantStatus(t, h.do(http.MethodPut, "/_emulator/groups/"+groupA+"/policy", map[string]any{}), http.StatusOK)
	if _, explicit := h.emu.GroupPolicy(groupA, AccessOwner); !explicit {
		t.Error("PUT without accessId sets both")
	}
	h.emu.Reset()
	if _, explicit := h.emu.GroupPolicy(groupA, AccessOwner); explicit {
		t.Error("Reset kept the policy")
	}
	r = h.do(http.MethodPut, "/_emulator/settings", map[string]any{"documentedGroupPolicies": true})
	if r.get("documentedGroupPolicies") != true || !h.emu.Settings().DocumentedGroupPolicies {
		t.Errorf("settings: %s", r)
	}
	if err := h.emu.SetGroupPolicy(groupA, "guest", GroupPolicy{}); err == nil {
		t.Error("SetGroupPolicy took an unknown access")
	}
}

// The policy reads' queries: the scope they require, what they do not model, the other reads.
func TestPolicyReads(t *testing.T) {
	h := newHarness(t, Options{})
	list := func(path, query string) *response { return h.do(http.MethodGet, path+encodeQuery(query), nil) }
	scoped := "$filter=scopeId eq '" + groupA + "' and scopeType eq 'Group'"

	r := list(policyAssignmentsPath, scoped)
	wantStatus(t, r, http.StatusOK)
	if got := r.values(); len(got) != 2 || got[0]["roleDefinitionId"] != "member" || got[1]["roleDefinitionId"] != "owner" || got[0]["policy"] != nil {
		t.Errorf("two assignments without their policies: %s", r)
	}
	if !strings.HasSuffix(r.str("@odata.context"), "/v1.0/$metadata#policies/roleManagementPolicyAssignments") {
		t.Errorf("@odata.context %q", r.str("@odata.context"))
	}
	for _, tc := range []struct {
		path, query string
		status      int
	}{
		{policyAssignmentsPath, "", http.StatusBadRequest},
		{policyAssignmentsPath, "$filter=scopeId eq '" + groupA + "'", http.StatusBadRequest},
		{policyAssignmentsPath, "$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'", http.StatusNotImplemented},
		{policyAssignmentsPath, "$filter=scopeId eq 'x' and scopeType eq 'Group'", http.StatusBadRequest},
		{policyAssignmentsPath, "$filter=scopeId eq '" + groupA + "' and scopeType eq 'Tenant'", http.StatusBadRequest},
		{policyAssignmentsPath, scoped + " and policyId ne 'x'", http.StatusBadRequest},
		{policyAssignmentsPath, scoped + "&$select=id", http.StatusNotImplemented},
		{policyAssignmentsPath, scoped + "&$expand=rules", http.StatusBadRequest},
		{policyAssignmentsPath, scoped + "&$expand=policy($top=1)", http.StatusNotImplemented},
		{policyAssignmentsPath, scoped + "&$expand=policy($expand=rules", http.StatusBadRequest},
		{policyAssignmentsPath + "/x", "", http.StatusNotImplemented},
		{"/v1.0/policies/roleManagementPolicies/Directory_x", "", http.StatusNotImplemented},
		{"/v1.0/policies/roleManagementPolicies/Group_" + groupA + "_00000000-0000-0000-0000-000000000000", "", http.StatusNotFound},
		{"/v1.0/policies/roleManagementPolicies/" + GroupPolicyID(groupA, AccessOwner) + "/rules/Expiration_Admin_Assignment", "", http.StatusNotImplemented},
		{"/v1.0/policies/roleManagementPolicies/" + GroupPolicyID(groupA, AccessOwner), "$filter=scopeId eq 'x'", http.StatusBadRequest},
		{"/v1.0/policies/somethingElse", "", http.StatusBadRequest},
	} {
		if r := list(tc.path, tc.query); r.status != tc.status {
			t.Errorf("GET %s?%s: %s, want %d", tc.path, tc.query, r, tc.status)
		}
	}
	wantStatus(t, h.do(http.MethodPost, policyAssignmentsPath, map[string]any{}), http.StatusMethodNotAllowed)

	// By roleDefinitionId, in any case; a policy by id with its rules, or only their ids.
	if got := list(policyAssignmentsPath, scoped+" and roleDefinitionId eq 'OWNER'").values(); len(got) != 1 || got[0]["roleDefinitionId"] != "owner" {
		t.Errorf("owner only: %v", got)
	}
	id := GroupPolicyID(groupA, AccessOwner)
	r = list("/v1.0/policies/roleManagementPolicies/"+strings.ToUpper(id[:6])+id[6:], "$expand=rules($select=id)")
	wantStatus(t, r, http.StatusOK)
	rules, _ := r.get("rules").([]any)
	if r.str("id") != id || len(rules) != 17 || len(rules[0].(map[string]any)) != 2 {
		t.Errorf("policy with rule ids: %s", r)
	}
	r = list("/v1.0/policies/roleManagementPolicies/"+id+"/rules", "")
	wantStatus(t, r, http.StatusOK)
	if vs := r.values(); len(vs) != 17 || vs[5]["id"] != "Expiration_Admin_Assignment" {
		t.Errorf("rules: %s", r)
	}
	if got := list("/v1.0/policies/roleManagementPolicies", scoped+"&$expand=effectiveRules").values(); len(got) != 2 || len(got[1]["effectiveRules"].([]any)) != 17 {
		t.Errorf("policies with effective rules: %v", got)
	}
	// The call log and faults know the reads as kind policy.
	h.emu.AddFault(Fault{Kind: KindPolicy, Operation: OpListPolicyAssignments, Status: http.StatusForbidden, Count: 1})
	wantError(t, list(policyAssignmentsPath, scoped), http.StatusForbidden, CodeForbidden)
	// the first list, the ten refused ones, the POST, the owner's, the faulted one
	if n := h.emu.CountKindCalls(KindPolicy, OpListPolicyAssignments, ""); n != 1+10+1+1+1 {
		t.Errorf("%d policy assignment reads logged", n)
	}
}
