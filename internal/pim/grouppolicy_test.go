package pim

import (
	"context"
	"testing"
)

func TestUserJustification(t *testing.T) {
	const uid = "9d4b4f2e-1c2a-4e0b-8f3d-5a6b7c8d9e0f"
	for in, want := range map[string]string{
		AppendMarker("release 42", "ns", "name", uid): "release 42",
		AppendMarker("", "ns", "name", uid):           "",
		AppendMarker("  \t", "ns", "name", uid):       "",
		"  portal text  ":                             "portal text",
		"text [pim-operator.dev unfinished":           "text [pim-operator.dev unfinished",
	} {
		if got := UserJustification(in); got != want {
			t.Errorf("UserJustification(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPolicyHelpers(t *testing.T) {
	for _, tc := range []struct {
		ops  []string
		want bool
	}{{nil, true}, {[]string{"All"}, true}, {[]string{"activate", "ASSIGN"}, true}, {[]string{"activate", "remove"}, false}} {
		if got := OperationsApplyToAssign(tc.ops); got != tc.want {
			t.Errorf("OperationsApplyToAssign(%v) = %v", tc.ops, got)
		}
	}
	p := &GroupPolicy{Assignment: LevelRules{Enablement: &EnablementRule{Enabled: []string{"justification"}}},
		Eligibility: LevelRules{Expiration: &ExpirationRule{ID: RuleExpirationAdminEligibility}}}
	if !p.For(KindAssignment).Enablement.Requires(EnabledJustification) || p.For(KindAssignment).Enablement.Requires(EnabledMFA) {
		t.Error("Requires")
	}
	if p.For(KindEligibility).Expiration == nil || p.For("guest").Expiration != nil || (*GroupPolicy)(nil).For(KindAssignment).Expiration != nil {
		t.Error("For")
	}
	if (*EnablementRule)(nil).Requires(EnabledMFA) {
		t.Error("a nil rule requires nothing")
	}
	var r PolicyReader = PolicyReaderFunc(func(_ context.Context, g string, a AccessID) (*GroupPolicy, error) {
		return &GroupPolicy{GroupID: g, AccessID: a}, nil
	})
	if got, _ := r.GroupPolicy(context.Background(), "g", AccessOwner); got.GroupID != "g" || got.AccessID != AccessOwner {
		t.Errorf("PolicyReaderFunc: %+v", got)
	}
}
