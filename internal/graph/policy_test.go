package graph

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pim-operator/pim-operator/internal/graphdocs"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// anySlice turns fixture entities back into a JSON array.
func anySlice(ms []map[string]any) []any {
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, m)
	}
	return out
}

// groupPolicy is the pim.GroupPolicy that a fixture's policy assignment, policy, or bare list of
// rules ({"rules": [...]}) stands for, read from its JSON by the test's own rules: the four rules
// by their documented ids, durations by their days or time part.
func (x fixture) groupPolicy() pim.GroupPolicy {
	var p pim.GroupPolicy
	policy := x
	switch {
	case x.m["policyId"] != nil: // a policy assignment
		p.GroupID, p.PolicyID = x.str("scopeId"), x.str("policyId")
		p.AccessID = pim.AccessID(strings.ToLower(x.str("roleDefinitionId")))
		policy = x.sub("policy")
	case x.m["scopeId"] != nil: // a policy
		p.GroupID, p.PolicyID = x.str("scopeId"), x.str("id")
	}
	rules, _ := policy.m["rules"].([]any)
	for _, r := range rules {
		rule := fixture{t: x.t, schema: x.schema}
		rule.m, _ = r.(map[string]any)
		id := rule.str("id")
		level := &p.Assignment
		switch id {
		case "Expiration_Admin_Assignment", "Enablement_Admin_Assignment":
		case "Expiration_Admin_Eligibility", "Enablement_Admin_Eligibility":
			level = &p.Eligibility
		default:
			continue
		}
		ops := rule.sub("target").enums("unifiedRoleManagementPolicyRuleTargetOperations", "operations")
		if strings.HasPrefix(id, "Expiration_") {
			required, _ := rule.m["isExpirationRequired"].(bool)
			level.Expiration = &pim.ExpirationRule{ID: id, Required: required, MaximumDuration: rule.str("maximumDuration"),
				Maximum: rule.days("maximumDuration"), Operations: ops}
			continue
		}
		enabled := []string{}
		es, _ := rule.m["enabledRules"].([]any) // absent under $select=id
		for _, e := range es {
			enabled = append(enabled, e.(string))
		}
		level.Enablement = &pim.EnablementRule{ID: id, Enabled: enabled, Operations: ops}
	}
	return p
}

// enums are the members that a list of enum values spells, in any case; nil for no list.
func (x fixture) enums(enumType, key string) []string {
	vs, _ := x.m[key].([]any)
	var out []string
	for _, v := range vs {
		out = append(out, fixture{t: x.t, schema: x.schema, m: map[string]any{key: v}}.enum(enumType, key))
	}
	return out
}

// days reads the fixtures' durations: PnD, or a time part that time.ParseDuration reads.
func (x fixture) days(key string) time.Duration {
	v := x.str(key)
	if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, "P"), "D")); err == nil && strings.HasSuffix(v, "D") {
		return time.Duration(n) * 24 * time.Hour
	}
	if d, err := time.ParseDuration(strings.ToLower(strings.TrimPrefix(v, "PT"))); err == nil && strings.HasPrefix(v, "PT") {
		return d
	}
	if v != "" {
		x.t.Fatalf("fixture duration %q: extend the test's reading of durations", v)
	}
	return 0
}

// The policy read on Graph's documented answers, through the SDK's builders and the adapter:
// the client asks the documented query (example 4's, with the access it reads) and decodes
// the answer into the policy of that access.
func TestDocumentedPolicyReadThroughTheClient(t *testing.T) {
	schema, err := graphdocs.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	decoded, _ := documentedExamples(t)
	var documentedQuery url.Values
	for _, d := range decoded {
		if d.File == "policyroot-list-rolemanagementpolicyassignments.example4" {
			_, q, _ := strings.Cut(d.Request.Path, "?")
			documentedQuery = rawQuery(t, q)
		}
	}
	if documentedQuery == nil {
		t.Fatal("example 4 of the policy assignment list is gone")
	}
	replayed := 0
	for _, d := range decoded {
		if d.collection != policyAssignments {
			continue
		}
		replayed++
		t.Run(d.File, func(t *testing.T) {
			_, group, _ := strings.Cut(d.Request.Path, "scopeId eq '")
			group, _, _ = strings.Cut(group, "'")
			access := pim.AccessMember
			if strings.Contains(d.Request.Path, "roleDefinitionId eq 'owner'") {
				access = pim.AccessOwner
			}
			rec := newRecorder(t, func(_ int, r *http.Request, w http.ResponseWriter) {
				if want := "/v1.0" + strings.SplitN(d.Request.Path, "?", 2)[0]; r.Method != d.Request.Method || r.URL.Path != want {
					t.Errorf("client sent %s %s, the example %s %s", r.Method, r.URL.Path, d.Request.Method, want)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(d.Response.Status)
				_, _ = w.Write(d.Response.BodyJSON())
			})
			got, err := newTestClient(t, rec.baseURL()).GroupPolicy(ctxT(t), group, access)
			if err != nil {
				t.Fatal(err)
			}
			var want any = pim.GroupPolicy{GroupID: group, AccessID: access}
			for _, fx := range fixtureEntities(t, d) {
				if strings.EqualFold(fx["roleDefinitionId"].(string), string(access)) {
					want = fixture{t: t, schema: schema, m: fx}.groupPolicy()
				}
			}
			sameJSON(t, *got, want)

			sent := rec.seen()[0]
			q := rawQuery(t, sent.Query)
			wantFilter := strings.Replace(documentedQuery.Get("$filter"), "'owner'", "'"+string(access)+"'", 1)
			wantFilter = strings.Replace(wantFilter, "60bba733-f09d-49b7-8445-32369aa066b3", group, 1)
			if q.Get("$filter") != wantFilter || q.Get("$expand") != documentedQuery.Get("$expand") || len(q) != 2 {
				t.Errorf("client asked %v, the documented query is $filter=%s&$expand=%s", q, wantFilter, documentedQuery.Get("$expand"))
			}
		})
	}
	if replayed != 2 {
		t.Errorf("%d policy assignment examples replayed, want 2", replayed)
	}
}

// rawQuery parses a query as sent (percent-encoded) or as documented (not encoded).
func rawQuery(t *testing.T, q string) url.Values {
	t.Helper()
	out := url.Values{}
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		uk, err1 := url.PathUnescape(k)
		uv, err2 := url.PathUnescape(v)
		if err1 != nil || err2 != nil {
			t.Fatalf("query %q: %v %v", q, err1, err2)
		}
		out.Add(uk, uv)
	}
	return out
}

// The policy read's failures: a 403 names the permission, and inputs that cannot be asked are
// refused before sending (and not counted).
func TestGroupPolicyErrors(t *testing.T) {
	rec := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	})
	reg := prometheus.NewRegistry()
	c := newTestClient(t, rec.baseURL(), func(c *Config) { c.Registerer = reg })
	_, err := c.GroupPolicy(ctxT(t), testGroup, pim.AccessMember)
	pe := mustPimError(t, err, pim.ClassForbidden)
	if pe.Op != OpGetGroupPolicy || !strings.Contains(pe.Error(), pim.PermissionPolicyRead) || pe.RequestID != testGraphRID || pe.NotSent {
		t.Errorf("403: %v", pe)
	}
	for _, tc := range []struct {
		group  string
		access pim.AccessID
	}{{"", pim.AccessMember}, {" ", pim.AccessOwner}, {testGroup, ""}, {testGroup, "guest"}} {
		_, err := c.GroupPolicy(ctxT(t), tc.group, tc.access)
		if pe := mustPimError(t, err, pim.ClassUserFixable); !pe.NotSent {
			t.Errorf("%q/%q: not refused before sending: %v", tc.group, tc.access, pe)
		}
	}
	if n := len(rec.seen()); n != 1 {
		t.Errorf("%d calls sent, want 1", n)
	}
	want := `
# HELP pim_operator_graph_requests_total Microsoft Graph calls by kind (assignment, eligibility; policy for a group's PIM settings), operation and outcome (success, or the error class).
# TYPE pim_operator_graph_requests_total counter
pim_operator_graph_requests_total{kind="policy",operation="getGroupPolicy",outcome="Forbidden"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pim_operator_graph_requests_total"); err != nil {
		t.Error(err)
	}
}

// What the decoding makes of answers the examples do not show: pages, case, types that do not
// fit the id, unreadable durations, no policy at all.
func TestGroupPolicyDecoding(t *testing.T) {
	rule := func(typ, id, extra string) string {
		return `{"@odata.type":"#microsoft.graph.` + typ + `","id":"` + id + `"` + extra + `}`
	}
	pages := []string{
		`{"value":[{"id":"a_owner","policyId":"Group_g_p1","scopeId":"` + testGroup + `","scopeType":"Group","roleDefinitionId":"owner"}],` +
			`"@odata.nextLink":"NEXT"}`,
		`{"value":[{"id":"a_member","policyId":"Group_g_p2","scopeId":"` + strings.ToUpper(testGroup) + `","scopeType":"Group","roleDefinitionId":"Member",` +
			`"policy":{"id":"Group_g_p2","scopeId":"` + testGroup + `","rules":[` +
			rule("unifiedRoleManagementPolicyExpirationRule", "expiration_admin_assignment", `,"isExpirationRequired":true,"maximumDuration":"P1M","target":{"operations":["Assign","unknownFutureValue"]}`) + `,` +
			rule("unifiedRoleManagementPolicyExpirationRule", "Expiration_Admin_Assignment", `,"isExpirationRequired":false`) + `,` +
			rule("unifiedRoleManagementPolicyNotificationRule", "Enablement_Admin_Assignment", `,"enabledRules":["Justification"]`) + `,` +
			rule("unifiedRoleManagementPolicyEnablementRule", "Enablement_Admin_Eligibility", `,"enabledRules":["multifactorauthentication","Ticketing","SomethingNew"]`) + `,` +
			rule("unifiedRoleManagementPolicyExpirationRule", "Expiration_Admin_Eligibility", `,"isExpirationRequired":true,"maximumDuration":"soon"`) +
			`]}}]}`,
	}
	rec := newRecorder(t, func(n int, r *http.Request, w http.ResponseWriter) {
		if n == 2 && r.URL.Path != "/NEXT" && !strings.HasSuffix(r.URL.String(), "NEXT") {
			t.Errorf("second page asked %s", r.URL)
		}
		writeJSON(w, 200, pages[min(n, 2)-1])
	})
	// The next link is relative to nothing: point it at the recorder.
	pages[0] = strings.Replace(pages[0], "NEXT", rec.srv.URL+"/NEXT", 1)
	got, err := newTestClient(t, rec.baseURL()).GroupPolicy(ctxT(t), testGroup, pim.AccessMember)
	if err != nil {
		t.Fatal(err)
	}
	want := pim.GroupPolicy{GroupID: strings.ToUpper(testGroup), AccessID: pim.AccessMember, PolicyID: "Group_g_p2",
		Assignment: pim.LevelRules{Expiration: &pim.ExpirationRule{ID: pim.RuleExpirationAdminAssignment, Required: true,
			MaximumDuration: "P1M", Maximum: 30 * 24 * time.Hour, Operations: []string{"assign"}}},
		Eligibility: pim.LevelRules{
			Expiration: &pim.ExpirationRule{ID: pim.RuleExpirationAdminEligibility, Required: true, MaximumDuration: "soon"},
			Enablement: &pim.EnablementRule{ID: pim.RuleEnablementAdminEligibility, Enabled: []string{pim.EnabledMFA, pim.EnabledTicketing, "SomethingNew"}},
		}}
	sameJSON(t, *got, want)
	if n := len(rec.seen()); n != 2 {
		t.Errorf("%d calls, want 2 pages", n)
	}

	// No assignment of the access: a policy without rules.
	rec2 := newRecorder(t, func(_ int, _ *http.Request, w http.ResponseWriter) { writeJSON(w, 200, `{"value":[]}`) })
	got, err = newTestClient(t, rec2.baseURL()).GroupPolicy(ctxT(t), testGroup, pim.AccessOwner)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, *got, pim.GroupPolicy{GroupID: testGroup, AccessID: pim.AccessOwner})
}
