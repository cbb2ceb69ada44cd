package policy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
	"github.com/pim-operator/pim-operator/internal/policy"
)

// The worked example of docs/policy.md: the sample policies, and what they decide for the
// requests the document shows. If this test changes, change the document.
func TestSamplePolicies(t *testing.T) {
	samples := filepath.Join("..", "..", "config", "samples")
	assignments := readPolicies(t, filepath.Join(samples, "access_v1alpha1_pimaccesspolicy.yaml"))
	eligibilities := readPolicies(t, filepath.Join(samples, "access_v1alpha1_pimaccesspolicy_eligibility.yaml"))
	if len(assignments) != 3 || len(eligibilities) != 2 {
		t.Fatalf("want the 3 + 2 sample policies, got %d + %d", len(assignments), len(eligibilities))
	}
	policies := append(assignments, eligibilities...)
	const (
		oncallGroup   = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
		platformGroup = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"
		alice         = "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7"
		carol         = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
	)
	teamA := policy.Namespace{Name: "team-a"}
	platformTools := policy.Namespace{Name: "platform-tools", Labels: map[string]string{"pim-operator.dev/team": "platform"}}
	platformOps := policy.Namespace{Name: "platform-ops", Labels: map[string]string{"pim-operator.dev/team": "platform"}}
	request := func(kind pim.Kind, group string, access accessv1alpha1.AccessID, d time.Duration, f ...func(*policy.Request)) policy.Request {
		r := policy.Request{Kind: kind, GroupID: group, PrincipalID: alice, AccessID: access,
			Expiration: accessv1alpha1.ExpirationAfterDuration, Duration: d,
			Justification: "on call", TicketSystem: "ServiceNow", TicketNumber: "CHG0012345"}
		for _, g := range f {
			g(&r)
		}
		return r
	}
	oncall := func(f ...func(*policy.Request)) policy.Request {
		return request(pim.KindAssignment, oncallGroup, member, 8*time.Hour, f...)
	}
	noTicket := func(r *policy.Request) { r.TicketSystem, r.TicketNumber = "", "" }
	forCarol := func(r *policy.Request) { r.PrincipalID = carol }
	cases := []struct {
		name string
		ns   policy.Namespace
		req  policy.Request
		want string
	}{
		// Active assignments.
		{"team-a: 8h of on-call with ticket", teamA, oncall(), `permitted by PIMAccessPolicy "team-a-oncall"`},
		{"team-a: 30 days of on-call", teamA, oncall(func(r *policy.Request) { r.Duration = 720 * time.Hour }),
			`duration 720h exceeds the longest allowed 8h (policy "team-a-oncall")`},
		{"team-a: no ticket", teamA, oncall(noTicket),
			`a ticket is required (ticket.system and ticket.number) (policy "team-a-oncall")`},
		{"team-a: a blank ticket", teamA, oncall(func(r *policy.Request) { r.TicketNumber = " " }),
			`a ticket is required (ticket.system and ticket.number) (policy "team-a-oncall")`},
		{"team-a: owner of on-call", teamA, oncall(func(r *policy.Request) { r.AccessID = owner }),
			`group 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f allows only member for namespace "team-a", not owner (policy "team-a-oncall")`},
		{"team-a: platform-admins", teamA, request(pim.KindAssignment, platformGroup, owner, 8*time.Hour),
			`no PIMAccessPolicy for namespace "team-a" allows group 3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b (policies selecting it: "team-a-eligible", "team-a-oncall")`},
		{"platform-ops: carol, member of platform-admins for 30 days", platformOps, request(pim.KindAssignment, platformGroup, member, 720*time.Hour, noTicket, forCarol),
			`permitted by PIMAccessPolicy "platform-members"`},
		{"platform-ops: owner of platform-admins", platformOps, request(pim.KindAssignment, platformGroup, owner, 8*time.Hour),
			`group 3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b allows only member for namespace "platform-ops", not owner (policy "platform-members")`},
		{"platform-tools: alice owns platform-admins for 8h", platformTools, request(pim.KindAssignment, platformGroup, owner, 8*time.Hour),
			`permitted by PIMAccessPolicy "platform-owners"`},
		{"platform-tools: carol owns platform-admins", platformTools, request(pim.KindAssignment, platformGroup, owner, 8*time.Hour, forCarol),
			`group 3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b allows owner for namespace "platform-tools" only to the principals policy "platform-owners" lists, not to ` + carol},
		{"platform-tools: alice owns it from next week", platformTools, request(pim.KindAssignment, platformGroup, owner, 8*time.Hour,
			func(r *policy.Request) { r.Start = now.Add(168 * time.Hour) }),
			`start delay 168h (now to startDateTime) exceeds the longest allowed 24h (policy "platform-owners")`},
		{"platform-tools: member for ever", platformTools, request(pim.KindAssignment, platformGroup, member, 0,
			func(r *policy.Request) { r.Expiration = accessv1alpha1.ExpirationNone }),
			`noExpiration is not allowed: set an expiration of at most 720h (policy "platform-members")`},
		{"team-b: anything", policy.Namespace{Name: "team-b"}, oncall(), `no PIMAccessPolicy selects namespace "team-b"`},

		// Eligibility.
		{"team-a: eligible for on-call for 90 days", teamA, request(pim.KindEligibility, oncallGroup, member, 2160*time.Hour),
			`permitted by PIMAccessPolicy "team-a-eligible"`},
		{"team-a: eligible for 180 days", teamA, request(pim.KindEligibility, oncallGroup, member, 4320*time.Hour),
			`duration 4320h exceeds the longest allowed 2160h (eligibility in policy "team-a-eligible")`},
		{"team-a: eligible from next month", teamA, request(pim.KindEligibility, oncallGroup, member, 2160*time.Hour,
			func(r *policy.Request) { r.Start = now.Add(720 * time.Hour) }),
			`start delay 720h (now to startDateTime) exceeds the longest allowed 168h (eligibility in policy "team-a-eligible")`},
		{"team-a: eligible without a ticket", teamA, request(pim.KindEligibility, oncallGroup, member, 2160*time.Hour, noTicket),
			`a ticket is required (ticket.system and ticket.number) (eligibility in policy "team-a-eligible")`},
		{"platform-ops: eligible for platform-admins for 180 days", platformOps,
			request(pim.KindEligibility, platformGroup, member, 4320*time.Hour, noTicket, forCarol),
			`permitted by PIMAccessPolicy "platform-eligible"`},
		{"platform-tools: eligible as owner", platformTools, request(pim.KindEligibility, platformGroup, owner, 720*time.Hour),
			`eligibility for group 3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b allows only member for namespace "platform-tools", not owner (policy "platform-eligible")`},
		{"team-b: eligible for anything", policy.Namespace{Name: "team-b"}, request(pim.KindEligibility, oncallGroup, member, time.Hour),
			`no PIMAccessPolicy selects namespace "team-b"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := policy.Evaluate(policies, tc.ns, tc.req, now).Message; got != tc.want {
				t.Fatalf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}

	// The assignment policies alone, as a cluster had them before eligibility existed, grant
	// no eligibility: not even for the groups they grant active assignments of.
	for _, ns := range []policy.Namespace{teamA, platformTools, platformOps} {
		for _, g := range []string{oncallGroup, platformGroup} {
			for _, a := range []accessv1alpha1.AccessID{member, owner} {
				r := request(pim.KindEligibility, g, a, time.Hour)
				if d := policy.Evaluate(assignments, ns, r, now); d.Permitted || d.Denial == policy.DeniedRules {
					t.Errorf("%s: eligibility for %s as %s under the assignment policies: %s", ns.Name, g, a, d.Message)
				}
			}
		}
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

// docs/policy.md shows the sample files as they are (comments aside), so the decisions above
// are the decisions of what the document shows.
func TestDocumentShowsTheSamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "policy.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	files := []string{"access_v1alpha1_pimaccesspolicy.yaml", "access_v1alpha1_pimaccesspolicy_eligibility.yaml"}
	if len(blocks) != len(files) {
		t.Fatalf("docs/policy.md has %d yaml blocks, want one per sample file (%d)", len(blocks), len(files))
	}
	comment := regexp.MustCompile(`\s*#.*$`)
	content := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if l = comment.ReplaceAllString(l, ""); strings.TrimSpace(l) != "" {
				out = append(out, l)
			}
		}
		return out
	}
	for i, f := range files {
		sample, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", f))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := content(blocks[i][1]), content(string(sample)); !slices.Equal(got, want) {
			t.Errorf("docs/policy.md's yaml block %d is not %s:\n got %q\nwant %q", i+1, f, got, want)
		}
	}
}
