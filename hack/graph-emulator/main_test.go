package main

import (
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
