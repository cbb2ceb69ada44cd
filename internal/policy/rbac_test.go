package policy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Guard rails only hold while policies stay in administrators' hands: no role the project ships,
// other than the administrators' own, may write PIMAccessPolicies, and the roles for the people
// who write PIMAssignmentRequests may not even read them through a wildcard. The administrators'
// role must not aggregate into the built-in admin and edit roles, which namespace owners hold.
func TestShippedRolesKeepPoliciesWithAdministrators(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "rbac", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const adminRole = "pimaccesspolicy-admin-role"
	readOnly := []string{"get", "list", "watch"}
	found := map[string]bool{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		for _, role := range readRoles(t, f) {
			found[role.Name] = true
			for k := range role.Labels {
				if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to-") && grantsPolicies(role.Rules, nil) {
					t.Errorf("%s: role %s grants PIMAccessPolicies and aggregates (%s)", f, role.Name, k)
				}
			}
			if role.AggregationRule != nil && role.Name != adminRole {
				t.Errorf("%s: role %s aggregates other roles; it could pick up PIMAccessPolicy rights", f, role.Name)
			}
			switch {
			case role.Name == adminRole:
				if !grantsPolicies(role.Rules, []string{"create", "update", "patch", "delete"}) {
					t.Errorf("%s: %s does not let administrators write PIMAccessPolicies", f, role.Name)
				}
			case strings.HasPrefix(role.Name, "pimassignmentrequest-"):
				if grantsPolicies(role.Rules, nil) {
					t.Errorf("%s: %s, a role for request writers, grants PIMAccessPolicies", f, role.Name)
				}
			default:
				for _, r := range role.Rules {
					if grantsPolicies([]rbacv1.PolicyRule{r}, nil) {
						for _, v := range r.Verbs {
							if !slices.Contains(readOnly, v) {
								t.Errorf("%s: %s may %s PIMAccessPolicies; only %s may write them", f, role.Name, v, adminRole)
							}
						}
					}
				}
			}
		}
	}
	for _, want := range []string{adminRole, "pimaccesspolicy-viewer-role", "pimassignmentrequest-editor-role"} {
		if !found[want] {
			t.Errorf("role %s not found in config/rbac", want)
		}
	}
}

// grantsPolicies says whether rules grant any of verbs (any verb, when verbs is nil) on
// PIMAccessPolicies, wildcards included.
func grantsPolicies(rules []rbacv1.PolicyRule, verbs []string) bool {
	for _, r := range rules {
		if !slices.Contains(r.APIGroups, "access.pim-operator.dev") && !slices.Contains(r.APIGroups, "*") {
			continue
		}
		if !slices.Contains(r.Resources, "pimaccesspolicies") && !slices.Contains(r.Resources, "*") {
			continue
		}
		if verbs == nil || slices.Contains(r.Verbs, "*") {
			return true
		}
		for _, v := range verbs {
			if slices.Contains(r.Verbs, v) {
				return true
			}
		}
	}
	return false
}

// readRoles reads the Roles and ClusterRoles of a (multi-document) YAML file.
func readRoles(t *testing.T, path string) []rbacv1.ClusterRole {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var roles []rbacv1.ClusterRole
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var role rbacv1.ClusterRole
		if err := dec.Decode(&role); err != nil {
			if errors.Is(err, io.EOF) {
				return roles
			}
			t.Fatalf("%s: %v", path, err)
		}
		if role.Kind == "ClusterRole" || role.Kind == "Role" {
			roles = append(roles, role)
		}
	}
}
