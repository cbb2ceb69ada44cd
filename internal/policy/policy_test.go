package policy_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
	"github.com/pim-operator/pim-operator/internal/policy"
)

const (
	groupX = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
	groupY = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
	groupZ = "11111111-2222-4333-8444-555555555555"

	principalP = "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7"
	principalQ = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	member = accessv1alpha1.AccessMember
	owner  = accessv1alpha1.AccessOwner
)

// pol builds a policy for namespaces (names) with the given groups, an 8h limit and no other
// rules; opts change it.
func pol(name string, namespaces []string, groups []accessv1alpha1.AllowedGroup, opts ...func(*accessv1alpha1.PIMAccessPolicySpec)) accessv1alpha1.PIMAccessPolicy {
	p := accessv1alpha1.PIMAccessPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: accessv1alpha1.PIMAccessPolicySpec{
			Namespaces:  namespaces,
			Groups:      groups,
			MaxDuration: *accessv1alpha1.DurationOf(8 * time.Hour),
		},
	}
	for _, o := range opts {
		o(&p.Spec)
	}
	return p
}

func grp(id string, access ...accessv1alpha1.AccessID) accessv1alpha1.AllowedGroup {
	return accessv1alpha1.AllowedGroup{GroupID: id, AccessIDs: access}
}

func maxDur(d time.Duration) func(*accessv1alpha1.PIMAccessPolicySpec) {
	return func(s *accessv1alpha1.PIMAccessPolicySpec) { s.MaxDuration = *accessv1alpha1.DurationOf(d) }
}
func allowNoExpiration(s *accessv1alpha1.PIMAccessPolicySpec)    { s.AllowNoExpiration = true }
func requireJustification(s *accessv1alpha1.PIMAccessPolicySpec) { s.RequireJustification = true }
func requireTicket(s *accessv1alpha1.PIMAccessPolicySpec)        { s.RequireTicket = true }
func selector(sel accessv1alpha1.NamespaceSelector) func(*accessv1alpha1.PIMAccessPolicySpec) {
	return func(s *accessv1alpha1.PIMAccessPolicySpec) { s.NamespaceSelector = &sel }
}

// req is an active member assignment of principal P to group X lasting 8h with a
// justification and a ticket.
func req(opts ...func(*policy.Request)) policy.Request {
	r := policy.Request{
		Kind: pim.KindAssignment, GroupID: groupX, PrincipalID: principalP, AccessID: member,
		Expiration: accessv1alpha1.ExpirationAfterDuration, Duration: 8 * time.Hour,
		Justification: "on call", TicketSystem: "ServiceNow", TicketNumber: "CHG1",
	}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func teamA() policy.Namespace {
	return policy.Namespace{Name: "team-a", Labels: map[string]string{"team": "a", "env": "prod"}}
}

func TestEvaluate(t *testing.T) {
	oncall := pol("team-a-oncall", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireTicket)
	platform := pol("platform", []string{"platform"}, []accessv1alpha1.AllowedGroup{grp(groupY, owner, member)}, maxDur(720*time.Hour))

	cases := []struct {
		name     string
		policies []accessv1alpha1.PIMAccessPolicy
		ns       policy.Namespace
		req      policy.Request
		// want: the permitting policy, or empty for a denial
		wantPolicy string
		wantDenial policy.Denial
		wantMsg    string // the whole message
	}{
		{
			name: "no policy at all", ns: teamA(), req: req(),
			wantDenial: policy.DeniedNamespace, wantMsg: `no PIMAccessPolicy selects namespace "team-a"`,
		},
		{
			name: "permitted", policies: []accessv1alpha1.PIMAccessPolicy{oncall, platform}, ns: teamA(), req: req(),
			wantPolicy: "team-a-oncall", wantMsg: `permitted by PIMAccessPolicy "team-a-oncall"`,
		},
		{
			name: "wrong namespace", policies: []accessv1alpha1.PIMAccessPolicy{oncall, platform},
			ns: policy.Namespace{Name: "team-b"}, req: req(),
			wantDenial: policy.DeniedNamespace, wantMsg: `no PIMAccessPolicy selects namespace "team-b"`,
		},
		{
			name: "wrong group", policies: []accessv1alpha1.PIMAccessPolicy{oncall, platform}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.GroupID = groupY }),
			wantDenial: policy.DeniedGroup,
			wantMsg:    `no PIMAccessPolicy for namespace "team-a" allows group ` + groupY + ` (policies selecting it: "team-a-oncall")`,
		},
		{
			name: "owner where only member is allowed", policies: []accessv1alpha1.PIMAccessPolicy{oncall, platform}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.AccessID = owner }),
			wantDenial: policy.DeniedAccess,
			wantMsg:    `group ` + groupX + ` allows only member for namespace "team-a", not owner (policy "team-a-oncall")`,
		},
		{
			name: "unset access is member", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.AccessID = "" }),
			wantPolicy: "team-a-oncall", wantMsg: `permitted by PIMAccessPolicy "team-a-oncall"`,
		},
		{
			name: "unset access where only owner is allowed",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("owners", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, owner)}),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.AccessID = "" }),
			wantDenial: policy.DeniedAccess,
			wantMsg:    `group ` + groupX + ` allows only owner for namespace "team-a", not member (policy "owners")`,
		},
		{
			name: "group id in another case", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.GroupID = strings.ToUpper(groupX) }),
			wantPolicy: "team-a-oncall", wantMsg: `permitted by PIMAccessPolicy "team-a-oncall"`,
		},
		{
			name: "duration over the limit", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.Duration = 720 * time.Hour }),
			wantDenial: policy.DeniedRules,
			wantMsg:    `duration 720h exceeds the longest allowed 8h (policy "team-a-oncall")`,
		},
		{
			name: "duration at the limit", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.Duration = 8 * time.Hour }),
			wantPolicy: "team-a-oncall", wantMsg: `permitted by PIMAccessPolicy "team-a-oncall"`,
		},
		{
			name: "afterDateTime from now over the limit", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req: req(func(r *policy.Request) {
				r.Expiration, r.Duration, r.End = accessv1alpha1.ExpirationAfterDateTime, 0, now.Add(30*time.Hour+90*time.Minute)
			}),
			wantDenial: policy.DeniedRules,
			wantMsg:    `duration 31h30m (now to endDateTime) exceeds the longest allowed 8h (policy "team-a-oncall")`,
		},
		{
			name: "afterDateTime from a future start within the limit", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req: req(func(r *policy.Request) {
				r.Expiration, r.Duration = accessv1alpha1.ExpirationAfterDateTime, 0
				r.Start, r.End = now.Add(48*time.Hour), now.Add(52*time.Hour)
			}),
			wantPolicy: "team-a-oncall", wantMsg: `permitted by PIMAccessPolicy "team-a-oncall"`,
		},
		{
			name: "afterDateTime from a start over the limit", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req: req(func(r *policy.Request) {
				r.Expiration, r.Duration = accessv1alpha1.ExpirationAfterDateTime, 0
				r.Start, r.End = now.Add(48*time.Hour), now.Add(57*time.Hour)
			}),
			wantDenial: policy.DeniedRules,
			wantMsg:    `duration 9h (start to endDateTime) exceeds the longest allowed 8h (policy "team-a-oncall")`,
		},
		{
			name: "afterDateTime a fraction of a second over the limit reads as over", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req: req(func(r *policy.Request) {
				r.Expiration, r.Duration, r.End = accessv1alpha1.ExpirationAfterDateTime, 0, now.Add(8*time.Hour+time.Millisecond)
			}),
			wantDenial: policy.DeniedRules,
			wantMsg:    `duration 8h0m1s (now to endDateTime) exceeds the longest allowed 8h (policy "team-a-oncall")`,
		},
		{
			name: "noExpiration not allowed", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.Expiration, r.Duration = accessv1alpha1.ExpirationNone, 0 }),
			wantDenial: policy.DeniedRules,
			wantMsg:    `noExpiration is not allowed: set an expiration of at most 8h (policy "team-a-oncall")`,
		},
		{
			name: "noExpiration allowed",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("forever", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, allowNoExpiration),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.Expiration, r.Duration = accessv1alpha1.ExpirationNone, 0 }),
			wantPolicy: "forever", wantMsg: `permitted by PIMAccessPolicy "forever"`,
		},
		{
			name: "missing justification",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("why", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireJustification),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.Justification = "" }),
			wantDenial: policy.DeniedRules, wantMsg: `a justification is required (policy "why")`,
		},
		{
			name: "justification not required", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.Justification = "" }),
			wantPolicy: "team-a-oncall", wantMsg: `permitted by PIMAccessPolicy "team-a-oncall"`,
		},
		{
			name: "missing ticket", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.TicketSystem, r.TicketNumber = "", "" }),
			wantDenial: policy.DeniedRules, wantMsg: `a ticket is required (ticket.system and ticket.number) (policy "team-a-oncall")`,
		},
		{
			name: "several unmet rules are all named",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("strict", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireJustification, requireTicket),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.Duration, r.Justification, r.TicketSystem = 9*time.Hour, "", "" }),
			wantDenial: policy.DeniedRules,
			wantMsg:    `duration 9h exceeds the longest allowed 8h; a justification is required; a ticket is required (ticket.system and ticket.number) (policy "strict")`,
		},
		{
			name: "label selector selects",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("by-label", nil, []accessv1alpha1.AllowedGroup{grp(groupX, member)},
					selector(accessv1alpha1.NamespaceSelector{MatchLabels: map[string]accessv1alpha1.LabelValue{"team": "a"}})),
			},
			ns: teamA(), req: req(), wantPolicy: "by-label", wantMsg: `permitted by PIMAccessPolicy "by-label"`,
		},
		{
			name: "label selector does not select",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("by-label", nil, []accessv1alpha1.AllowedGroup{grp(groupX, member)},
					selector(accessv1alpha1.NamespaceSelector{MatchLabels: map[string]accessv1alpha1.LabelValue{"team": "b"}})),
			},
			ns: teamA(), req: req(), wantDenial: policy.DeniedNamespace, wantMsg: `no PIMAccessPolicy selects namespace "team-a"`,
		},
		{
			name: "match expressions: all must hold",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("prod-not-a", nil, []accessv1alpha1.AllowedGroup{grp(groupX, member)},
					selector(accessv1alpha1.NamespaceSelector{MatchExpressions: []accessv1alpha1.NamespaceSelectorRequirement{
						{Key: "env", Operator: accessv1alpha1.LabelSelectorOpIn, Values: []accessv1alpha1.LabelValue{"prod", "staging"}},
						{Key: "team", Operator: accessv1alpha1.LabelSelectorOpNotIn, Values: []accessv1alpha1.LabelValue{"a"}},
					}})),
			},
			ns: teamA(), req: req(), wantDenial: policy.DeniedNamespace, wantMsg: `no PIMAccessPolicy selects namespace "team-a"`,
		},
		{
			name: "match expressions select",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("prod", nil, []accessv1alpha1.AllowedGroup{grp(groupX, member)},
					selector(accessv1alpha1.NamespaceSelector{MatchExpressions: []accessv1alpha1.NamespaceSelectorRequirement{
						{Key: "env", Operator: accessv1alpha1.LabelSelectorOpIn, Values: []accessv1alpha1.LabelValue{"prod", "staging"}},
						{Key: "team", Operator: accessv1alpha1.LabelSelectorOpExists},
					}})),
			},
			ns: teamA(), req: req(), wantPolicy: "prod", wantMsg: `permitted by PIMAccessPolicy "prod"`,
		},
		{
			name: "selector on the namespace's name label works without the label passed in",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("by-name-label", nil, []accessv1alpha1.AllowedGroup{grp(groupX, member)},
					selector(accessv1alpha1.NamespaceSelector{MatchLabels: map[string]accessv1alpha1.LabelValue{policy.NamespaceNameLabel: "team-a"}})),
			},
			ns: teamA(), req: req(), wantPolicy: "by-name-label", wantMsg: `permitted by PIMAccessPolicy "by-name-label"`,
		},
		{
			name: "names or labels: a listed name selects even when the selector does not",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("either", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)},
					selector(accessv1alpha1.NamespaceSelector{MatchLabels: map[string]accessv1alpha1.LabelValue{"team": "z"}})),
			},
			ns: teamA(), req: req(), wantPolicy: "either", wantMsg: `permitted by PIMAccessPolicy "either"`,
		},
		{
			name: "an empty selector selects nothing",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("empty", nil, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, selector(accessv1alpha1.NamespaceSelector{})),
			},
			ns: teamA(), req: req(), wantDenial: policy.DeniedNamespace, wantMsg: `no PIMAccessPolicy selects namespace "team-a"`,
		},
		{
			name: "several policies: one permits",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("a-short", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, maxDur(time.Hour)),
				pol("a-long", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, maxDur(24*time.Hour)),
				oncall,
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.Duration = 12 * time.Hour }),
			wantPolicy: "a-long", wantMsg: `permitted by PIMAccessPolicy "a-long"`,
		},
		{
			name: "several policies: the group's access is the union of theirs",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("a-member", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}),
				pol("a-owner", nil, []accessv1alpha1.AllowedGroup{grp(groupX, owner), grp(groupZ, member)},
					selector(accessv1alpha1.NamespaceSelector{MatchLabels: map[string]accessv1alpha1.LabelValue{"team": "a"}})),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.AccessID = owner }),
			wantPolicy: "a-owner", wantMsg: `permitted by PIMAccessPolicy "a-owner"`,
		},
		{
			name: "several policies: the closest miss is reported",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("z-strict", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireJustification, requireTicket),
				pol("m-ticket", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, maxDur(24*time.Hour), requireTicket),
				pol("other-group", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupY, member)}),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.Duration, r.Justification, r.TicketSystem = 12*time.Hour, "", "" }),
			wantDenial: policy.DeniedRules,
			wantMsg: `a ticket is required (ticket.system and ticket.number) (policy "m-ticket", the closest of 2 policies ` +
				`that allow group ` + groupX + ` as member for namespace "team-a")`,
		},
		{
			name: "several policies: the group is missing from all",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("b", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupY, member)}),
				pol("a", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupZ, member)}),
				platform,
			},
			ns: teamA(), req: req(),
			wantDenial: policy.DeniedGroup,
			wantMsg:    `no PIMAccessPolicy for namespace "team-a" allows group ` + groupX + ` (policies selecting it: "a", "b")`,
		},
		{
			name: "several policies: access denied names every policy listing the group",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("b", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}),
				pol("a", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.AccessID = owner }),
			wantDenial: policy.DeniedAccess,
			wantMsg:    `group ` + groupX + ` allows only member for namespace "team-a", not owner (policies "a", "b")`,
		},
		{
			name: "a policy for another namespace does not lend its group",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("a", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupZ, member)}),
				pol("platform", []string{"platform"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}),
			},
			ns: teamA(), req: req(),
			wantDenial: policy.DeniedGroup,
			wantMsg:    `no PIMAccessPolicy for namespace "team-a" allows group ` + groupX + ` (policies selecting it: "a")`,
		},
		{
			name:     "unknown expiration type is denied",
			policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.Expiration = "" }),
			wantDenial: policy.DeniedRules,
			wantMsg:    `expiration type "" is not one of noExpiration, afterDateTime, afterDuration (policy "team-a-oncall")`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := policy.Evaluate(tc.policies, tc.ns, tc.req, now)
			if d.Permitted != (tc.wantPolicy != "") {
				t.Fatalf("permitted = %v, want %v (%s)", d.Permitted, tc.wantPolicy != "", d.Message)
			}
			if tc.wantPolicy != "" && d.Policy != tc.wantPolicy {
				t.Errorf("policy = %q, want %q", d.Policy, tc.wantPolicy)
			}
			if d.Denial != tc.wantDenial {
				t.Errorf("denial = %q, want %q", d.Denial, tc.wantDenial)
			}
			if d.Message != tc.wantMsg {
				t.Errorf("message:\n got %s\nwant %s", d.Message, tc.wantMsg)
			}
			if (d.Denial == policy.DeniedRules) != (len(d.Missing) > 0) {
				t.Errorf("missing = %q with denial %q", d.Missing, d.Denial)
			}
		})
	}
}

// The decision does not depend on the order the policies are listed in.
func TestEvaluateIgnoresOrder(t *testing.T) {
	ps := []accessv1alpha1.PIMAccessPolicy{
		pol("c", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireTicket, requireJustification),
		pol("b", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireTicket),
		pol("a", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireJustification),
	}
	r := req(func(r *policy.Request) { r.Justification, r.TicketNumber = "", "" })
	want := policy.Evaluate(ps, teamA(), r, now)
	if want.Policy != "a" {
		t.Fatalf("closest miss among equals should be the first by name, got %q", want.Policy)
	}
	rev := []accessv1alpha1.PIMAccessPolicy{ps[2], ps[0], ps[1]}
	if got := policy.Evaluate(rev, teamA(), r, now); !reflect.DeepEqual(got, want) {
		t.Fatalf("order changed the decision:\n got %+v\nwant %+v", got, want)
	}
	// Permitting: the first by name wins whatever the order.
	r.Justification, r.TicketNumber = "on call", "CHG1"
	for _, order := range [][]accessv1alpha1.PIMAccessPolicy{ps, rev} {
		if got := policy.Evaluate(order, teamA(), r, now); got.Policy != "a" {
			t.Fatalf("permitting policy = %q, want a", got.Policy)
		}
	}
}

func TestEvaluateAdopt(t *testing.T) {
	ps := []accessv1alpha1.PIMAccessPolicy{
		pol("team-a-oncall", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireTicket, maxDur(time.Hour)),
		pol("platform", []string{"platform"}, []accessv1alpha1.AllowedGroup{grp(groupY, owner)}),
		pol("platform-owners", []string{"platform"}, []accessv1alpha1.AllowedGroup{to(grp(groupZ, owner), principalP)},
			eligible(to(grp(groupX, member), principalP))),
	}
	platform := policy.Namespace{Name: "platform"}
	assign := func(group, principal string, access accessv1alpha1.AccessID) policy.Adoption {
		return policy.Adoption{Kind: pim.KindAssignment, GroupID: group, PrincipalID: principal, AccessID: access}
	}
	eligibility := func(group, principal string, access accessv1alpha1.AccessID) policy.Adoption {
		return policy.Adoption{Kind: pim.KindEligibility, GroupID: group, PrincipalID: principal, AccessID: access}
	}
	cases := []struct {
		name       string
		ns         policy.Namespace
		a          policy.Adoption
		wantDenial policy.Denial
		wantMsg    string
	}{
		// Schedule, justification and ticket rules do not apply to a request made elsewhere.
		{"permitted", teamA(), assign(groupX, principalP, member), "", `permitted by PIMAccessPolicy "team-a-oncall"`},
		{"as Graph spells the group", teamA(), assign(strings.ToUpper(groupX), principalP, "member"), "", `permitted by PIMAccessPolicy "team-a-oncall"`},
		{"no policy for the namespace", policy.Namespace{Name: "team-b"}, assign(groupX, principalP, member), policy.DeniedNamespace,
			`no PIMAccessPolicy selects namespace "team-b"`},
		{"another group", teamA(), assign(groupY, principalP, owner), policy.DeniedGroup,
			`no PIMAccessPolicy for namespace "team-a" allows group ` + groupY + ` (policies selecting it: "team-a-oncall")`},
		{"owner of a member-only group", teamA(), assign(groupX, principalP, owner), policy.DeniedAccess,
			`group ` + groupX + ` allows only member for namespace "team-a", not owner (policy "team-a-oncall")`},
		{"platform may adopt owner", platform, assign(groupY, principalQ, owner), "", `permitted by PIMAccessPolicy "platform"`},
		// The principal is the one Graph reports, and a principals list binds adoption too.
		{"owner for a listed principal", platform, assign(groupZ, strings.ToUpper(principalP), owner), "", `permitted by PIMAccessPolicy "platform-owners"`},
		{"owner for a principal not listed", platform, assign(groupZ, principalQ, owner), policy.DeniedAccess,
			`group ` + groupZ + ` allows owner for namespace "platform" only to the principals policy "platform-owners" lists, not to ` + principalQ},
		// The kind is the one Graph reports: an eligibility needs a policy that grants eligibility.
		{"eligibility under a policy for assignments", teamA(), eligibility(groupX, principalP, member), policy.DeniedGroup,
			`no PIMAccessPolicy grants eligibility for group ` + groupX + ` to namespace "team-a" (policies selecting it: "team-a-oncall"; "team-a-oncall" grants only active assignment of it)`},
		{"eligibility granted", platform, eligibility(groupX, principalP, member), "", `permitted by PIMAccessPolicy "platform-owners"`},
		{"eligibility for a principal not listed", platform, eligibility(groupX, principalQ, member), policy.DeniedAccess,
			`eligibility for group ` + groupX + ` allows member for namespace "platform" only to the principals policy "platform-owners" lists, not to ` + principalQ},
		{"an assignment of an eligible group", platform, assign(groupX, principalP, member), policy.DeniedGroup,
			`no PIMAccessPolicy for namespace "platform" allows group ` + groupX + ` (policies selecting it: "platform", "platform-owners"; "platform-owners" grants only eligibility for it)`},
		{"an unknown kind", teamA(), policy.Adoption{Kind: "activation", GroupID: groupX, PrincipalID: principalP}, policy.DeniedGroup,
			`no PIMAccessPolicy grants requests of kind "activation": a policy grants assignment or eligibility`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, policy.EvaluateAdopt(ps, tc.ns, tc.a), tc.wantDenial, tc.wantMsg)
		})
	}
}

// check holds a decision to its denial (empty: permitted) and its whole message.
func check(t *testing.T, d policy.Decision, wantDenial policy.Denial, wantMsg string) {
	t.Helper()
	if d.Message != wantMsg {
		t.Errorf("message:\n got %s\nwant %s", d.Message, wantMsg)
	}
	if d.Permitted != (wantDenial == "") || d.Denial != wantDenial {
		t.Errorf("permitted = %v, denial = %q; want denial %q", d.Permitted, d.Denial, wantDenial)
	}
	if (d.Denial == policy.DeniedRules) != (len(d.Missing) > 0) {
		t.Errorf("missing = %q with denial %q", d.Missing, d.Denial)
	}
}

// to limits g to principals.
func to(g accessv1alpha1.AllowedGroup, principals ...string) accessv1alpha1.AllowedGroup {
	g.Principals = principals
	return g
}

func eligible(groups ...accessv1alpha1.AllowedGroup) func(*accessv1alpha1.PIMAccessPolicySpec) {
	return func(s *accessv1alpha1.PIMAccessPolicySpec) {
		s.Eligibility = &accessv1alpha1.EligibilityGrant{Groups: groups, MaxDuration: *accessv1alpha1.DurationOf(2160 * time.Hour)}
	}
}

// onlyEligible drops the policy's active assignments: it grants eligibility alone.
func onlyEligible(s *accessv1alpha1.PIMAccessPolicySpec) {
	s.Groups, s.MaxDuration = nil, accessv1alpha1.Duration{}
}

func eligibleFor(d time.Duration) func(*accessv1alpha1.PIMAccessPolicySpec) {
	return func(s *accessv1alpha1.PIMAccessPolicySpec) { s.Eligibility.MaxDuration = *accessv1alpha1.DurationOf(d) }
}

func startDelay(d time.Duration) func(*accessv1alpha1.PIMAccessPolicySpec) {
	return func(s *accessv1alpha1.PIMAccessPolicySpec) { s.MaxStartDelay = accessv1alpha1.DurationOf(d) }
}

func eligibleStartDelay(d time.Duration) func(*accessv1alpha1.PIMAccessPolicySpec) {
	return func(s *accessv1alpha1.PIMAccessPolicySpec) {
		s.Eligibility.MaxStartDelay = accessv1alpha1.DurationOf(d)
	}
}

func eligibility(r *policy.Request) { r.Kind = pim.KindEligibility }

// Who gets the access: a group entry's principals list binds created requests.
func TestEvaluatePrincipals(t *testing.T) {
	owners := pol("owners", []string{"team-a"}, []accessv1alpha1.AllowedGroup{to(grp(groupX, member, owner), principalP, principalQ)})
	anyone := pol("members", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)})
	cases := []struct {
		name       string
		policies   []accessv1alpha1.PIMAccessPolicy
		req        policy.Request
		wantDenial policy.Denial
		wantMsg    string
	}{
		{"listed principal", []accessv1alpha1.PIMAccessPolicy{owners}, req(func(r *policy.Request) { r.AccessID = owner }),
			"", `permitted by PIMAccessPolicy "owners"`},
		{"listed principal in another case", []accessv1alpha1.PIMAccessPolicy{owners},
			req(func(r *policy.Request) { r.AccessID, r.PrincipalID = owner, strings.ToUpper(principalQ) }),
			"", `permitted by PIMAccessPolicy "owners"`},
		{"principal not listed", []accessv1alpha1.PIMAccessPolicy{owners},
			req(func(r *policy.Request) { r.AccessID, r.PrincipalID = owner, "11111111-1111-4111-8111-111111111111" }),
			policy.DeniedAccess, `group ` + groupX + ` allows owner for namespace "team-a" only to the principals policy "owners" lists, not to 11111111-1111-4111-8111-111111111111`},
		{"no principal at all", []accessv1alpha1.PIMAccessPolicy{owners},
			req(func(r *policy.Request) { r.AccessID, r.PrincipalID = owner, "" }),
			policy.DeniedAccess, `group ` + groupX + ` allows owner for namespace "team-a" only to the principals policy "owners" lists, not to a request that names no principal`},
		{"another policy allows anyone as member", []accessv1alpha1.PIMAccessPolicy{owners, anyone},
			req(func(r *policy.Request) { r.PrincipalID = "11111111-1111-4111-8111-111111111111" }),
			"", `permitted by PIMAccessPolicy "members"`},
		{"the list does not lend owner to others", []accessv1alpha1.PIMAccessPolicy{owners, anyone},
			req(func(r *policy.Request) { r.AccessID, r.PrincipalID = owner, "11111111-1111-4111-8111-111111111111" }),
			policy.DeniedAccess, `group ` + groupX + ` allows owner for namespace "team-a" only to the principals policy "owners" lists, not to 11111111-1111-4111-8111-111111111111`},
		{"access is checked before the principal", []accessv1alpha1.PIMAccessPolicy{
			pol("members-p", []string{"team-a"}, []accessv1alpha1.AllowedGroup{to(grp(groupX, member), principalP)})},
			req(func(r *policy.Request) { r.AccessID, r.PrincipalID = owner, principalQ }),
			policy.DeniedAccess, `group ` + groupX + ` allows only member for namespace "team-a", not owner (policy "members-p")`},
		{"the principal is checked before the rules", []accessv1alpha1.PIMAccessPolicy{
			pol("members-p", []string{"team-a"}, []accessv1alpha1.AllowedGroup{to(grp(groupX, member), principalP)}, requireTicket)},
			req(func(r *policy.Request) { r.PrincipalID, r.TicketNumber = principalQ, "" }),
			policy.DeniedAccess, `group ` + groupX + ` allows member for namespace "team-a" only to the principals policy "members-p" lists, not to ` + principalQ},
		{"several lists, none names the principal", []accessv1alpha1.PIMAccessPolicy{
			pol("b", []string{"team-a"}, []accessv1alpha1.AllowedGroup{to(grp(groupX, member), principalQ)}),
			pol("a", []string{"team-a"}, []accessv1alpha1.AllowedGroup{to(grp(groupX, member), principalQ)})},
			req(), policy.DeniedAccess, `group ` + groupX + ` allows member for namespace "team-a" only to the principals policies "a", "b" list, not to ` + principalP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, policy.Evaluate(tc.policies, teamA(), tc.req, now), tc.wantDenial, tc.wantMsg)
		})
	}
}

// Eligibility needs an explicit grant, with its own groups, length, noExpiration and start
// delay; the paperwork rules are shared.
func TestEvaluateEligibility(t *testing.T) {
	oncall := pol("team-a-oncall", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireTicket)
	eligibleOnly := pol("team-a-eligible", []string{"team-a"}, nil, eligible(grp(groupX, member)), onlyEligible, requireJustification)
	months := func(r *policy.Request) { r.Kind, r.Duration = pim.KindEligibility, 2160*time.Hour }
	cases := []struct {
		name       string
		policies   []accessv1alpha1.PIMAccessPolicy
		req        policy.Request
		wantDenial policy.Denial
		wantMsg    string
	}{
		{"an existing policy grants no eligibility", []accessv1alpha1.PIMAccessPolicy{oncall}, req(eligibility),
			policy.DeniedGroup, `no PIMAccessPolicy grants eligibility for group ` + groupX + ` to namespace "team-a" (policies selecting it: "team-a-oncall"; "team-a-oncall" grants only active assignment of it)`},
		{"an existing policy still grants assignments", []accessv1alpha1.PIMAccessPolicy{oncall}, req(),
			"", `permitted by PIMAccessPolicy "team-a-oncall"`},
		{"eligibility for months", []accessv1alpha1.PIMAccessPolicy{oncall, eligibleOnly}, req(months),
			"", `permitted by PIMAccessPolicy "team-a-eligible"`},
		{"an eligibility grant grants no assignment", []accessv1alpha1.PIMAccessPolicy{eligibleOnly}, req(),
			policy.DeniedGroup, `no PIMAccessPolicy for namespace "team-a" allows group ` + groupX + ` (policies selecting it: "team-a-eligible"; "team-a-eligible" grants only eligibility for it)`},
		{"assignment limits do not bound eligibility", []accessv1alpha1.PIMAccessPolicy{
			pol("both", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, eligible(grp(groupX, member)))},
			req(months), "", `permitted by PIMAccessPolicy "both"`},
		{"eligibility limits do not stretch assignments", []accessv1alpha1.PIMAccessPolicy{
			pol("both", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, eligible(grp(groupX, member)))},
			req(func(r *policy.Request) { r.Duration = 2160 * time.Hour }),
			policy.DeniedRules, `duration 2160h exceeds the longest allowed 8h (policy "both")`},
		{"eligibility over its limit", []accessv1alpha1.PIMAccessPolicy{eligibleOnly},
			req(months, func(r *policy.Request) { r.Duration = 4320 * time.Hour }),
			policy.DeniedRules, `duration 4320h exceeds the longest allowed 2160h (eligibility in policy "team-a-eligible")`},
		{"eligibility with its own noExpiration", []accessv1alpha1.PIMAccessPolicy{
			pol("forever", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, allowNoExpiration, eligible(grp(groupX, member)))},
			req(eligibility, func(r *policy.Request) { r.Expiration, r.Duration = accessv1alpha1.ExpirationNone, 0 }),
			policy.DeniedRules, `noExpiration is not allowed: set an expiration of at most 2160h (eligibility in policy "forever")`},
		{"eligibility noExpiration allowed", []accessv1alpha1.PIMAccessPolicy{
			pol("forever", []string{"team-a"}, nil, onlyEligible, eligible(grp(groupX, member)),
				func(s *accessv1alpha1.PIMAccessPolicySpec) { s.Eligibility.AllowNoExpiration = true })},
			req(eligibility, func(r *policy.Request) { r.Expiration, r.Duration = accessv1alpha1.ExpirationNone, 0 }),
			"", `permitted by PIMAccessPolicy "forever"`},
		{"the paperwork rules are shared", []accessv1alpha1.PIMAccessPolicy{eligibleOnly},
			req(months, func(r *policy.Request) { r.Justification = "   " }),
			policy.DeniedRules, `a justification is required (spec.justification is blank) (eligibility in policy "team-a-eligible")`},
		{"eligibility access", []accessv1alpha1.PIMAccessPolicy{eligibleOnly}, req(months, func(r *policy.Request) { r.AccessID = owner }),
			policy.DeniedAccess, `eligibility for group ` + groupX + ` allows only member for namespace "team-a", not owner (policy "team-a-eligible")`},
		{"eligibility for another group", []accessv1alpha1.PIMAccessPolicy{eligibleOnly}, req(months, func(r *policy.Request) { r.GroupID = groupY }),
			policy.DeniedGroup, `no PIMAccessPolicy grants eligibility for group ` + groupY + ` to namespace "team-a" (policies selecting it: "team-a-eligible")`},
		{"several eligibility grants: the closest", []accessv1alpha1.PIMAccessPolicy{
			pol("a", []string{"team-a"}, nil, onlyEligible, eligible(grp(groupX, member)), eligibleFor(720*time.Hour), requireTicket),
			pol("b", []string{"team-a"}, nil, onlyEligible, eligible(grp(groupX, member)), eligibleFor(720*time.Hour))},
			req(months, func(r *policy.Request) { r.TicketNumber = "" }), policy.DeniedRules,
			`duration 2160h exceeds the longest allowed 720h (eligibility in policy "b", the closest of 2 policies that grant eligibility for group ` + groupX + ` as member to namespace "team-a")`},
		{"a request with no kind is never permitted", []accessv1alpha1.PIMAccessPolicy{oncall, eligibleOnly},
			req(func(r *policy.Request) { r.Kind = "" }),
			policy.DeniedGroup, `no PIMAccessPolicy grants requests of kind "": a policy grants assignment or eligibility`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, policy.Evaluate(tc.policies, teamA(), tc.req, now), tc.wantDenial, tc.wantMsg)
		})
	}
}

// maxStartDelay bounds how far ahead of now (the object's creation) the start may be.
func TestEvaluateMaxStartDelay(t *testing.T) {
	delayed := pol("soon", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, startDelay(48*time.Hour),
		eligible(grp(groupX, member)), eligibleStartDelay(168*time.Hour))
	startIn := func(d time.Duration) func(*policy.Request) { return func(r *policy.Request) { r.Start = now.Add(d) } }
	cases := []struct {
		name       string
		req        policy.Request
		wantDenial policy.Denial
		wantMsg    string
	}{
		{"no start", req(), "", `permitted by PIMAccessPolicy "soon"`},
		{"at the limit", req(startIn(48 * time.Hour)), "", `permitted by PIMAccessPolicy "soon"`},
		{"in the past", req(startIn(-time.Hour)), "", `permitted by PIMAccessPolicy "soon"`},
		{"beyond the limit", req(startIn(72 * time.Hour)), policy.DeniedRules,
			`start delay 72h (now to startDateTime) exceeds the longest allowed 48h (policy "soon")`},
		{"a second beyond reads as beyond", req(startIn(48*time.Hour + time.Millisecond)), policy.DeniedRules,
			`start delay 48h0m1s (now to startDateTime) exceeds the longest allowed 48h (policy "soon")`},
		{"with afterDateTime: both rules", req(startIn(72*time.Hour), func(r *policy.Request) {
			r.Expiration, r.Duration, r.End = accessv1alpha1.ExpirationAfterDateTime, 0, now.Add(90*time.Hour)
		}), policy.DeniedRules,
			`duration 18h (start to endDateTime) exceeds the longest allowed 8h; start delay 72h (now to startDateTime) exceeds the longest allowed 48h (policy "soon")`},
		{"eligibility has its own limit", req(eligibility, startIn(72*time.Hour)), "", `permitted by PIMAccessPolicy "soon"`},
		{"eligibility beyond its limit", req(eligibility, startIn(200*time.Hour)), policy.DeniedRules,
			`start delay 200h (now to startDateTime) exceeds the longest allowed 168h (eligibility in policy "soon")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, policy.Evaluate([]accessv1alpha1.PIMAccessPolicy{delayed}, teamA(), tc.req, now), tc.wantDenial, tc.wantMsg)
		})
	}
	// 0s allows no future start at all.
	now0 := pol("now-only", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, startDelay(0))
	check(t, policy.Evaluate([]accessv1alpha1.PIMAccessPolicy{now0}, teamA(), req(), now), "", `permitted by PIMAccessPolicy "now-only"`)
	check(t, policy.Evaluate([]accessv1alpha1.PIMAccessPolicy{now0}, teamA(), req(startIn(time.Second)), now), policy.DeniedRules,
		`start delay 1s (now to startDateTime) exceeds the longest allowed 0s (policy "now-only")`)

	// Measured from now, not from the moment of the check: the same request, judged with the
	// same now, gets the same verdict however late.
	later := policy.Evaluate([]accessv1alpha1.PIMAccessPolicy{delayed}, teamA(), req(startIn(48*time.Hour)), now)
	if !later.Permitted {
		t.Fatalf("verdict drifted: %s", later.Message)
	}
}

// Blank paperwork is no paperwork.
func TestEvaluateBlankPaperwork(t *testing.T) {
	strict := pol("strict", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireJustification, requireTicket)
	cases := []struct {
		name    string
		req     policy.Request
		wantMsg string
	}{
		{"blank justification", req(func(r *policy.Request) { r.Justification = " \t\n" }),
			`a justification is required (spec.justification is blank) (policy "strict")`},
		{"blank ticket system", req(func(r *policy.Request) { r.TicketSystem = "  " }),
			`a ticket is required (ticket.system and ticket.number) (policy "strict")`},
		{"blank ticket number", req(func(r *policy.Request) { r.TicketNumber = "\u00a0" }),
			`a ticket is required (ticket.system and ticket.number) (policy "strict")`},
		{"half a ticket", req(func(r *policy.Request) { r.TicketNumber = "" }),
			`a ticket is required (ticket.system and ticket.number) (policy "strict")`},
		{"padded text counts", req(func(r *policy.Request) { r.Justification, r.TicketNumber = "  on call ", " CHG1 " }),
			`permitted by PIMAccessPolicy "strict"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := policy.DeniedRules
			if strings.HasPrefix(tc.wantMsg, "permitted") {
				want = ""
			}
			check(t, policy.Evaluate([]accessv1alpha1.PIMAccessPolicy{strict}, teamA(), tc.req, now), want, tc.wantMsg)
		})
	}
}

// What cannot be read grants nothing and is permitted nothing. Only objects stored before the
// CRD checked these values can hold them.
func TestEvaluateFailsClosed(t *testing.T) {
	broken := func(name string, f func(*accessv1alpha1.PIMAccessPolicySpec)) accessv1alpha1.PIMAccessPolicy {
		return pol(name, []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, eligible(grp(groupX, member)), f)
	}
	badMax := broken("bad-max", func(s *accessv1alpha1.PIMAccessPolicySpec) { s.MaxDuration = accessv1alpha1.Duration{Text: "1d"} })
	badDelay := broken("bad-delay", func(s *accessv1alpha1.PIMAccessPolicySpec) {
		s.MaxStartDelay = &accessv1alpha1.Duration{Text: "2 days"}
	})
	badEligible := broken("bad-eligible", func(s *accessv1alpha1.PIMAccessPolicySpec) {
		s.Eligibility.MaxDuration = accessv1alpha1.Duration{Text: "90d"}
	})
	noMax := broken("no-max", func(s *accessv1alpha1.PIMAccessPolicySpec) { s.MaxDuration = accessv1alpha1.Duration{} })
	good := pol("good", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireTicket)
	const fix = "(write whole hours, minutes and seconds, e.g. 8h or 1h30m), so the policy grants nothing until it is corrected"

	cases := []struct {
		name       string
		policies   []accessv1alpha1.PIMAccessPolicy
		req        policy.Request
		wantDenial policy.Denial
		wantMsg    string
	}{
		{"unreadable maxDuration", []accessv1alpha1.PIMAccessPolicy{badMax}, req(), policy.DeniedRules,
			`maxDuration "1d" is not a duration ` + fix + ` (policy "bad-max")`},
		{"it grants no eligibility either", []accessv1alpha1.PIMAccessPolicy{badMax}, req(eligibility), policy.DeniedRules,
			`maxDuration "1d" is not a duration ` + fix + ` (eligibility in policy "bad-max")`},
		{"unreadable maxStartDelay", []accessv1alpha1.PIMAccessPolicy{badDelay}, req(), policy.DeniedRules,
			`maxStartDelay "2 days" is not a duration ` + fix + ` (policy "bad-delay")`},
		{"unreadable eligibility.maxDuration stops assignments too", []accessv1alpha1.PIMAccessPolicy{badEligible}, req(), policy.DeniedRules,
			`eligibility.maxDuration "90d" is not a duration ` + fix + ` (policy "bad-eligible")`},
		{"groups without maxDuration", []accessv1alpha1.PIMAccessPolicy{noMax}, req(), policy.DeniedRules,
			`maxDuration is not set, so the policy grants nothing until it is corrected (policy "no-max")`},
		{"a readable policy comes closer than an unreadable one", []accessv1alpha1.PIMAccessPolicy{badMax, good},
			req(func(r *policy.Request) { r.TicketNumber, r.Duration = "", 9*time.Hour }), policy.DeniedRules,
			`duration 9h exceeds the longest allowed 8h; a ticket is required (ticket.system and ticket.number) (policy "good", ` +
				`the closest of 2 policies that allow group ` + groupX + ` as member for namespace "team-a")`},
		{"another policy still permits", []accessv1alpha1.PIMAccessPolicy{badMax, good}, req(), "", `permitted by PIMAccessPolicy "good"`},
		{"unreadable startDateTime", []accessv1alpha1.PIMAccessPolicy{good},
			policy.RequestFromSpec(pim.KindAssignment, spec(func(s *accessv1alpha1.RequestSpec) {
				s.Schedule.StartDateTime = &accessv1alpha1.Time{Text: "2026-05-01t12:00:00z"}
			})), policy.DeniedRules,
			`startDateTime "2026-05-01t12:00:00z" is not an RFC 3339 time (e.g. 2026-12-31T18:00:00Z) (policy "good")`},
		{"unreadable endDateTime", []accessv1alpha1.PIMAccessPolicy{good},
			policy.RequestFromSpec(pim.KindAssignment, spec(func(s *accessv1alpha1.RequestSpec) {
				s.Schedule.Expiration = accessv1alpha1.Expiration{Type: accessv1alpha1.ExpirationAfterDateTime,
					EndDateTime: &accessv1alpha1.Time{Text: "tomorrow"}}
			})), policy.DeniedRules,
			`expiration.endDateTime "tomorrow" is not an RFC 3339 time (e.g. 2026-12-31T18:00:00Z) (policy "good")`},
		{"unreadable duration", []accessv1alpha1.PIMAccessPolicy{good},
			policy.RequestFromSpec(pim.KindAssignment, spec(func(s *accessv1alpha1.RequestSpec) {
				s.Schedule.Expiration.Duration = &accessv1alpha1.Duration{Text: "1w"}
			})), policy.DeniedRules,
			`expiration.duration "1w" is not a duration (write whole hours, minutes and seconds, e.g. 8h or 1h30m) (policy "good")`},
		{"unreadable values and missing paperwork are all named", []accessv1alpha1.PIMAccessPolicy{good},
			policy.RequestFromSpec(pim.KindAssignment, spec(func(s *accessv1alpha1.RequestSpec) {
				s.Ticket = nil
				s.Schedule.StartDateTime = &accessv1alpha1.Time{Text: "soon"}
				s.Schedule.Expiration.Duration = &accessv1alpha1.Duration{Text: "8hours"}
			})), policy.DeniedRules,
			`startDateTime "soon" is not an RFC 3339 time (e.g. 2026-12-31T18:00:00Z); ` +
				`expiration.duration "8hours" is not a duration (write whole hours, minutes and seconds, e.g. 8h or 1h30m); ` +
				`a ticket is required (ticket.system and ticket.number) (policy "good")`},
		{"afterDuration without a duration", []accessv1alpha1.PIMAccessPolicy{good},
			req(func(r *policy.Request) { r.Duration = 0 }), policy.DeniedRules,
			`expiration type afterDuration needs a duration longer than zero (policy "good")`},
		{"afterDateTime without an end", []accessv1alpha1.PIMAccessPolicy{good},
			req(func(r *policy.Request) { r.Expiration, r.Duration = accessv1alpha1.ExpirationAfterDateTime, 0 }), policy.DeniedRules,
			`expiration type afterDateTime needs an endDateTime (policy "good")`},
		{"no schedule", []accessv1alpha1.PIMAccessPolicy{good},
			policy.RequestFromSpec(pim.KindAssignment, spec(func(s *accessv1alpha1.RequestSpec) { s.Schedule = nil })), policy.DeniedRules,
			`expiration type "" is not one of noExpiration, afterDateTime, afterDuration (policy "good")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, policy.Evaluate(tc.policies, teamA(), tc.req, now), tc.wantDenial, tc.wantMsg)
		})
	}

	// Adoption: an unreadable policy grants nothing there either.
	a := policy.Adoption{Kind: pim.KindAssignment, GroupID: groupX, PrincipalID: principalP, AccessID: member}
	check(t, policy.EvaluateAdopt([]accessv1alpha1.PIMAccessPolicy{badMax}, teamA(), a), policy.DeniedRules,
		`maxDuration "1d" is not a duration `+fix+` (policy "bad-max")`)
	check(t, policy.EvaluateAdopt([]accessv1alpha1.PIMAccessPolicy{badMax, good}, teamA(), a), "", `permitted by PIMAccessPolicy "good"`)
}

// spec is a valid request spec (member of X for P, 8h, justification and ticket), changed by f.
func spec(f func(*accessv1alpha1.RequestSpec)) *accessv1alpha1.RequestSpec {
	s := &accessv1alpha1.RequestSpec{
		GroupID: groupX, PrincipalID: principalP, Justification: "on call",
		Ticket: &accessv1alpha1.Ticket{System: "ServiceNow", Number: "CHG1"},
		Schedule: &accessv1alpha1.Schedule{Expiration: accessv1alpha1.Expiration{
			Type: accessv1alpha1.ExpirationAfterDuration, Duration: accessv1alpha1.DurationOf(8 * time.Hour)}},
	}
	f(s)
	return s
}

func TestRequestFromSpec(t *testing.T) {
	start := now.Add(time.Hour)
	end := now.Add(5 * time.Hour)
	cases := []struct {
		name string
		kind pim.Kind
		spec accessv1alpha1.RequestSpec
		want policy.Request
	}{
		{"afterDuration with ticket", pim.KindAssignment, accessv1alpha1.RequestSpec{
			GroupID: groupX, PrincipalID: principalP, AccessID: owner, Justification: "on call",
			Ticket: &accessv1alpha1.Ticket{System: "ServiceNow", Number: "CHG1"},
			Schedule: &accessv1alpha1.Schedule{Expiration: accessv1alpha1.Expiration{
				Type: accessv1alpha1.ExpirationAfterDuration, Duration: accessv1alpha1.DurationOf(8 * time.Hour)}},
		}, policy.Request{Kind: pim.KindAssignment, GroupID: groupX, PrincipalID: principalP, AccessID: owner,
			Expiration: accessv1alpha1.ExpirationAfterDuration, Duration: 8 * time.Hour,
			Justification: "on call", TicketSystem: "ServiceNow", TicketNumber: "CHG1"}},
		{"eligibility, afterDateTime with a start, blank justification", pim.KindEligibility, accessv1alpha1.RequestSpec{
			GroupID: groupX, Justification: "  ",
			Schedule: &accessv1alpha1.Schedule{StartDateTime: accessv1alpha1.TimeOf(start), Expiration: accessv1alpha1.Expiration{
				Type: accessv1alpha1.ExpirationAfterDateTime, EndDateTime: accessv1alpha1.TimeOf(end)}},
		}, policy.Request{Kind: pim.KindEligibility, GroupID: groupX, Start: start,
			Expiration: accessv1alpha1.ExpirationAfterDateTime, End: end, Justification: "  "}},
		{"noExpiration, half a ticket", pim.KindAssignment, accessv1alpha1.RequestSpec{
			GroupID: groupX, Ticket: &accessv1alpha1.Ticket{System: "Jira"},
			Schedule: &accessv1alpha1.Schedule{Expiration: accessv1alpha1.Expiration{Type: accessv1alpha1.ExpirationNone}},
		}, policy.Request{Kind: pim.KindAssignment, GroupID: groupX, Expiration: accessv1alpha1.ExpirationNone, TicketSystem: "Jira"}},
		{"a time with an offset", pim.KindAssignment, accessv1alpha1.RequestSpec{
			GroupID: groupX,
			Schedule: &accessv1alpha1.Schedule{StartDateTime: &accessv1alpha1.Time{Text: "2026-05-01T14:00:00.5+02:00"},
				Expiration: accessv1alpha1.Expiration{Type: accessv1alpha1.ExpirationNone}},
		}, policy.Request{Kind: pim.KindAssignment, GroupID: groupX, Start: now.Add(500 * time.Millisecond), Expiration: accessv1alpha1.ExpirationNone}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := policy.RequestFromSpec(tc.kind, &tc.spec)
			if !got.Start.Equal(tc.want.Start) {
				t.Fatalf("start %s, want %s", got.Start, tc.want.Start)
			}
			got.Start, tc.want.Start = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		8 * time.Hour:                      "8h",
		720 * time.Hour:                    "720h",
		90 * time.Minute:                   "1h30m",
		45 * time.Second:                   "45s",
		8*time.Hour + time.Second:          "8h0m1s",
		5 * time.Minute:                    "5m",
		2*time.Hour + 400*time.Millisecond: "2h",
		0:                                  "0s",
	} {
		if got := policy.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
