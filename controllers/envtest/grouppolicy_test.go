package envtest

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
)

// With --group-policy-check=enforce, a request the group's own PIM policy would refuse is not
// sent: it stalls with the rule, the limit and what it asks for. The emulator serves the same
// per-group policy it enforces on POST, so the two cannot disagree.

// checked puts an object under the manager that checks groups' PIM policies.
func checked(obj controllers.Object) {
	l := obj.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[managerLabel] = groupPolicyManager
	obj.SetLabels(l)
}

// policyReads are the emulator's reads of a group's policy assignments.
func policyReads(group string) int {
	return count(callsFor("", group), graphemu.OpListPolicyAssignments, "", 0)
}

func TestGroupPolicyCheckedBeforeSending(t *testing.T) {
	eightHours := graphemu.PolicyLevel{ExpirationRequired: true, MaximumDuration: "PT8H"}
	for _, c := range []struct {
		name   string
		kind   requestKind
		policy graphemu.GroupPolicy
		// good passes the policy, bad breaks it; message is what bad's Stalled message says.
		good, bad func(*v1.RequestSpec)
		message   string
	}{
		{"maximum duration of an active assignment", requestKinds[0], graphemu.GroupPolicy{Assignment: eightHours},
			func(s *v1.RequestSpec) { s.Schedule.Expiration.Duration = v1.DurationOf(8 * time.Hour) },
			func(s *v1.RequestSpec) { s.Schedule.Expiration.Duration = v1.DurationOf(12 * time.Hour) },
			"allows active assignments of at most 8h (PT8H); this asks for 12h (rule Expiration_Admin_Assignment)"},
		{"an end required", requestKinds[0], graphemu.GroupPolicy{Assignment: eightHours},
			nil,
			func(s *v1.RequestSpec) { s.Schedule.Expiration = v1.Expiration{Type: v1.ExpirationNone} },
			"noExpiration is not allowed"},
		{"maximum duration of an eligibility", requestKinds[1],
			graphemu.GroupPolicy{Eligibility: graphemu.PolicyLevel{ExpirationRequired: true, MaximumDuration: "P30D"}},
			func(s *v1.RequestSpec) { s.Schedule.Expiration.Duration = v1.DurationOf(720 * time.Hour) },
			func(s *v1.RequestSpec) { s.Schedule.Expiration.Duration = v1.DurationOf(2160 * time.Hour) },
			"(rule Expiration_Admin_Eligibility)"},
		{"justification required", requestKinds[0],
			graphemu.GroupPolicy{Assignment: graphemu.PolicyLevel{EnabledRules: []string{"Justification"}}},
			nil,
			func(s *v1.RequestSpec) { s.Justification = "" },
			"(rule Enablement_Admin_Assignment)"},
		{"ticket required", requestKinds[1],
			graphemu.GroupPolicy{Eligibility: graphemu.PolicyLevel{EnabledRules: []string{"Ticketing"}}},
			func(s *v1.RequestSpec) { s.Ticket = &v1.Ticket{System: "ServiceNow", Number: "CHG1"} },
			nil,
			"(rule Enablement_Admin_Eligibility)"},
		{"multifactor authentication, which an application can never satisfy", requestKinds[0],
			graphemu.GroupPolicy{Assignment: graphemu.PolicyLevel{EnabledRules: []string{"MultiFactorAuthentication"}}},
			nil, nil, "an application can never satisfy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns, p, g := newScenario(t)
			if err := emu.SetGroupPolicy(g, "member", c.policy); err != nil {
				t.Fatal(err)
			}
			if c.good != nil {
				good := c.kind.request(ns, "good", p, g, c.good)
				checked(good)
				createLive(t, good)
			}
			p2 := guid()
			bad := c.kind.request(ns, "bad", p2, g)
			if c.bad != nil {
				bad = c.kind.request(ns, "bad", p2, g, c.bad)
			}
			checked(bad)
			mustCreate(t, bad)
			got := waitCond(t, bad, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonGroupPolicyViolation, settle)
			wantMessage(t, got, v1.ConditionStalled, "group "+g, c.message, "was not sent")
			if n := count(callsFor(p2), graphemu.OpCreateRequest, "", 0); n != 0 {
				t.Errorf("%d POSTs for a request the group's policy refuses", n)
			}
			eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonGroupPolicyViolation, "was not sent") })
		})
	}
}

// One read of a group's policy serves many objects; a request Graph refuses for a policy reason
// makes the next create read the policy again.
func TestGroupPolicyCache(t *testing.T) {
	ns, _, g := newScenario(t)
	if err := emu.SetGroupPolicy(g, "member", graphemu.GroupPolicy{Assignment: graphemu.PolicyLevel{MaximumDuration: "PT8H"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		obj := assignment(ns, fmt.Sprintf("many-%d", i), guid(), g)
		checked(obj)
		createLive(t, obj)
	}
	if n := policyReads(g); n != 1 {
		t.Errorf("%d reads of the group's policy for five objects, want 1", n)
	}
	t.Cleanup(emu.ClearFaults)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: graphemu.ActionAdminAssign, Status: 400,
		Code: "RoleAssignmentRequestPolicyValidationFailed", Message: `The following policy rules failed: ["ExpirationRule"]`, Count: 1})
	refused := assignment(ns, "refused", guid(), g)
	checked(refused)
	mustCreate(t, refused)
	waitCond(t, refused, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonGraphRejected, settle)
	after := assignment(ns, "after-refusal", guid(), g)
	checked(after)
	createLive(t, after)
	if n := policyReads(g); n != 2 {
		t.Errorf("%d reads of the group's policy, want 2: one more after Graph refused a request for a policy reason", n)
	}
}
