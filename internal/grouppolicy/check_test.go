package grouppolicy

import (
	"testing"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

const (
	group     = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	principal = "11111111-1111-1111-1111-111111111111"
	uid       = "9d4b4f2e-1c2a-4e0b-8f3d-5a6b7c8d9e0f"
)

var now = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// expiration is an expiration rule of the kind; max is Graph's text and its length.
func expiration(kind pim.Kind, required bool, text string, max time.Duration) *pim.GroupPolicy {
	p := &pim.GroupPolicy{GroupID: group, AccessID: pim.AccessMember}
	id := pim.RuleExpirationAdminAssignment
	level := &p.Assignment
	if kind == pim.KindEligibility {
		id, level = pim.RuleExpirationAdminEligibility, &p.Eligibility
	}
	level.Expiration = &pim.ExpirationRule{ID: id, Required: required, MaximumDuration: text, Maximum: max, Operations: []string{"all"}}
	return p
}

// enablement is an enablement rule of the kind with these enabled rules.
func enablement(kind pim.Kind, enabled ...string) *pim.GroupPolicy {
	p := &pim.GroupPolicy{GroupID: group, AccessID: pim.AccessMember}
	r := &pim.EnablementRule{ID: pim.RuleEnablementAdminAssignment, Enabled: enabled}
	p.Assignment.Enablement = r
	if kind == pim.KindEligibility {
		r.ID = pim.RuleEnablementAdminEligibility
		p.Assignment.Enablement, p.Eligibility.Enablement = nil, r
	}
	return p
}

// request asks for the expiration, with a user's justification and a ticket unless changed.
func request(exp pim.Expiration, mods ...func(*pim.CreateInput)) pim.CreateInput {
	in := pim.CreateInput{
		Triple:        pim.Triple{PrincipalID: principal, GroupID: group, AccessID: pim.AccessMember},
		Justification: pim.AppendMarker("release 42", "team-a", "release", uid),
		Ticket:        &pim.Ticket{System: "Jira", Number: "OPS-7"},
		Schedule:      pim.ScheduleInfo{Expiration: exp},
	}
	for _, m := range mods {
		m(&in)
	}
	return in
}

func forDuration(d time.Duration) pim.Expiration {
	return pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: d}
}

func until(t time.Time) pim.Expiration {
	return pim.Expiration{Type: pim.ExpirationAfterDateTime, EndDateTime: &t}
}

var permanent = pim.Expiration{Type: pim.ExpirationNone}

func startingAt(t time.Time) func(*pim.CreateInput) {
	return func(in *pim.CreateInput) { in.Schedule.Start = &t }
}

func withJustification(j string) func(*pim.CreateInput) {
	return func(in *pim.CreateInput) { in.Justification = j }
}

func withTicket(t *pim.Ticket) func(*pim.CreateInput) {
	return func(in *pim.CreateInput) { in.Ticket = t }
}

const (
	day     = 24 * time.Hour
	mfaText = "group " + group + " requires multifactor authentication on active assignment, which an application can never satisfy: " +
		"relax the rule for this group or assign in the portal (rule Enablement_Admin_Assignment)"
)

// Every rule: one request that passes and one that breaks it, with the exact message.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy *pim.GroupPolicy
		kind   pim.Kind
		in     pim.CreateInput
		want   []Violation // nil: passes
	}{
		{name: "assignment within the maximum", policy: expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour), kind: pim.KindAssignment,
			in: request(forDuration(8 * time.Hour))},
		{name: "assignment over the maximum", policy: expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour), kind: pim.KindAssignment,
			in: request(forDuration(12 * time.Hour)),
			want: []Violation{{RuleID: pim.RuleExpirationAdminAssignment, Setting: SettingMaximumDuration, Limit: "PT8H", Asked: "12h", UserFixable: true,
				Message: "group " + group + " allows active assignments of at most 8h (PT8H); this asks for 12h (rule Expiration_Admin_Assignment)"}}},
		{name: "a fraction of a second over is not sent", policy: expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour), kind: pim.KindAssignment,
			in: request(forDuration(8*time.Hour + 999*time.Millisecond))},
		{name: "end date within the maximum, counted from a future start", policy: expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour), kind: pim.KindAssignment,
			in: request(until(now.Add(10*time.Hour)), startingAt(now.Add(2*time.Hour)))},
		{name: "end date over the maximum, counted from now for a past start", policy: expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour), kind: pim.KindAssignment,
			in: request(until(now.Add(9*time.Hour+30*time.Minute)), startingAt(now.Add(-time.Hour))),
			want: []Violation{{RuleID: pim.RuleExpirationAdminAssignment, Setting: SettingMaximumDuration, Limit: "PT8H", Asked: "9h30m", UserFixable: true,
				Message: "group " + group + " allows active assignments of at most 8h (PT8H); this asks for 9h30m (until 2030-06-01T21:30:00Z) (rule Expiration_Admin_Assignment)"}}},
		{name: "P365D is exactly 8760h", policy: expiration(pim.KindEligibility, true, "P365D", 365*day), kind: pim.KindEligibility,
			in: request(forDuration(8760 * time.Hour))},
		{name: "eligibility over P365D", policy: expiration(pim.KindEligibility, true, "P365D", 365*day), kind: pim.KindEligibility,
			in: request(forDuration(8761 * time.Hour)),
			want: []Violation{{RuleID: pim.RuleExpirationAdminEligibility, Setting: SettingMaximumDuration, Limit: "P365D", Asked: "8761h", UserFixable: true,
				Message: "group " + group + " allows eligibilities of at most 8760h (P365D); this asks for 8761h (rule Expiration_Admin_Eligibility)"}}},
		{name: "P1M counts 30 days", policy: expiration(pim.KindEligibility, false, "P1M", 30*day), kind: pim.KindEligibility,
			in: request(forDuration(720 * time.Hour))},
		{name: "over P1M", policy: expiration(pim.KindEligibility, false, "P1M", 30*day), kind: pim.KindEligibility,
			in: request(forDuration(720*time.Hour + time.Minute)),
			want: []Violation{{RuleID: pim.RuleExpirationAdminEligibility, Setting: SettingMaximumDuration, Limit: "P1M", Asked: "720h1m", UserFixable: true,
				Message: "group " + group + " allows eligibilities of at most 720h (P1M); this asks for 720h1m (rule Expiration_Admin_Eligibility)"}}},
		{name: "an end is required", policy: expiration(pim.KindAssignment, true, "P180D", 180*day), kind: pim.KindAssignment,
			in: request(permanent),
			want: []Violation{{RuleID: pim.RuleExpirationAdminAssignment, Setting: SettingExpirationRequired, Limit: "an end", Asked: "noExpiration", UserFixable: true,
				Message: "group " + group + " requires an end on active assignments: noExpiration is not allowed, set an expiration of at most 4320h (P180D) (rule Expiration_Admin_Assignment)"}}},
		{name: "an end is required, no maximum", policy: expiration(pim.KindEligibility, true, "", 0), kind: pim.KindEligibility,
			in: request(pim.Expiration{}),
			want: []Violation{{RuleID: pim.RuleExpirationAdminEligibility, Setting: SettingExpirationRequired, Limit: "an end", Asked: "noExpiration", UserFixable: true,
				Message: "group " + group + " requires an end on eligibilities: noExpiration is not allowed, set an expiration (rule Expiration_Admin_Eligibility)"}}},
		{name: "permanent allowed when no end is required", policy: expiration(pim.KindAssignment, false, "P180D", 180*day), kind: pim.KindAssignment,
			in: request(permanent)},
		{name: "a maximum the client could not read is not checked", policy: expiration(pim.KindAssignment, true, "soon", 0), kind: pim.KindAssignment,
			in: request(forDuration(1000 * day))},
		{name: "the rules of the other kind do not apply", policy: expiration(pim.KindEligibility, true, "PT1H", time.Hour), kind: pim.KindAssignment,
			in: request(permanent)},

		{name: "no MFA rule", policy: enablement(pim.KindAssignment, pim.EnabledJustification), kind: pim.KindAssignment,
			in: request(permanent)},
		{name: "MFA on active assignment", policy: enablement(pim.KindAssignment, "multifactorauthentication"), kind: pim.KindAssignment,
			in: request(permanent),
			want: []Violation{{RuleID: pim.RuleEnablementAdminAssignment, Setting: SettingMFA, Limit: pim.EnabledMFA, Asked: "none",
				Message: mfaText}}},
		{name: "MFA on eligibility", policy: enablement(pim.KindEligibility, pim.EnabledMFA), kind: pim.KindEligibility,
			in: request(permanent),
			want: []Violation{{RuleID: pim.RuleEnablementAdminEligibility, Setting: SettingMFA, Limit: pim.EnabledMFA, Asked: "none",
				Message: "group " + group + " requires multifactor authentication on eligibility, which an application can never satisfy: " +
					"relax the rule for this group or assign in the portal (rule Enablement_Admin_Eligibility)"}}},
		{name: "justification given", policy: enablement(pim.KindAssignment, pim.EnabledJustification), kind: pim.KindAssignment,
			in: request(permanent)},
		{name: "only the marker", policy: enablement(pim.KindAssignment, pim.EnabledJustification), kind: pim.KindAssignment,
			in: request(permanent, withJustification(pim.AppendMarker("  ", "team-a", "release", uid))),
			want: []Violation{{RuleID: pim.RuleEnablementAdminAssignment, Setting: SettingJustification, Limit: pim.EnabledJustification, Asked: "none", UserFixable: true,
				Message: "group " + group + " requires a justification on active assignment; this request has none (the operator's marker does not count): set spec.justification (rule Enablement_Admin_Assignment)"}}},
		{name: "ticket given", policy: enablement(pim.KindEligibility, pim.EnabledTicketing), kind: pim.KindEligibility,
			in: request(permanent)},
		{name: "no ticket", policy: enablement(pim.KindEligibility, pim.EnabledTicketing), kind: pim.KindEligibility,
			in: request(permanent, withTicket(nil)),
			want: []Violation{{RuleID: pim.RuleEnablementAdminEligibility, Setting: SettingTicketing, Limit: pim.EnabledTicketing, Asked: "none", UserFixable: true,
				Message: "group " + group + " requires ticket information on eligibility; this request has none: set spec.ticket (system and number) (rule Enablement_Admin_Eligibility)"}}},
		{name: "a ticket without a number", policy: enablement(pim.KindAssignment, pim.EnabledTicketing), kind: pim.KindAssignment,
			in: request(permanent, withTicket(&pim.Ticket{System: "Jira"})),
			want: []Violation{{RuleID: pim.RuleEnablementAdminAssignment, Setting: SettingTicketing, Limit: pim.EnabledTicketing, Asked: "none", UserFixable: true,
				Message: "group " + group + " requires ticket information on active assignment; this request has none: set spec.ticket (system and number) (rule Enablement_Admin_Assignment)"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(tc.policy, tc.kind, tc.in, now)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d violations %+v, want %+v", len(got), got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("violation %d\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// Several broken rules come in a fixed order, and Summary joins them.
func TestCheckOrderAndSummary(t *testing.T) {
	p := expiration(pim.KindAssignment, true, "PT8H", 8*time.Hour)
	p.Assignment.Enablement = &pim.EnablementRule{ID: pim.RuleEnablementAdminAssignment,
		Enabled: []string{pim.EnabledTicketing, pim.EnabledJustification, pim.EnabledMFA}}
	got := Check(p, pim.KindAssignment, request(permanent, withJustification(""), withTicket(nil)), now)
	var settings []Setting
	for _, v := range got {
		settings = append(settings, v.Setting)
	}
	want := []Setting{SettingExpirationRequired, SettingMFA, SettingJustification, SettingTicketing}
	if len(settings) != len(want) {
		t.Fatalf("settings %v, want %v", settings, want)
	}
	for i := range want {
		if settings[i] != want[i] {
			t.Fatalf("settings %v, want %v", settings, want)
		}
	}
	if s := Summary(got[1:2]); s != mfaText {
		t.Errorf("Summary of one: %q", s)
	}
	if s := Summary(got); s != got[0].Message+"; "+got[1].Message+"; "+got[2].Message+"; "+got[3].Message {
		t.Errorf("Summary: %q", s)
	}
}

// What constrains nothing: no policy, an unknown kind, rules whose target operations leave
// out adminAssign.
func TestCheckNothingToCheck(t *testing.T) {
	p := expiration(pim.KindAssignment, true, "PT1H", time.Hour)
	p.Assignment.Enablement = &pim.EnablementRule{ID: pim.RuleEnablementAdminAssignment, Enabled: []string{pim.EnabledMFA}}
	in := request(permanent)
	if v := Check(nil, pim.KindAssignment, in, now); v != nil {
		t.Errorf("nil policy: %v", v)
	}
	if v := Check(p, "guest", in, now); v != nil {
		t.Errorf("unknown kind: %v", v)
	}
	p.Assignment.Expiration.Operations = []string{"activate", "renew"}
	p.Assignment.Enablement.Operations = []string{"Remove"}
	if v := Check(p, pim.KindAssignment, in, now); v != nil {
		t.Errorf("rules for other operations: %v", v)
	}
	p.Assignment.Expiration.Operations = []string{"Assign"}
	if v := Check(p, pim.KindAssignment, in, now); len(v) != 1 || v[0].Setting != SettingExpirationRequired {
		t.Errorf("a rule for assign: %v", v)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", -time.Hour: "0s", 8 * time.Hour: "8h", 180 * day: "4320h", 90 * time.Minute: "1h30m",
		30 * time.Minute: "30m", 90 * time.Second: "1m30s", time.Hour + time.Second: "1h0m1s",
	} {
		if got := Human(d); got != want {
			t.Errorf("Human(%v) = %q, want %q", d, got, want)
		}
	}
}
