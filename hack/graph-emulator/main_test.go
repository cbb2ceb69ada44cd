package main

import (
	"reflect"
	"testing"

	"github.com/pim-operator/pim-operator/internal/graphemu"
)

func TestParseEligibility(t *testing.T) {
	const p, g = "3cce9d87-3986-4f19-8335-7ed075408ca2", "2b5ed229-4072-478d-9504-a047ebd4b07d"
	for in, want := range map[string]graphemu.Eligibility{
		p + "/" + g:            {PrincipalID: p, GroupID: g, AccessID: graphemu.AccessMember},
		p + "/" + g + "/owner": {PrincipalID: p, GroupID: g, AccessID: graphemu.AccessOwner},
	} {
		got, err := parseEligibility(in)
		if err != nil || got != want {
			t.Errorf("parseEligibility(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", p, p + "/", p + "/" + g + "/guest", "alice/" + g, p + "/" + g + "/member/x"} {
		if _, err := parseEligibility(in); err == nil {
			t.Errorf("parseEligibility(%q) accepted", in)
		}
	}
}

func TestParseGroupPolicy(t *testing.T) {
	const g = "2b5ed229-4072-478d-9504-a047ebd4b07d"
	got, err := parseGroupPolicy(g + "/owner=" + `{"assignment":{"maximumDuration":"PT8H","enabledRules":["multifactorauthentication"]}}`)
	want := graphemu.DocumentedGroupPolicy()
	want.Assignment.MaximumDuration, want.Assignment.EnabledRules = "PT8H", []string{graphemu.EnabledMFA}
	if err != nil || got.groupID != g || got.accessID != graphemu.AccessOwner || !reflect.DeepEqual(got.policy, want) {
		t.Errorf("parseGroupPolicy = %+v, %v; want %+v", got, err, want)
	}
	if got, err := parseGroupPolicy(g); err != nil || got.accessID != "" || !reflect.DeepEqual(got.policy, graphemu.DocumentedGroupPolicy()) {
		t.Errorf("a bare group: %+v, %v", got, err)
	}
	for _, in := range []string{"", "group=" + "{}", g + "/guest", g + "={", g + `={"assignment":{"maximumDuration":"soon"}}`} {
		if _, err := parseGroupPolicy(in); err == nil {
			t.Errorf("parseGroupPolicy(%q) accepted", in)
		}
	}
}
