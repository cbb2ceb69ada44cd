package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// These tests run the PIMAccessPolicy CRD's validation in the kube-apiserver that TestMain
// (validation_test.go) started.

var policyGVK = accessv1alpha1.GroupVersion.WithKind("PIMAccessPolicy")

const ownerGroup = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"

func teamAPolicy() map[string]any {
	return map[string]any{
		"namespaces": []any{"team-a"},
		"groups": []any{
			map[string]any{"groupId": group, "accessIds": []any{"member"}},
		},
		"maxDuration":   "8h",
		"requireTicket": true,
	}
}

func platformPolicy() map[string]any {
	return map[string]any{
		"namespaceSelector": map[string]any{
			"matchLabels": map[string]any{"pim-operator.dev/team": "platform"},
			"matchExpressions": []any{
				map[string]any{"key": "environment", "operator": "In", "values": []any{"prod", "staging"}},
				map[string]any{"key": "quarantined", "operator": "DoesNotExist"},
			},
		},
		"groups": []any{
			map[string]any{"groupId": ownerGroup, "accessIds": []any{"owner", "member"}},
			map[string]any{"groupId": group, "accessIds": []any{"member"}},
		},
		"maxDuration":          "720h",
		"allowNoExpiration":    true,
		"requireJustification": true,
	}
}

// eligibilityPolicy grants team-a eligibility for on-call membership for 90 days, starting
// within a week, and nothing else.
func eligibilityPolicy() map[string]any {
	return map[string]any{
		"namespaces": []any{"team-a"},
		"eligibility": map[string]any{
			"groups":        []any{map[string]any{"groupId": group, "accessIds": []any{"member"}}},
			"maxDuration":   "2160h",
			"maxStartDelay": "168h",
		},
		"requireJustification": true,
	}
}

func policyObject(name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(policyGVK)
	u.SetName(name)
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

// with returns teamAPolicy changed by f.
func with(f func(s map[string]any)) func() map[string]any {
	return func() map[string]any { s := teamAPolicy(); f(s); return s }
}

func TestPolicyValidation(t *testing.T) {
	cases := []struct {
		name    string
		spec    func() map[string]any
		wantErr string // empty: admitted
	}{
		{"team-a: names, member, 8h, ticket", teamAPolicy, ""},
		{"platform: selector, owner, no expiration", platformPolicy, ""},
		{"names and selector together", with(func(s map[string]any) {
			s["namespaceSelector"] = map[string]any{"matchLabels": map[string]any{"team": "a"}}
		}), ""},
		{"uppercase GUID", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": strings.ToUpper(group), "accessIds": []any{"member"}}}
		}), ""},
		{"every namespace on purpose", with(func(s map[string]any) {
			delete(s, "namespaces")
			s["namespaceSelector"] = map[string]any{"matchExpressions": []any{
				map[string]any{"key": "kubernetes.io/metadata.name", "operator": "Exists"}}}
		}), ""},
		{"no spec", func() map[string]any { return nil }, "spec: Required value"},
		{"no namespace selection", with(func(s map[string]any) { delete(s, "namespaces") }),
			"select namespaces: set namespaces (a list of names), namespaceSelector (labels), or both"},
		{"empty namespaces list", with(func(s map[string]any) { s["namespaces"] = []any{} }),
			"spec.namespaces: Invalid value: 0: spec.namespaces in body should have at least 1 items"},
		{"empty namespaceSelector", with(func(s map[string]any) {
			delete(s, "namespaces")
			s["namespaceSelector"] = map[string]any{}
		}), "namespaceSelector is empty, which would select every namespace"},
		{"empty matchLabels", with(func(s map[string]any) {
			s["namespaceSelector"] = map[string]any{"matchLabels": map[string]any{}}
		}), "spec.namespaceSelector.matchLabels: Invalid value"},
		{"bad label key", with(func(s map[string]any) {
			s["namespaceSelector"] = map[string]any{"matchLabels": map[string]any{"team a": "x"}}
		}), "matchLabels keys must be label keys"},
		{"bad label value", with(func(s map[string]any) {
			s["namespaceSelector"] = map[string]any{"matchLabels": map[string]any{"team": "a b"}}
		}), "spec.namespaceSelector.matchLabels.team"},
		{"In without values", with(func(s map[string]any) {
			s["namespaceSelector"] = map[string]any{"matchExpressions": []any{map[string]any{"key": "team", "operator": "In"}}}
		}), "operator In and NotIn need at least one value: list them in values"},
		{"Exists with values", with(func(s map[string]any) {
			s["namespaceSelector"] = map[string]any{"matchExpressions": []any{
				map[string]any{"key": "team", "operator": "Exists", "values": []any{"a"}}}}
		}), "operator Exists and DoesNotExist take no values: remove values"},
		{"unknown operator", with(func(s map[string]any) {
			s["namespaceSelector"] = map[string]any{"matchExpressions": []any{
				map[string]any{"key": "team", "operator": "Matches", "values": []any{"a"}}}}
		}), `Unsupported value: "Matches"`},
		{"bad namespace name", with(func(s map[string]any) { s["namespaces"] = []any{"Team_A"} }), "spec.namespaces[0]"},
		{"duplicate namespace", with(func(s map[string]any) { s["namespaces"] = []any{"team-a", "team-a"} }),
			"spec.namespaces[1]: Duplicate value"},
		{"257 namespaces", with(func(s map[string]any) {
			ns := make([]any, 257)
			for i := range ns {
				ns[i] = fmt.Sprintf("ns-%d", i)
			}
			s["namespaces"] = ns
		}), "spec.namespaces: Too many: 257: must have at most 256 items"},
		{"bad GUID", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": "not-a-guid", "accessIds": []any{"member"}}}
		}), "spec.groups[0].groupId"},
		{"no groups, no eligibility", with(func(s map[string]any) { delete(s, "groups"); delete(s, "maxDuration") }),
			"spec: Invalid value: grant something: set groups and maxDuration (active assignments), eligibility (eligibility requests), or both"},
		{"empty groups", with(func(s map[string]any) { s["groups"] = []any{} }), "spec.groups: Invalid value"},
		{"duplicate group", with(func(s map[string]any) {
			s["groups"] = []any{
				map[string]any{"groupId": group, "accessIds": []any{"member"}},
				map[string]any{"groupId": group, "accessIds": []any{"owner"}},
			}
		}), "spec.groups[1]: Duplicate value"},
		{"unknown access type", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": group, "accessIds": []any{"admin"}}}
		}), `Unsupported value: "admin"`},
		{"no access types", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": group, "accessIds": []any{}}}
		}), "spec.groups[0].accessIds"},
		{"access types missing", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": group}}
		}), "spec.groups[0].accessIds: Required value"},
		{"no maxDuration", with(func(s map[string]any) { delete(s, "maxDuration") }),
			"spec: Invalid value: groups and maxDuration go together: set both to grant active assignments (maxDuration is the longest one may last), or neither"},
		{"zero maxDuration", with(func(s map[string]any) { s["maxDuration"] = "0s" }),
			`spec.maxDuration: Invalid value: "0s": maxDuration must be at least 5m, Graph's shortest access: write 5m or longer, such as 8h`},
		{"maxDuration under Graph's shortest", with(func(s map[string]any) { s["maxDuration"] = "4m" }),
			`spec.maxDuration: Invalid value: "4m": maxDuration must be at least 5m, Graph's shortest access: write 5m or longer, such as 8h`},
		{"maxDuration at Graph's shortest", with(func(s map[string]any) { s["maxDuration"] = "5m" }), ""},
		{"the largest maxDuration", with(func(s map[string]any) { s["maxDuration"] = "99999h9999999m999999999s" }), ""},
		{"negative maxDuration", with(func(s map[string]any) { s["maxDuration"] = "-1h" }), `spec.maxDuration: Invalid value: "-1h": not a duration: write whole hours`},
		{"unparsable maxDuration", with(func(s map[string]any) { s["maxDuration"] = "a day" }), `spec.maxDuration: Invalid value: "a day": not a duration: write whole hours`},
		{"maxDuration in days", with(func(s map[string]any) { s["maxDuration"] = "30d" }),
			`spec.maxDuration: Invalid value: "30d": not a duration: write whole hours, minutes and seconds in that order, such as 8h, 90m, 1h30m or 720h (no days or weeks: a day is 24h, a week 168h; at most 99999h)`},

		// Who gets the access.
		{"principals", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": group, "accessIds": []any{"owner"}, "principals": []any{principal, strings.ToUpper(request)}}}
		}), ""},
		{"a principal that is not a GUID", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": group, "accessIds": []any{"owner"}, "principals": []any{"alice@example.com"}}}
		}), `spec.groups[0].principals[0]: Invalid value: "alice@example.com": spec.groups[0].principals[0] in body should match`},
		{"a principal twice", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": group, "accessIds": []any{"owner"}, "principals": []any{principal, principal}}}
		}), "spec.groups[0].principals[1]: Duplicate value"},
		{"an empty principals list", with(func(s map[string]any) {
			s["groups"] = []any{map[string]any{"groupId": group, "accessIds": []any{"owner"}, "principals": []any{}}}
		}), "spec.groups[0].principals: Invalid value: 0: spec.groups[0].principals in body should have at least 1 items"},
		{"65 principals", with(func(s map[string]any) {
			ps := make([]any, 65)
			for i := range ps {
				ps[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			}
			s["groups"] = []any{map[string]any{"groupId": group, "accessIds": []any{"owner"}, "principals": ps}}
		}), "spec.groups[0].principals: Too many: 65: must have at most 64 items"},

		// Bound the start.
		{"maxStartDelay", with(func(s map[string]any) { s["maxStartDelay"] = "72h" }), ""},
		{"maxStartDelay zero: no future start", with(func(s map[string]any) { s["maxStartDelay"] = "0s" }), ""},
		{"maxStartDelay in days", with(func(s map[string]any) { s["maxStartDelay"] = "3d" }),
			`spec.maxStartDelay: Invalid value: "3d": not a duration: write whole hours`},

		// Eligibility needs an explicit grant of its own.
		{"eligibility only", func() map[string]any { return eligibilityPolicy() }, ""},
		{"eligibility and assignments", with(func(s map[string]any) { s["eligibility"] = eligibilityPolicy()["eligibility"] }), ""},
		{"eligibility without groups", func() map[string]any {
			s := eligibilityPolicy()
			delete(s["eligibility"].(map[string]any), "groups")
			return s
		}, "spec.eligibility.groups: Required value"},
		{"eligibility without maxDuration", func() map[string]any {
			s := eligibilityPolicy()
			delete(s["eligibility"].(map[string]any), "maxDuration")
			return s
		}, "spec.eligibility.maxDuration: Required value"},
		{"eligibility under Graph's shortest", func() map[string]any {
			s := eligibilityPolicy()
			s["eligibility"].(map[string]any)["maxDuration"] = "1m"
			return s
		}, `spec.eligibility.maxDuration: Invalid value: "1m": eligibility.maxDuration must be at least 5m, Graph's shortest access: write 5m or longer, such as 2160h (90 days)`},
		{"eligibility in days", func() map[string]any {
			s := eligibilityPolicy()
			s["eligibility"].(map[string]any)["maxDuration"] = "90d"
			return s
		}, `spec.eligibility.maxDuration: Invalid value: "90d": not a duration: write whole hours`},
		{"eligibility maxStartDelay in weeks", func() map[string]any {
			s := eligibilityPolicy()
			s["eligibility"].(map[string]any)["maxStartDelay"] = "1w"
			return s
		}, `spec.eligibility.maxStartDelay: Invalid value: "1w": not a duration: write whole hours`},
		{"eligibility for a group twice", func() map[string]any {
			s := eligibilityPolicy()
			s["eligibility"].(map[string]any)["groups"] = []any{
				map[string]any{"groupId": group, "accessIds": []any{"member"}},
				map[string]any{"groupId": group, "accessIds": []any{"owner"}},
			}
			return s
		}, "spec.eligibility.groups[1]: Duplicate value"},
		{"eligibility principals", func() map[string]any {
			s := eligibilityPolicy()
			s["eligibility"].(map[string]any)["groups"] = []any{
				map[string]any{"groupId": group, "accessIds": []any{"member"}, "principals": []any{"not-a-guid"}}}
			return s
		}, "spec.eligibility.groups[0].principals[0]"},
		{"maxDuration with eligibility alone", func() map[string]any {
			s := eligibilityPolicy()
			s["maxDuration"] = "8h"
			return s
		}, "spec: Invalid value: groups and maxDuration go together"},
		{"groups with eligibility, no maxDuration", with(func(s map[string]any) {
			delete(s, "maxDuration")
			s["eligibility"] = eligibilityPolicy()["eligibility"]
		}), "spec: Invalid value: groups and maxDuration go together"},
		{"maxStartDelay with eligibility alone", func() map[string]any {
			s := eligibilityPolicy()
			s["maxStartDelay"] = "24h"
			return s
		}, "spec: Invalid value: maxStartDelay bounds active assignments, which this policy does not grant (it has no groups): remove it, or set eligibility.maxStartDelay"},
		{"allowNoExpiration with eligibility alone", func() map[string]any {
			s := eligibilityPolicy()
			s["allowNoExpiration"] = true
			return s
		}, "spec: Invalid value: allowNoExpiration applies to active assignments, which this policy does not grant (it has no groups): remove it, or set eligibility.allowNoExpiration"},
		{"allowNoExpiration false with eligibility alone", func() map[string]any {
			s := eligibilityPolicy()
			s["allowNoExpiration"] = false
			return s
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := env.Client.Create(context.Background(), policyObject(uniqueName("policy"), tc.spec()))
			if err != nil {
				t.Log(err)
			}
			checkErr(t, err, tc.wantErr)
		})
	}
}

// A policy is cluster-scoped: it lives outside every namespace, so a namespace's owners
// cannot create one there.
func TestPolicyIsClusterScoped(t *testing.T) {
	mapping, err := env.Client.RESTMapper().RESTMapping(schema.GroupKind{Group: policyGVK.Group, Kind: policyGVK.Kind}, policyGVK.Version)
	if err != nil {
		t.Fatal(err)
	}
	if mapping.Scope.Name() != "root" {
		t.Fatalf("PIMAccessPolicy scope = %s, want cluster (root)", mapping.Scope.Name())
	}
}

// The Go types and the CRD's schema agree, and the booleans default to false.
func TestPolicyTypedRoundTrip(t *testing.T) {
	ctx := context.Background()
	want := &accessv1alpha1.PIMAccessPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: uniqueName("typed-policy")},
		Spec: accessv1alpha1.PIMAccessPolicySpec{
			Namespaces: []string{"team-a", "team-b"},
			NamespaceSelector: &accessv1alpha1.NamespaceSelector{
				MatchLabels: map[string]accessv1alpha1.LabelValue{"team": "a"},
				MatchExpressions: []accessv1alpha1.NamespaceSelectorRequirement{
					{Key: "env", Operator: accessv1alpha1.LabelSelectorOpNotIn, Values: []accessv1alpha1.LabelValue{"dev"}},
				},
			},
			Groups: []accessv1alpha1.AllowedGroup{
				{GroupID: group, AccessIDs: []accessv1alpha1.AccessID{accessv1alpha1.AccessMember, accessv1alpha1.AccessOwner}},
			},
			MaxDuration:   *accessv1alpha1.DurationOf(8 * time.Hour),
			RequireTicket: true,
		},
	}
	if err := env.Client.Create(ctx, want.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	got := &accessv1alpha1.PIMAccessPolicy{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
		t.Fatalf("spec changed in a round trip:\n got %+v\nwant %+v", got.Spec, want.Spec)
	}
	// Defaults are written out, so `kubectl get -o yaml` shows that noExpiration is refused.
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(policyGVK)
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(want), u); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"allowNoExpiration", "requireJustification"} {
		v, found, _ := unstructured.NestedBool(u.Object, "spec", f)
		if !found || v {
			t.Errorf("spec.%s = %v (found %v), want an explicit false", f, v, found)
		}
	}
	// Every new field survives too; and a typed policy that grants only eligibility leaves out
	// the top-level maxDuration rather than sending an empty one the API server would refuse.
	for _, spec := range []accessv1alpha1.PIMAccessPolicySpec{
		{
			Namespaces: []string{"platform-tools"},
			Groups: []accessv1alpha1.AllowedGroup{{GroupID: ownerGroup, AccessIDs: []accessv1alpha1.AccessID{accessv1alpha1.AccessOwner},
				Principals: []string{principal, request}}},
			MaxDuration:   *accessv1alpha1.DurationOf(8 * time.Hour),
			MaxStartDelay: accessv1alpha1.DurationOf(24 * time.Hour),
			Eligibility: &accessv1alpha1.EligibilityGrant{
				Groups:        []accessv1alpha1.AllowedGroup{{GroupID: group, AccessIDs: []accessv1alpha1.AccessID{accessv1alpha1.AccessMember}}},
				MaxDuration:   *accessv1alpha1.DurationOf(4320 * time.Hour),
				MaxStartDelay: accessv1alpha1.DurationOf(168 * time.Hour),
			},
			RequireTicket: true,
		},
		{
			Namespaces: []string{"team-a"},
			Eligibility: &accessv1alpha1.EligibilityGrant{
				Groups:            []accessv1alpha1.AllowedGroup{{GroupID: group, AccessIDs: []accessv1alpha1.AccessID{accessv1alpha1.AccessMember}, Principals: []string{principal}}},
				MaxDuration:       *accessv1alpha1.DurationOf(2160 * time.Hour),
				AllowNoExpiration: true,
			},
		},
	} {
		p := &accessv1alpha1.PIMAccessPolicy{ObjectMeta: metav1.ObjectMeta{Name: uniqueName("typed-policy")}, Spec: spec}
		if err := env.Client.Create(ctx, p.DeepCopy()); err != nil {
			t.Fatal(err)
		}
		got := &accessv1alpha1.PIMAccessPolicy{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil {
			t.Fatal(err)
		}
		if !equality.Semantic.DeepEqual(got.Spec, p.Spec) {
			t.Fatalf("spec changed in a round trip:\n got %+v\nwant %+v", got.Spec, p.Spec)
		}
	}
	u = &unstructured.Unstructured{}
	u.SetGroupVersionKind(policyGVK)
	eligibleOnly := policyObject(uniqueName("defaults"), eligibilityPolicy())
	if err := env.Client.Create(ctx, eligibleOnly); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(eligibleOnly), u); err != nil {
		t.Fatal(err)
	}
	if v, found, _ := unstructured.NestedBool(u.Object, "spec", "eligibility", "allowNoExpiration"); !found || v {
		t.Errorf("spec.eligibility.allowNoExpiration = %v (found %v), want an explicit false", v, found)
	}

	list := &accessv1alpha1.PIMAccessPolicyList{}
	if err := env.Client.List(ctx, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) == 0 {
		t.Fatal("listing policies returned none")
	}
}

// `kubectl get pimaccesspolicies` shows what docs/policy.md shows: both grants at a glance,
// the rest with -o wide.
func TestPolicyPrinterColumns(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", "access.pim-operator.dev_pimaccesspolicies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				AdditionalPrinterColumns []struct {
					Name, JSONPath string
					Priority       int
				} `json:"additionalPrinterColumns"`
			}
		}
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
		col := c.Name + "=" + c.JSONPath
		if c.Priority > 0 {
			col += " (wide)"
		}
		got = append(got, col)
	}
	want := []string{
		"Namespaces=.spec.namespaces",
		"Groups=.spec.groups[*].groupId",
		"Max Duration=.spec.maxDuration",
		"Eligible Groups=.spec.eligibility.groups[*].groupId (wide)",
		"Max Eligibility=.spec.eligibility.maxDuration",
		"No Expiration=.spec.allowNoExpiration (wide)",
		"Justification=.spec.requireJustification (wide)",
		"Ticket=.spec.requireTicket",
		"Age=.metadata.creationTimestamp",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("printer columns:\n got %q\nwant %q", got, want)
	}
}
