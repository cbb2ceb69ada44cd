package policy_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/policy"
)

const (
	groupX = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
	groupY = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
	groupZ = "11111111-2222-4333-8444-555555555555"
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

// req is a member request for group X lasting 8h with a justification and a ticket.
func req(opts ...func(*policy.Request)) policy.Request {
	r := policy.Request{
		GroupID: groupX, AccessID: member,
		Expiration: accessv1alpha1.ExpirationAfterDuration, Duration: 8 * time.Hour,
		HasJustification: true, HasTicket: true,
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
			ns: teamA(), req: req(func(r *policy.Request) { r.HasJustification = false }),
			wantDenial: policy.DeniedRules, wantMsg: `a justification is required (policy "why")`,
		},
		{
			name: "justification not required", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.HasJustification = false }),
			wantPolicy: "team-a-oncall", wantMsg: `permitted by PIMAccessPolicy "team-a-oncall"`,
		},
		{
			name: "missing ticket", policies: []accessv1alpha1.PIMAccessPolicy{oncall}, ns: teamA(),
			req:        req(func(r *policy.Request) { r.HasTicket = false }),
			wantDenial: policy.DeniedRules, wantMsg: `a ticket is required (ticket.system and ticket.number) (policy "team-a-oncall")`,
		},
		{
			name: "several unmet rules are all named",
			policies: []accessv1alpha1.PIMAccessPolicy{
				pol("strict", []string{"team-a"}, []accessv1alpha1.AllowedGroup{grp(groupX, member)}, requireJustification, requireTicket),
			},
			ns: teamA(), req: req(func(r *policy.Request) { r.Duration, r.HasJustification, r.HasTicket = 9*time.Hour, false, false }),
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
			ns: teamA(), req: req(func(r *policy.Request) { r.Duration, r.HasJustification, r.HasTicket = 12*time.Hour, false, false }),
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
	r := req(func(r *policy.Request) { r.HasJustification, r.HasTicket = false, false })
	want := policy.Evaluate(ps, teamA(), r, now)
	if want.Policy != "a" {
		t.Fatalf("closest miss among equals should be the first by name, got %q", want.Policy)
	}
	rev := []accessv1alpha1.PIMAccessPolicy{ps[2], ps[0], ps[1]}
	if got := policy.Evaluate(rev, teamA(), r, now); !reflect.DeepEqual(got, want) {
		t.Fatalf("order changed the decision:\n got %+v\nwant %+v", got, want)
	}
	// Permitting: the first by name wins whatever the order.
	r.HasJustification, r.HasTicket = true, true
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
	}
	cases := []struct {
		name    string
		ns      policy.Namespace
		group   string
		access  accessv1alpha1.AccessID
		wantMsg string
	}{
		// Schedule, justification and ticket rules do not apply to a request made elsewhere.
		{"permitted", teamA(), groupX, member, `permitted by PIMAccessPolicy "team-a-oncall"`},
		{"as Graph spells the group", teamA(), strings.ToUpper(groupX), "member", `permitted by PIMAccessPolicy "team-a-oncall"`},
		{"no policy for the namespace", policy.Namespace{Name: "team-b"}, groupX, member, `no PIMAccessPolicy selects namespace "team-b"`},
		{"another group", teamA(), groupY, owner,
			`no PIMAccessPolicy for namespace "team-a" allows group ` + groupY + ` (policies selecting it: "team-a-oncall")`},
		{"owner of a member-only group", teamA(), groupX, owner,
			`group ` + groupX + ` allows only member for namespace "team-a", not owner (policy "team-a-oncall")`},
		{"platform may adopt owner", policy.Namespace{Name: "platform"}, groupY, owner, `permitted by PIMAccessPolicy "platform"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := policy.EvaluateAdopt(ps, tc.ns, tc.group, tc.access)
			if d.Message != tc.wantMsg {
				t.Fatalf("message:\n got %s\nwant %s", d.Message, tc.wantMsg)
			}
			if d.Permitted != strings.HasPrefix(tc.wantMsg, "permitted") {
				t.Fatalf("permitted = %v", d.Permitted)
			}
		})
	}
}

func TestRequestFromSpec(t *testing.T) {
	start := metav1.NewTime(now.Add(time.Hour))
	end := metav1.NewTime(now.Add(5 * time.Hour))
	cases := []struct {
		name string
		spec accessv1alpha1.RequestSpec
		want policy.Request
	}{
		{"afterDuration with ticket", accessv1alpha1.RequestSpec{
			GroupID: groupX, AccessID: owner, Justification: "on call",
			Ticket: &accessv1alpha1.Ticket{System: "ServiceNow", Number: "CHG1"},
			Schedule: &accessv1alpha1.Schedule{Expiration: accessv1alpha1.Expiration{
				Type: accessv1alpha1.ExpirationAfterDuration, Duration: accessv1alpha1.DurationOf(8 * time.Hour)}},
		}, policy.Request{GroupID: groupX, AccessID: owner, Expiration: accessv1alpha1.ExpirationAfterDuration,
			Duration: 8 * time.Hour, HasJustification: true, HasTicket: true}},
		{"afterDateTime with a start, blank justification", accessv1alpha1.RequestSpec{
			GroupID: groupX, Justification: "  ",
			Schedule: &accessv1alpha1.Schedule{StartDateTime: accessv1alpha1.TimeOf(start.Time), Expiration: accessv1alpha1.Expiration{
				Type: accessv1alpha1.ExpirationAfterDateTime, EndDateTime: accessv1alpha1.TimeOf(end.Time)}},
		}, policy.Request{GroupID: groupX, Start: start.Time, Expiration: accessv1alpha1.ExpirationAfterDateTime, End: end.Time}},
		{"noExpiration, half a ticket", accessv1alpha1.RequestSpec{
			GroupID: groupX, Ticket: &accessv1alpha1.Ticket{System: "Jira"},
			Schedule: &accessv1alpha1.Schedule{Expiration: accessv1alpha1.Expiration{Type: accessv1alpha1.ExpirationNone}},
		}, policy.Request{GroupID: groupX, Expiration: accessv1alpha1.ExpirationNone}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := policy.RequestFromSpec(&tc.spec); !reflect.DeepEqual(got, tc.want) {
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
