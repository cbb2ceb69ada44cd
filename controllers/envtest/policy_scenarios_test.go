package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The guard-rail scenarios run on the manager with --policy-mode=enforce (the default): their
// objects carry managerLabel=enforce (see runSuite). Policies are cluster-scoped: each test
// makes its own, for its own namespaces and random groups, and deletes them at the end.

// enforced puts an object under the enforcing manager.
func enforced(obj *v1.PIMAssignmentRequest) {
	if obj.Labels == nil {
		obj.Labels = map[string]string{}
	}
	obj.Labels[managerLabel] = enforceManager
}

// newPolicy creates a policy allowing member of the groups for up to 8h to the namespaces.
func newPolicy(t *testing.T, name string, namespaces []string, groups []string, mutate ...func(*v1.PIMAccessPolicySpec)) *v1.PIMAccessPolicy {
	t.Helper()
	p := &v1.PIMAccessPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.PIMAccessPolicySpec{
		Namespaces: namespaces, MaxDuration: *v1.DurationOf(8 * time.Hour),
	}}
	for _, g := range groups {
		p.Spec.Groups = append(p.Spec.Groups, v1.AllowedGroup{GroupID: g, AccessIDs: []v1.AccessID{v1.AccessMember}})
	}
	for _, m := range mutate {
		m(&p.Spec)
	}
	if err := k8s.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deletePolicy(t, p) })
	return p
}

func deletePolicy(t *testing.T, p *v1.PIMAccessPolicy) {
	t.Helper()
	if err := k8s.Delete(context.Background(), p); err != nil && !apierrors.IsNotFound(err) {
		t.Error(err)
	}
}

// decisions reads pim_operator_policy_decisions_total{outcome}, summed over the kinds, from
// controller-runtime's registry.
func decisions(t *testing.T, outcome string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum, found := 0.0, false
	for _, f := range families {
		if f.GetName() != "pim_operator_policy_decisions_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					sum, found = sum+m.GetCounter().GetValue(), true
				}
			}
		}
	}
	if !found {
		t.Fatalf("pim_operator_policy_decisions_total{outcome=%q} is not registered", outcome)
	}
	return sum
}

func condOf(obj controllers.Object, typ string) *metav1.Condition {
	return meta.FindStatusCondition(obj.GetRequestStatus().Conditions, typ)
}

func wantMessage(t *testing.T, obj controllers.Object, typ string, parts ...string) {
	t.Helper()
	c := condOf(obj, typ)
	if c == nil {
		t.Errorf("%s: no %s condition", obj.GetName(), typ)
		return
	}
	for _, s := range parts {
		if !strings.Contains(c.Message, s) {
			t.Errorf("%s: %s message %q lacks %q", obj.GetName(), typ, c.Message, s)
		}
	}
}

// noGraphCalls holds while the window lasts: no Graph call concerns any of the principals or
// groups.
func noGraphCalls(t *testing.T, window time.Duration, ids ...string) {
	t.Helper()
	consistently(t, window, func() error {
		if calls := callsFor("", ids...); len(calls) != 0 {
			return fmt.Errorf("%d Graph calls for a denied object, e.g. %s %s", len(calls), calls[0].Method, calls[0].Path)
		}
		return nil
	})
}

// No policy → Stalled/NotPermitted, no Graph call at all. A policy created afterwards → the same
// object, untouched by the test, proceeds to Provisioned: the policy watch brings it back.
func TestPolicyAddedLater(t *testing.T) {
	ns, p, g := newScenario(t)
	before := decisions(t, controllers.OutcomeDeniedNamespace)
	obj := assignment(ns, "wait-for-policy", p, g, enforced)
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	wantMessage(t, got, v1.ConditionStalled, fmt.Sprintf("no PIMAccessPolicy selects namespace %q", ns), "nothing was sent to Graph")
	testenv.CheckConditions(t, got.Status.Conditions, "Ready=False/NotPermitted,Permitted=False/NotPermitted,Submitted=False/NotPermitted")
	wantKstatus(t, got, kstatus.FailedStatus)
	eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonNotPermitted, "no PIMAccessPolicy selects") })
	if d := decisions(t, controllers.OutcomeDeniedNamespace) - before; d < 1 {
		t.Errorf("denied_namespace grew by %v", d)
	}
	noGraphCalls(t, time.Second, p, g)
	if _, ok := got.Annotations[v1.AnnotationCreatePending]; ok {
		t.Error("a denied object must not even record a create intent")
	}

	pol := newPolicy(t, "later-"+ns, []string{ns}, []string{g})
	got = waitCond(t, obj, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	testenv.CheckConditions(t, got.Status.Conditions, "Permitted=True/Permitted,Ready=True/Provisioned,Submitted=True/Created")
	wantMessage(t, got, v1.ConditionPermitted, fmt.Sprintf("permitted by PIMAccessPolicy %q", pol.Name))
	if c := condOf(got, v1.ConditionStalled); c != nil {
		t.Errorf("Stalled left behind: %+v", c)
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
	if n := count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0); n != 1 {
		t.Errorf("adminAssign POSTs: %d, want 1", n)
	}
}

// Each rule denies on its own, and the message names what is missing; a compliant object next
// to them is submitted (the policy itself works). None of the denied objects costs a Graph call.
func TestPolicyEachRuleDenies(t *testing.T) {
	ns, other := newNS(t), newNS(t)
	g, g2 := guid(), guid()
	pol := newPolicy(t, "rules-"+ns, []string{ns}, []string{g}, func(s *v1.PIMAccessPolicySpec) {
		s.RequireJustification, s.RequireTicket = true, true
	})
	ticket := func(o *v1.PIMAssignmentRequest) {
		o.Spec.Ticket = &v1.Ticket{System: "ServiceNow", Number: "CHG0012345"}
	}
	inPolicy := fmt.Sprintf("(policy %q)", pol.Name)
	cases := []struct {
		name, ns, group string
		mutate          []func(*v1.PIMAssignmentRequest)
		outcome         string
		want            []string
	}{
		{"wrong-namespace", other, g, nil, controllers.OutcomeDeniedNamespace, []string{fmt.Sprintf("no PIMAccessPolicy selects namespace %q", other)}},
		{"wrong-group", ns, g2, nil, controllers.OutcomeDeniedGroup, []string{"allows group " + g2, fmt.Sprintf("namespace %q", ns)}},
		{"owner", ns, g, []func(*v1.PIMAssignmentRequest){func(o *v1.PIMAssignmentRequest) { o.Spec.AccessID = v1.AccessOwner }},
			controllers.OutcomeDeniedAccess, []string{"allows only member", "not owner", pol.Name}},
		{"too-long", ns, g, []func(*v1.PIMAssignmentRequest){func(o *v1.PIMAssignmentRequest) {
			o.Spec.Schedule.Expiration.Duration = v1.DurationOf(720 * time.Hour)
		}}, controllers.OutcomeDeniedRules, []string{"duration 720h exceeds the longest allowed 8h", inPolicy}},
		{"no-expiration", ns, g, []func(*v1.PIMAssignmentRequest){func(o *v1.PIMAssignmentRequest) {
			o.Spec.Schedule.Expiration = v1.Expiration{Type: v1.ExpirationNone}
		}}, controllers.OutcomeDeniedRules, []string{"noExpiration is not allowed", inPolicy}},
		{"no-justification", ns, g, []func(*v1.PIMAssignmentRequest){func(o *v1.PIMAssignmentRequest) { o.Spec.Justification = "" }},
			controllers.OutcomeDeniedRules, []string{"a justification is required", inPolicy}},
		{"no-ticket", ns, g, nil, controllers.OutcomeDeniedRules, []string{"a ticket is required", inPolicy}},
	}
	before := map[string]float64{}
	want := map[string]float64{}
	for _, c := range cases {
		before[c.outcome] = decisions(t, c.outcome)
		want[c.outcome]++
	}
	var ids []string
	var objs []*v1.PIMAssignmentRequest
	for _, c := range cases {
		p := guid()
		ids = append(ids, p)
		mutate := append([]func(*v1.PIMAssignmentRequest){enforced}, c.mutate...)
		if c.name != "no-ticket" {
			mutate = append([]func(*v1.PIMAssignmentRequest){ticket}, mutate...)
		}
		obj := assignment(c.ns, c.name, p, c.group, mutate...)
		mustCreate(t, obj)
		objs = append(objs, obj)
	}
	compliant := assignment(ns, "compliant", guid(), g, ticket, enforced)
	mustCreate(t, compliant)

	for i, c := range cases {
		got := waitCond(t, objs[i], v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
		wantMessage(t, got, v1.ConditionStalled, append([]string{"not permitted: "}, c.want...)...)
		wantMessage(t, got, v1.ConditionPermitted, c.want...)
		testenv.CheckConditions(t, got.Status.Conditions, "Permitted=False/NotPermitted,Submitted=False/NotPermitted")
		wantKstatus(t, got, kstatus.FailedStatus)
		if len(requestsWithMarker(got.UID)) != 0 {
			t.Errorf("%s: Graph holds a request for a denied object", c.name)
		}
	}
	got := waitCond(t, compliant, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	wantMessage(t, got, v1.ConditionPermitted, pol.Name)
	for outcome, n := range want {
		if d := decisions(t, outcome) - before[outcome]; d < n {
			t.Errorf("%s grew by %v, want at least %v", outcome, d, n)
		}
	}
	noGraphCalls(t, time.Second, append(ids, g2)...)
}

// Adopting a request for a group the namespace may not touch → NotPermitted: the request is read
// (harmless), never cancelled, even with cancelled: true. Once a policy allows the group, the
// same object ends it.
func TestPolicyAdoptDenied(t *testing.T) {
	ns, p, g := newScenario(t)
	pol := newPolicy(t, "adopt-"+ns, []string{ns}, []string{guid()})
	emu.SetApprovalRequired(g, true)
	req := seedActivation(t, p, g)
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "adopt-denied"},
		Spec: v1.RequestSpec{RequestID: req.ID, Cancelled: true}}
	enforced(obj)
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	wantMessage(t, got, v1.ConditionStalled, "not permitted to adopt Graph request "+req.ID, "allows the group and access of request", "not ended")
	if strings.Contains(condOf(got, v1.ConditionStalled).Message, g) || got.Status.GroupID != "" {
		t.Errorf("a denied adoption tells the namespace the request's group: %+v", got.Status)
	}
	testenv.CheckConditions(t, got.Status.Conditions, "Submitted=False/NotPermitted,Cancelled=False/NotPermitted,Permitted=False/NotPermitted")
	wantKstatus(t, got, kstatus.FailedStatus)
	consistently(t, time.Second, func() error {
		calls := callsFor(p, req.ID)
		for _, c := range calls {
			if c.Method != "GET" {
				return fmt.Errorf("a Graph write for a denied adoption: %s %s", c.Method, c.Path)
			}
		}
		if r, _ := emu.Request(req.ID); r.Status != graphemu.StatusPendingApproval {
			return fmt.Errorf("Graph says %s", r.Status)
		}
		return nil
	})

	patchPolicy(t, pol, func(s *v1.PIMAccessPolicySpec) {
		s.Groups = append(s.Groups, v1.AllowedGroup{GroupID: g, AccessIDs: []v1.AccessID{v1.AccessMember}})
	})
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, settle)
	testenv.CheckConditions(t, got.Status.Conditions, "Submitted=True/Adopted,Permitted=True/Permitted")
	if n := count(callsFor(p, req.ID), graphemu.OpCancelRequest, "", 204); n != 1 {
		t.Errorf("cancels: %d, want 1", n)
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
}

func patchPolicy(t *testing.T, p *v1.PIMAccessPolicy, mutate func(*v1.PIMAccessPolicySpec)) {
	t.Helper()
	cur := &v1.PIMAccessPolicy{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(p), cur); err != nil {
		t.Fatal(err)
	}
	base := cur.DeepCopy()
	mutate(&cur.Spec)
	if err := k8s.Patch(context.Background(), cur, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}

// A policy change does not end what was submitted: the access stays, Permitted turns False
// (informational: kstatus stays Current), and ending the object's own request needs no policy.
func TestPolicyRemovedAfterSubmit(t *testing.T) {
	ns, p, g := newScenario(t)
	pol := newPolicy(t, "submitted-"+ns, []string{ns}, []string{g})
	obj := assignment(ns, "submitted", p, g, enforced)
	got := createLive(t, obj)
	writesBefore := writes(callsFor(p, got.Status.RequestID)) + count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 0)

	deletePolicy(t, pol)
	got = waitCond(t, obj, v1.ConditionPermitted, metav1.ConditionFalse, v1.ReasonNotPermitted, settle)
	wantMessage(t, got, v1.ConditionPermitted, fmt.Sprintf("no PIMAccessPolicy selects namespace %q", ns))
	testenv.CheckConditions(t, got.Status.Conditions, "Active=True/Provisioned,Ready=True/Provisioned")
	if c := condOf(got, v1.ConditionStalled); c != nil {
		t.Errorf("a submitted object must not stall on a policy change: %+v", c)
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
	if s, ok := emu.Schedule(got.Status.TargetScheduleID); !ok || !s.Live() {
		t.Error("the assignment must stay live")
	}
	if n := writes(callsFor(p, got.Status.RequestID)) + count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 0); n != writesBefore {
		t.Errorf("Graph writes after the policy went: %d", n-writesBefore)
	}
	eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonNotPermitted, "no PIMAccessPolicy selects") })

	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, settle)
	if s, ok := emu.Schedule(got.Status.TargetScheduleID); !ok || s.Live() {
		t.Error("cancelling must remove the assignment without a policy")
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
}

// A policy selecting namespaces by label: labelling the namespace afterwards lets the waiting
// object through (the namespace watch).
func TestPolicyNamespaceLabel(t *testing.T) {
	ns, p, g := newScenario(t)
	newPolicy(t, "label-"+ns, nil, []string{g}, func(s *v1.PIMAccessPolicySpec) {
		s.NamespaceSelector = &v1.NamespaceSelector{MatchLabels: map[string]v1.LabelValue{"pim-operator.dev/team": v1.LabelValue(ns)}}
	})
	obj := assignment(ns, "by-label", p, g, enforced)
	mustCreate(t, obj)
	waitCond(t, obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	noGraphCalls(t, 500*time.Millisecond, p, g)

	n := &corev1.Namespace{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: ns}, n); err != nil {
		t.Fatal(err)
	}
	base := n.DeepCopy()
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	n.Labels["pim-operator.dev/team"] = ns
	if err := k8s.Patch(context.Background(), n, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
	got := waitCond(t, obj, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	testenv.CheckConditions(t, got.Status.Conditions, "Permitted=True/Permitted")
}

// --policy-mode=disabled (the manager the scenarios of DESIGN §4 run on): no policy selects the
// namespace, and the object is submitted anyway; there is no Permitted condition.
func TestPolicyModeDisabled(t *testing.T) {
	ns, p, g := newScenario(t)
	before := decisions(t, controllers.OutcomeDisabled)
	obj := assignment(ns, "unguarded", p, g)
	got := createLive(t, obj)
	if c := condOf(got, v1.ConditionPermitted); c != nil {
		t.Errorf("Permitted with --policy-mode=disabled: %+v", c)
	}
	if d := decisions(t, controllers.OutcomeDisabled) - before; d < 1 {
		t.Errorf("disabled grew by %v", d)
	}
}

// Access removed elsewhere (an adminRemove from the portal): the request stays Provisioned, so
// the resync reads the schedule too; 404 → Active=False/Removed, settled, and then at rest.
func TestRemovedElsewhere(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "removed-elsewhere", p, g)
	got := createLive(t, obj)
	id := got.Status.RequestID
	removeElsewhere(t, p, g)
	if r, _ := emu.Request(id); r.Status != graphemu.StatusProvisioned {
		t.Fatalf("the original request is %s; adminRemove should leave it Provisioned", r.Status)
	}
	poke(t, obj) // a resync
	got = waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved, settle)
	testenv.CheckConditions(t, got.Status.Conditions, "Ready=True/Removed,Submitted=True/Created")
	wantMessage(t, got, v1.ConditionActive, "removed outside this object", got.Status.TargetScheduleID)
	wantKstatus(t, got, kstatus.CurrentStatus)
	// One 404 proves nothing: two reads a poll interval apart, and the triple's live schedules.
	if n := count(callsFor(p, id), graphemu.OpGetSchedule, "", 404); n != 2 {
		t.Errorf("schedule reads answered 404: %d, want 2", n)
	}
	if n := count(callsFor(p), graphemu.OpListSchedules, "", 200); n < 1 {
		t.Error("the verdict was not confirmed by the triple's live schedules")
	}
	eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonRemoved, "removed outside this object") })

	// At rest it costs nothing; a fresh look (a poke, the resync) reads, and writes nothing.
	noNewCalls(t, 1500*time.Millisecond, "at rest for an assignment removed elsewhere", nil, p, id)
	before := writes(callsFor(p, id))
	poke(t, obj)
	consistently(t, time.Second, func() error {
		if n := writes(callsFor(p, id)) - before; n != 0 {
			return fmt.Errorf("%d Graph writes for an assignment removed elsewhere", n)
		}
		return nil
	})
	waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved, settle)
}
