package policy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/policy"
)

// The worked example of docs/policy.md: the sample policies, and what they decide for the
// requests the document shows. If this test changes, change the document.
func TestSamplePolicies(t *testing.T) {
	policies := readPolicies(t, filepath.Join("..", "..", "config", "samples", "access_v1alpha1_pimaccesspolicy.yaml"))
	if len(policies) != 2 {
		t.Fatalf("want the 2 sample policies, got %d", len(policies))
	}
	const (
		oncallGroup   = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
		platformGroup = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
	)
	teamA := policy.Namespace{Name: "team-a"}
	platformTools := policy.Namespace{Name: "platform-tools", Labels: map[string]string{"pim-operator.dev/team": "platform"}}
	oncall := func(f ...func(*policy.Request)) policy.Request {
		r := policy.Request{GroupID: oncallGroup, AccessID: member,
			Expiration: accessv1alpha1.ExpirationAfterDuration, Duration: 8 * time.Hour,
			HasJustification: true, HasTicket: true}
		for _, g := range f {
			g(&r)
		}
		return r
	}
	owners := func(f ...func(*policy.Request)) policy.Request {
		r := policy.Request{GroupID: platformGroup, AccessID: owner,
			Expiration: accessv1alpha1.ExpirationAfterDuration, Duration: 720 * time.Hour, HasJustification: true}
		for _, g := range f {
			g(&r)
		}
		return r
	}
	cases := []struct {
		name string
		ns   policy.Namespace
		req  policy.Request
		want string
	}{
		{"team-a: 8h of on-call with ticket", teamA, oncall(), `permitted by PIMAccessPolicy "team-a-oncall"`},
		{"team-a: 30 days of on-call", teamA, oncall(func(r *policy.Request) { r.Duration = 720 * time.Hour }),
			`duration 720h exceeds the longest allowed 8h (policy "team-a-oncall")`},
		{"team-a: no ticket", teamA, oncall(func(r *policy.Request) { r.HasTicket = false }),
			`a ticket is required (ticket.system and ticket.number) (policy "team-a-oncall")`},
		{"team-a: owner of on-call", teamA, oncall(func(r *policy.Request) { r.AccessID = owner }),
			`group 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f allows only member for namespace "team-a", not owner (policy "team-a-oncall")`},
		{"team-a: platform-admins", teamA, owners(),
			`no PIMAccessPolicy for namespace "team-a" allows group 3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b (policies selecting it: "team-a-oncall")`},
		{"platform: own platform-admins for 30 days", platformTools, owners(), `permitted by PIMAccessPolicy "platform-owners"`},
		{"platform: own platform-admins for ever", platformTools,
			owners(func(r *policy.Request) { r.Expiration, r.Duration = accessv1alpha1.ExpirationNone, 0 }),
			`noExpiration is not allowed: set an expiration of at most 720h (policy "platform-owners")`},
		{"team-b: anything", policy.Namespace{Name: "team-b"}, oncall(), `no PIMAccessPolicy selects namespace "team-b"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := policy.Evaluate(policies, tc.ns, tc.req, now).Message; got != tc.want {
				t.Fatalf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func readPolicies(t *testing.T, path string) []accessv1alpha1.PIMAccessPolicy {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []accessv1alpha1.PIMAccessPolicy
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var p accessv1alpha1.PIMAccessPolicy
		if err := dec.Decode(&p); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("%s: %v", path, err)
		}
		if p.Kind == "PIMAccessPolicy" {
			out = append(out, p)
		}
	}
}
