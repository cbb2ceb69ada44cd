package grouppolicy_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/grouppolicy"
	"github.com/pim-operator/pim-operator/internal/pim"
)

var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	groupStrict = "2b5ed229-4072-478d-9504-a047ebd4b07d"
	groupMFA    = "68e55cce-cf7e-4a2d-9046-3e4e75c4bfa7"
	uid         = "9d4b4f2e-1c2a-4e0b-8f3d-5a6b7c8d9e0f"
)

// graphRule is the name Graph's RoleAssignmentRequestPolicyValidationFailed gives the rule a
// violation breaks.
func graphRule(s grouppolicy.Setting) string {
	switch s {
	case grouppolicy.SettingExpirationRequired, grouppolicy.SettingMaximumDuration:
		return graphemu.FailedExpirationRule
	case grouppolicy.SettingJustification:
		return graphemu.FailedJustificationRule
	case grouppolicy.SettingMFA:
		return graphemu.FailedMfaRule
	}
	return graphemu.FailedTicketingRule
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The checker, reading the emulator's policy through the real client, refuses exactly what the
// emulator refuses, rule for rule — the emulator enforcing the policy it serves.
func TestCheckAgreesWithTheEmulator(t *testing.T) {
	env := graphtest.New(t, graphemu.Options{Now: func() time.Time { return t0 }})
	strict := graphemu.GroupPolicy{
		Assignment:  graphemu.PolicyLevel{ExpirationRequired: true, MaximumDuration: "PT8H", EnabledRules: []string{graphemu.EnabledJustification}},
		Eligibility: graphemu.PolicyLevel{ExpirationRequired: true, MaximumDuration: "P365D", EnabledRules: []string{graphemu.EnabledTicketing}},
	}
	if err := env.Emulator.SetGroupPolicy(groupStrict, "", strict); err != nil {
		t.Fatal(err)
	}
	mfa := graphemu.UnrestrictedGroupPolicy()
	mfa.Assignment.MaximumDuration, mfa.Assignment.EnabledRules = "P1M", []string{graphemu.EnabledMFA}
	if err := env.Emulator.SetGroupPolicy(groupMFA, graphemu.AccessMember, mfa); err != nil {
		t.Fatal(err)
	}
	cache := grouppolicy.New(env.Client, grouppolicy.Options{})

	hours := func(h int) pim.Expiration {
		return pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: time.Duration(h) * time.Hour}
	}
	at := func(d time.Duration) pim.Expiration {
		end := t0.Add(d)
		return pim.Expiration{Type: pim.ExpirationAfterDateTime, EndDateTime: &end}
	}
	for _, tc := range []struct {
		name      string
		kind      pim.Kind
		group     string
		access    pim.AccessID
		exp       pim.Expiration
		justified bool
		ticket    bool
	}{
		{"within everything", pim.KindAssignment, groupStrict, pim.AccessMember, hours(8), true, true},
		{"over the maximum", pim.KindAssignment, groupStrict, pim.AccessOwner, hours(9), true, true},
		{"end date over the maximum", pim.KindAssignment, groupStrict, pim.AccessMember, at(8*time.Hour + time.Minute), true, true},
		{"permanent", pim.KindAssignment, groupStrict, pim.AccessMember, pim.Expiration{Type: pim.ExpirationNone}, true, true},
		{"no justification, too long", pim.KindAssignment, groupStrict, pim.AccessMember, hours(12), false, true},
		{"eligibility of a year", pim.KindEligibility, groupStrict, pim.AccessMember, hours(8760), false, true},
		{"eligibility over a year", pim.KindEligibility, groupStrict, pim.AccessOwner, hours(8761), true, true},
		{"eligibility without a ticket", pim.KindEligibility, groupStrict, pim.AccessMember, hours(24), true, false},
		{"MFA", pim.KindAssignment, groupMFA, pim.AccessMember, hours(1), true, true},
		{"MFA over P1M", pim.KindAssignment, groupMFA, pim.AccessMember, hours(721), true, true},
		{"MFA at exactly P1M", pim.KindAssignment, groupMFA, pim.AccessMember, hours(720), true, true},
		{"the eligibility level is unrestricted", pim.KindEligibility, groupMFA, pim.AccessMember, hours(100000), false, false},
		{"the owner's policy is unrestricted", pim.KindAssignment, groupMFA, pim.AccessOwner, pim.Expiration{Type: pim.ExpirationNone}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := pim.CreateInput{
				Triple:   pim.Triple{PrincipalID: uuid.NewString(), GroupID: tc.group, AccessID: tc.access},
				Schedule: pim.ScheduleInfo{Expiration: tc.exp},
			}
			if tc.justified {
				// Unjustified requests carry no marker either: Graph takes the marker as a
				// justification, the check does not (TestTheMarkerIsNoJustification).
				in.Justification = pim.AppendMarker("release 42", "team-a", "obj", uid)
			}
			if tc.ticket {
				in.Ticket = &pim.Ticket{System: "Jira", Number: "OPS-7"}
			}
			o := cache.Check(ctxT(t), tc.kind, in, t0)
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			var predicted []string
			for _, v := range o.Violations {
				if r := graphRule(v.Setting); !slices.Contains(predicted, r) {
					predicted = append(predicted, r)
				}
			}
			_, err := env.Client.For(tc.kind).Assign(ctxT(t), in)
			var refused []string
			if e := pim.AsError(err); e != nil {
				if e.Code != pim.CodePolicyValidationFailed || e.Class != pim.ClassUserFixable {
					t.Fatalf("refused otherwise: %v", err)
				}
				_ = json.Unmarshal([]byte(strings.TrimPrefix(e.Message, "The following policy rules failed: ")), &refused)
			}
			if !slices.Equal(predicted, refused) {
				t.Errorf("the check predicts %v (%s), the emulator refused %v", predicted, grouppolicy.Summary(o.Violations), refused)
			}
		})
	}
	if n := env.Emulator.CountKindCalls(graphemu.KindPolicy, "", ""); n != 4 {
		t.Errorf("%d policy reads for 13 requests in 2 groups and 2 accesses, want 4", n)
	}
}

// Where the check is stricter than Graph, on purpose: a group that requires a justification
// is not satisfied by the operator's marker, which Graph takes as one.
func TestTheMarkerIsNoJustification(t *testing.T) {
	env := graphtest.New(t, graphemu.Options{Now: func() time.Time { return t0 }})
	if err := env.Emulator.SetGroupPolicy(groupStrict, "", graphemu.DocumentedGroupPolicy()); err != nil {
		t.Fatal(err)
	}
	in := pim.CreateInput{
		Triple:        pim.Triple{PrincipalID: uuid.NewString(), GroupID: groupStrict, AccessID: pim.AccessMember},
		Justification: pim.AppendMarker("", "team-a", "obj", uid),
		Schedule:      pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: time.Hour}},
	}
	o := grouppolicy.New(env.Client, grouppolicy.Options{}).Check(ctxT(t), pim.KindAssignment, in, t0)
	if len(o.Violations) != 1 || o.Violations[0].Setting != grouppolicy.SettingJustification {
		t.Fatalf("violations %v", o.Violations)
	}
	if _, err := env.Client.For(pim.KindAssignment).Assign(ctxT(t), in); err != nil {
		t.Fatalf("Graph takes the marker: %v", err)
	}
}

// Without the permission the check falls back: Forbidden once, and the request is sent.
func TestForbiddenFallsBackToSending(t *testing.T) {
	env := graphtest.New(t, graphemu.Options{Now: func() time.Time { return t0 }})
	env.Emulator.AddFault(graphemu.Fault{Kind: graphemu.KindPolicy, Status: 403, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation."})
	cache := grouppolicy.New(env.Client, grouppolicy.Options{})
	for i := range 3 {
		in := pim.CreateInput{
			Triple:   pim.Triple{PrincipalID: uuid.NewString(), GroupID: groupStrict, AccessID: pim.AccessMember},
			Schedule: pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationNone}},
		}
		o := cache.Check(ctxT(t), pim.KindAssignment, in, t0)
		if !o.Forbidden || o.FirstForbidden != (i == 0) || !strings.Contains(o.Err.Error(), pim.PermissionPolicyRead) {
			t.Fatalf("request %d: %+v", i, o)
		}
		if _, err := env.Client.For(pim.KindAssignment).Assign(ctxT(t), in); err != nil {
			t.Fatalf("sent unchecked: %v", err)
		}
	}
	if n := env.Emulator.CountKindCalls(graphemu.KindPolicy, graphemu.OpListPolicyAssignments, ""); n != 1 {
		t.Errorf("%d policy reads, want 1", n)
	}
}

// A policy changed in the portal: Graph refuses with a policy reason, Invalidate, and the
// next check reads the new policy and says why.
func TestInvalidateAfterAPolicyRefusal(t *testing.T) {
	env := graphtest.New(t, graphemu.Options{Now: func() time.Time { return t0 }})
	cache := grouppolicy.New(env.Client, grouppolicy.Options{TTL: time.Hour})
	in := pim.CreateInput{
		Triple:        pim.Triple{PrincipalID: uuid.NewString(), GroupID: groupStrict, AccessID: pim.AccessMember},
		Justification: pim.AppendMarker("release 42", "team-a", "obj", uid),
		Schedule:      pim.ScheduleInfo{Expiration: pim.Expiration{Type: pim.ExpirationAfterDuration, Duration: 12 * time.Hour}},
	}
	if o := cache.Check(ctxT(t), pim.KindAssignment, in, t0); len(o.Violations) != 0 {
		t.Fatalf("unrestricted: %v", o.Violations)
	}
	p := graphemu.DocumentedGroupPolicy()
	p.Assignment.MaximumDuration = "PT8H"
	if err := env.Emulator.SetGroupPolicy(groupStrict, "", p); err != nil {
		t.Fatal(err)
	}
	_, err := env.Client.For(pim.KindAssignment).Assign(ctxT(t), in)
	if e := pim.AsError(err); e == nil || e.Code != pim.CodePolicyValidationFailed {
		t.Fatalf("want a policy refusal, got %v", err)
	}
	if o := cache.Check(ctxT(t), pim.KindAssignment, in, t0); len(o.Violations) != 0 {
		t.Fatal("the remembered policy is the old one until invalidated")
	}
	cache.Invalidate(in.GroupID, in.AccessID)
	o := cache.Check(ctxT(t), pim.KindAssignment, in, t0)
	if len(o.Violations) != 1 || o.Violations[0].Message != "group "+groupStrict+
		" allows active assignments of at most 8h (PT8H); this asks for 12h (rule Expiration_Admin_Assignment)" {
		t.Fatalf("after Invalidate: %v", o.Violations)
	}
}
