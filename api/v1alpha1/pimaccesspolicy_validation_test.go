package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
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
		{"no groups", with(func(s map[string]any) { delete(s, "groups") }), "spec.groups: Required value"},
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
		{"no maxDuration", with(func(s map[string]any) { delete(s, "maxDuration") }), "spec.maxDuration: Required value"},
		{"zero maxDuration", with(func(s map[string]any) { s["maxDuration"] = "0s" }), "maxDuration must be longer than zero, e.g. 8h"},
		{"negative maxDuration", with(func(s map[string]any) { s["maxDuration"] = "-1h" }), "maxDuration must be longer than zero"},
		{"unparsable maxDuration", with(func(s map[string]any) { s["maxDuration"] = "a day" }), "spec.maxDuration"},
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
	list := &accessv1alpha1.PIMAccessPolicyList{}
	if err := env.Client.List(ctx, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) == 0 {
		t.Fatal("listing policies returned none")
	}
}
