package graphemu

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The emulator's tables, held to the metadata and the documentation.

// TestFilterOperatorsAreTheDocumented: each list accepts exactly the $filter operators its
// resource page documents per property, plus the eq on principalId and groupId its list page
// requires (the eligibility request page's table omits both, yet its examples use them).
func TestFilterOperatorsAreTheDocumented(t *testing.T) {
	schema := loadSchema(t)
	for _, res := range resources {
		t.Run(res.set, func(t *testing.T) {
			typ := schema.EntityTypes["microsoft.graph."+res.entity]
			if typ.Docs == nil {
				t.Fatalf("no documentation for %s", res.entity)
			}
			want := map[string][]string{}
			for p, ops := range typ.Docs.FilterOperators {
				want[p] = slices.Sorted(slices.Values(ops))
			}
			required := ""
			for _, op := range schema.Operations {
				if op.Method == http.MethodGet && strings.HasSuffix(op.Path, "/group/"+res.set) {
					required = requiredFilter(t, op.Source)
				}
			}
			if required != "eq on principalId or groupId" {
				t.Fatalf("the list page of %s requires %q", res.set, required)
			}
			for _, p := range []string{"principalId", "groupId"} {
				if !slices.Contains(want[p], "eq") {
					want[p] = slices.Sorted(slices.Values(append(want[p], "eq")))
				}
			}
			got := map[string][]string{}
			for p, ops := range res.filters {
				got[p] = slices.Sorted(slices.Values(ops))
			}
			if !maps.EqualFunc(got, want, slices.Equal[[]string]) {
				t.Errorf("filters %v, documented %v", got, want)
			}
		})
	}
}

// requiredFilter reads the documented list requirement (schema.json operations[].requiresFilter),
// which the loader's Operation type does not carry.
func requiredFilter(t *testing.T, source string) string {
	t.Helper()
	for _, op := range loadRawOperations(t) {
		if op.Source == source {
			return op.RequiresFilter
		}
	}
	return ""
}

// TestEveryDocumentedOperationIsRouted: every operation the documentation lists is served,
// or answered 501 as not modelled (filterByCurrentUser).
func TestEveryDocumentedOperationIsRouted(t *testing.T) {
	for _, op := range loadSchema(t).Operations {
		path := strings.NewReplacer("{id}", groupA, "{on}", "principal").Replace(op.Path)
		rt := routeGraph(op.Method, "/v1.0"+path, nil)
		if rt.err != nil && rt.err.status != http.StatusNotImplemented {
			t.Errorf("%s %s: %v", op.Method, op.Path, rt.err)
		}
	}
}

// TestEnumsAreTheCSDLs: the emulator reads every member of the metadata's enums and writes
// the metadata's spelling.
func TestEnumsAreTheCSDLs(t *testing.T) {
	schema := loadSchema(t)
	for enum, names := range map[string]map[string]string{
		"microsoft.graph.scheduleRequestActions":             actionNames,
		"microsoft.graph.privilegedAccessGroupRelationships": canonicalNames(append(slices.Collect(maps.Values(accessNames)), "unknownFutureValue")...),
		"microsoft.graph.expirationPatternType":              expirationNames,
	} {
		got := slices.Sorted(maps.Values(names))
		want := slices.Sorted(slices.Values(schema.EnumTypes[enum].Names()))
		if !slices.Equal(got, want) {
			t.Errorf("%s: the emulator reads %v, the CSDL has %v", enum, got, want)
		}
	}
	for enum, v := range map[string]string{
		"microsoft.graph.privilegedAccessGroupMemberType":     MemberTypeDirect,
		"microsoft.graph.privilegedAccessGroupAssignmentType": AssignmentTypeAssigned,
	} {
		if !slices.Contains(schema.EnumTypes[enum].Names(), v) {
			t.Errorf("%s: %q is not a member", enum, v)
		}
	}
	if !slices.Contains(schema.EnumTypes["microsoft.graph.privilegedAccessGroupAssignmentType"].Names(), AssignmentTypeActivated) {
		t.Errorf("%q is not an assignmentType", AssignmentTypeActivated)
	}
}

// TestStatusesAreTheDocumented: the emulator's status strings are the documented ones.
func TestStatusesAreTheDocumented(t *testing.T) {
	got := []string{StatusCanceled, StatusDenied, StatusFailed, StatusGranted, StatusPendingAdminDecision,
		StatusPendingApproval, StatusPendingProvisioning, StatusPendingScheduleCreation, StatusProvisioned,
		StatusRevoked, StatusScheduleCreated}
	sort.Strings(got)
	want := loadSchema(t).EntityTypes["microsoft.graph.request"].Docs.ListedValues["status"]
	if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("statuses %v, documented %v", got, want)
	}
}

// rawOperation is what schema.json says of an operation beyond graphdocs.Operation.
type rawOperation struct {
	Source         string `json:"source"`
	RequiresFilter string `json:"requiresFilter"`
}

func loadRawOperations(t *testing.T) []rawOperation {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "graphdocs", "data", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Operations []rawOperation `json:"operations"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s.Operations
}
