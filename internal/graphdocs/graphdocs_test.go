package graphdocs

import (
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	exs, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) < 33 {
		t.Fatalf("%d examples, want the 33 documented ones", len(exs))
	}
	lenient := 0
	for _, ex := range exs {
		if ex.Response.Lenient() {
			lenient++
		}
	}
	if lenient != 6 {
		t.Errorf("%d bodies in lenient form, want the 6 that are not valid JSON as published", lenient)
	}
	s, err := LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	props := s.PropertyNames("microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest")
	if len(props) != 16 {
		t.Errorf("assignment request properties %v", props)
	}
}

func TestPolicySchemaIsMerged(t *testing.T) {
	s, err := LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	const rule = "microsoft.graph.unifiedRoleManagementPolicyExpirationRule"
	if got := s.PropertyNames(rule); len(got) != 4 || got[0] != "id" || got[1] != "isExpirationRequired" {
		t.Errorf("%s properties %v", rule, got)
	}
	if !s.IsA(rule, "microsoft.graph.unifiedRoleManagementPolicyRule") || s.IsA("microsoft.graph.unifiedRoleManagementPolicy", "microsoft.graph.unifiedRoleManagementPolicyRule") {
		t.Error("IsA does not follow baseType")
	}
	if got := s.NavigationType("microsoft.graph.unifiedRoleManagementPolicyAssignment", "policy"); got != "microsoft.graph.unifiedRoleManagementPolicy" {
		t.Errorf("navigation policy: %q", got)
	}
	if got := s.EnumTypes["microsoft.graph.unifiedRoleManagementPolicyRuleTargetOperations"].Names(); len(got) != 9 || got[0] != "all" {
		t.Errorf("operations enum %v", got)
	}
	if _, ok := s.EntityTypes["microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest"]; !ok {
		t.Error("schema.json's types are missing after the merge")
	}
	n := 0
	for _, op := range s.Operations {
		if strings.HasPrefix(op.Path, "/policies/") {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d policy operations, want 4", n)
	}
}
