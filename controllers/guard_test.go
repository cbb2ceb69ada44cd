package controllers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
	"github.com/pim-operator/pim-operator/internal/policy"
)

// TestGuard: which steps need a permitting policy, what a denial records, and the outcome
// counted for pim_operator_policy_decisions_total.
func TestGuard(t *testing.T) {
	adoptedEarlier := recorded(v1.ConditionSubmitted, metav1.ConditionTrue, v1.ReasonAdopted)
	cases := []struct {
		name  string
		m     mode
		set   func(*observation)
		step  step
		conds string
		ks    string
		gate  string
		// msg are substrings of the Stalled message (when stalled).
		msg []string
	}{
		{"create, permitted", active, withVerdict(permittedVerdict), stepCreate, "Permitted=True/Permitted", "InProgress", OutcomePermitted, nil},
		{"create, denied", active, withVerdict(deniedVerdict), stepNone, "Stalled=True/NotPermitted", "Failed", OutcomeDeniedNamespace,
			[]string{deniedVerdict.Message, "nothing was sent to Graph"}},
		{"create, disabled", active, nil, stepCreate, "Reconciling=True/Progressing", "InProgress", OutcomeDisabled, nil},
		{"settled, disabled: no gate", active, withRequest(pim.StatusProvisioned), stepNone, "Active=True/Provisioned", "Current", "", nil},
		{"ending its own request needs no policy", cancelled, then(withRequest(pim.StatusProvisioned), withVerdict(deniedVerdict)),
			stepRemove, "Reconciling=True/Removing,Permitted=False/NotPermitted", "InProgress", "", nil},
		{"adopted, cancelled at once, denied: no cancel", adopted, then(withRequest(pim.StatusPendingApproval), func(o *observation) { o.Cancelled = true }, withVerdict(deniedVerdict)),
			stepNone, "Stalled=True/NotPermitted,Submitted=False/NotPermitted,Cancelled=False/NotPermitted,Permitted=False/NotPermitted", "Failed",
			OutcomeDeniedNamespace, []string{"not permitted to adopt", "11111111-1111-1111-1111-111111111111", deniedVerdict.Message, "not ended"}},
		{"adopted earlier, cancel denied", adopted, then(withRequest(pim.StatusPendingApproval), adoptedEarlier, func(o *observation) { o.Cancelled = true }, withVerdict(deniedVerdict)),
			stepNone, "Stalled=True/NotPermitted,Submitted=True/Adopted,Cancelled=False/NotPermitted", "Failed", OutcomeDeniedNamespace,
			[]string{"not permitted to end", "left alone"}},
		{"adopted earlier, removal denied", adopted, then(withRequest(pim.StatusProvisioned), adoptedEarlier, func(o *observation) { o.Cancelled = true }, withVerdict(deniedVerdict)),
			stepNone, "Stalled=True/NotPermitted,Cancelled=False/NotPermitted", "Failed", OutcomeDeniedNamespace, []string{"not permitted to end"}},
		{"adopted, deleted with policy Cancel, denied: the finalizer stays", adopted, then(withRequest(pim.StatusGranted), adoptedEarlier, func(o *observation) {
			o.Deleting, o.Policy = true, v1.DeletionPolicyCancel
		}, withVerdict(deniedVerdict)), stepNone, "Stalled=True/NotPermitted", "Failed", OutcomeDeniedNamespace, []string{"deletionPolicy: Orphan"}},
		{"adopted, deleted with policy Orphan, denied: it goes", adopted, then(withRequest(pim.StatusGranted), func(o *observation) { o.Deleting = true }, withVerdict(deniedVerdict)),
			stepFinish, "Ready=True/Orphaned", "Current", "", nil},
		{"adopted earlier, cancel permitted", adopted, then(withRequest(pim.StatusPendingApproval), adoptedEarlier, func(o *observation) { o.Cancelled = true }, withVerdict(permittedVerdict)),
			stepCancel, "Reconciling=True/Cancelling,Permitted=True/Permitted", "InProgress", OutcomePermitted, nil},
		{"adopted, cancel, disabled", adopted, then(withRequest(pim.StatusPendingApproval), func(o *observation) { o.Cancelled = true }),
			stepCancel, "Reconciling=True/Cancelling", "InProgress", OutcomeDisabled, nil},
		{"adopted, following, already adopted: no gate", adopted, then(withRequest(pim.StatusPendingApproval), adoptedEarlier, withVerdict(deniedVerdict)),
			stepPoll, "Ready=True/Pending,Permitted=False/NotPermitted", "Current", "", nil},
		{"adopted, group unknown: denied, no Permitted", adopted, then(withRequest(pim.StatusPendingApproval), withVerdict(&verdict{Unknown: true, Outcome: OutcomeDeniedGroup, Message: "Graph has not reported"})),
			stepNone, "Stalled=True/NotPermitted", "Failed", OutcomeDeniedGroup, []string{"Graph has not reported"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := observe(c.m, c.set)
			d := decide(o, testOpt)
			if d.Step != c.step {
				t.Errorf("step %s, want %s", d.Step, c.step)
			}
			if d.Gate != c.gate {
				t.Errorf("gate %q, want %q", d.Gate, c.gate)
			}
			obj := recordOn(o, d)
			checkConds(t, obj.Status.Conditions, c.conds)
			if got := kstatusOf(t, obj); string(got) != c.ks {
				t.Errorf("kstatus %s, want %s", got, c.ks)
			}
			if o.Verdict == nil && meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionPermitted) != nil {
				t.Error("Permitted with --policy-mode=disabled")
			}
			if o.Verdict != nil && o.Verdict.Unknown && meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionPermitted) != nil {
				t.Error("Permitted written for an unknown group")
			}
			if st := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionStalled); st != nil && st.Reason == v1.ReasonNotPermitted {
				if d.After != 0 || d.Failure || d.Err != nil {
					t.Errorf("NotPermitted must wait for a change, not retry: After %s Failure %v Err %v", d.After, d.Failure, d.Err)
				}
				for _, s := range c.msg {
					if !strings.Contains(st.Message, s) {
						t.Errorf("Stalled message %q lacks %q", st.Message, s)
					}
				}
			} else if len(c.msg) > 0 {
				t.Errorf("not Stalled/NotPermitted: %+v", obj.Status.Conditions)
			}
		})
	}
}

// TestGuardEvents: a denied create emits one Warning (the Stalled one, reason NotPermitted); a
// submitted request that would no longer be permitted emits one Warning on Permitted.
func TestGuardEvents(t *testing.T) {
	for _, c := range []struct {
		name string
		o    observation
	}{
		{"denied create", observe(active, withVerdict(deniedVerdict))},
		{"no longer permitted", observe(active, then(withRequest(pim.StatusProvisioned), withVerdict(deniedVerdict)))},
	} {
		obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns"}}
		obj.Status = c.o.Status
		rec := events.NewFakeRecorder(10)
		r := testReconciler(rec, t0)
		r.emit(obj, r.record(t.Context(), obj, decide(c.o, testOpt)))
		r.emit(obj, r.record(t.Context(), obj, decide(c.o, testOpt)))
		close(rec.Events)
		var warnings []string
		for e := range rec.Events {
			if strings.HasPrefix(e, "Warning") {
				warnings = append(warnings, e)
			}
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "Warning NotPermitted") || !strings.Contains(warnings[0], deniedVerdict.Message) {
			t.Errorf("%s: warnings %q, want one NotPermitted naming what is missing", c.name, warnings)
		}
	}
}

func testPolicy(name string, mutate ...func(*v1.PIMAccessPolicySpec)) v1.PIMAccessPolicy {
	p := v1.PIMAccessPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.PIMAccessPolicySpec{
		Namespaces:  []string{"team-a"},
		Groups:      []v1.AllowedGroup{{GroupID: "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f", AccessIDs: []v1.AccessID{v1.AccessMember}}},
		MaxDuration: *v1.DurationOf(8 * time.Hour),
	}}
	for _, m := range mutate {
		m(&p.Spec)
	}
	return p
}

// TestEvaluate: the reconciler's use of internal/policy — the kind of the object, spec for
// created objects, Graph's group, principal and access for adopted ones, creationTimestamp as
// "now".
func TestEvaluate(t *testing.T) {
	const (
		group = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
		alice = "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7"
		bob   = "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"
	)
	created := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	ns := policy.Namespace{Name: "team-a"}
	pols := []v1.PIMAccessPolicy{testPolicy("team-a-oncall")}
	spec := func(end time.Duration) v1.RequestSpec {
		return v1.RequestSpec{GroupID: "6B1F3C9E-2D4A-4F1B-9C3E-0A1B2C3D4E5F", PrincipalID: alice,
			Schedule: &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDateTime, EndDateTime: v1.TimeOf(created.Add(end))}}}
	}
	om := metav1.ObjectMeta{Namespace: "team-a", Name: "x", CreationTimestamp: metav1.NewTime(created)}
	obj := func(end time.Duration) *v1.PIMAssignmentRequest {
		return &v1.PIMAssignmentRequest{ObjectMeta: om, Spec: spec(end)}
	}
	elig := func(end time.Duration) *v1.PIMEligibilityRequest {
		return &v1.PIMEligibilityRequest{ObjectMeta: om, Spec: spec(end)}
	}
	// afterDateTime without a start is measured from the creationTimestamp: the verdict of an
	// 8h window stays the same however late the reconcile runs.
	judge := func(ns policy.Namespace, o Object) *verdict {
		k := &AssignmentKind
		if _, ok := o.(*v1.PIMEligibilityRequest); ok {
			k = &EligibilityKind
		}
		return (&guardInputs{policies: pols, ns: ns}).verdict(k, o)
	}
	if v := judge(ns, obj(8*time.Hour)); !v.Permitted || v.Outcome != OutcomePermitted || !strings.Contains(v.Message, "team-a-oncall") {
		t.Errorf("8h from creation: %+v", v)
	}
	if v := judge(ns, obj(9*time.Hour)); v.Permitted || v.Outcome != OutcomeDeniedRules || !strings.Contains(v.Message, "9h") {
		t.Errorf("9h from creation: %+v", v)
	}
	if v := judge(policy.Namespace{Name: "team-b"}, obj(time.Hour)); v.Outcome != OutcomeDeniedNamespace {
		t.Errorf("team-b: %+v", v)
	}
	// A start delay is measured from the creationTimestamp too.
	delayed := obj(0)
	delayed.Spec.Schedule = &v1.Schedule{StartDateTime: v1.TimeOf(created.Add(25 * time.Hour)),
		Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(time.Hour)}}
	pols = []v1.PIMAccessPolicy{testPolicy("soon", func(s *v1.PIMAccessPolicySpec) { s.MaxStartDelay = v1.DurationOf(24 * time.Hour) })}
	if v := judge(ns, delayed); v.Permitted || v.Outcome != OutcomeDeniedRules || !strings.Contains(v.Message, "start delay 25h (now to startDateTime) exceeds the longest allowed 24h") {
		t.Errorf("25h ahead of creation: %+v", v)
	}

	// Eligibility needs an explicit grant: a policy for active assignments grants none.
	pols = []v1.PIMAccessPolicy{testPolicy("team-a-oncall")}
	if v := judge(ns, elig(8*time.Hour)); v.Permitted || v.Outcome != OutcomeDeniedGroup ||
		!strings.Contains(v.Message, `no PIMAccessPolicy grants eligibility for group 6B1F3C9E-2D4A-4F1B-9C3E-0A1B2C3D4E5F to namespace "team-a"`) {
		t.Errorf("eligibility under an assignment policy: %+v", v)
	}
	pols = []v1.PIMAccessPolicy{testPolicy("team-a-eligible", func(s *v1.PIMAccessPolicySpec) {
		s.Groups, s.MaxDuration = nil, v1.Duration{}
		s.Eligibility = &v1.EligibilityGrant{MaxDuration: *v1.DurationOf(2160 * time.Hour),
			Groups: []v1.AllowedGroup{{GroupID: group, AccessIDs: []v1.AccessID{v1.AccessMember}, Principals: []string{alice}}}}
	})}
	if v := judge(ns, elig(2160*time.Hour)); !v.Permitted || !strings.Contains(v.Message, "team-a-eligible") {
		t.Errorf("90 days of eligibility: %+v", v)
	}
	if v := judge(ns, obj(time.Hour)); v.Permitted || v.Outcome != OutcomeDeniedGroup {
		t.Errorf("an assignment under an eligibility grant: %+v", v)
	}
	// The principal is spec.principalId for a created object...
	forBob := elig(time.Hour)
	forBob.Spec.PrincipalID = bob
	if v := judge(ns, forBob); v.Permitted || v.Outcome != OutcomeDeniedAccess || !strings.Contains(v.Message, "not to "+bob) {
		t.Errorf("eligibility for a principal not listed: %+v", v)
	}

	// ...and status.principalId, as Graph reports it, for an adopted one.
	pols = []v1.PIMAccessPolicy{testPolicy("team-a-oncall")}
	adopted := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "a"},
		Spec: v1.RequestSpec{RequestID: "r"}}
	if v := judge(ns, adopted); !v.Unknown || v.Permitted || permittedCond(v) != nil {
		t.Errorf("adopted, nothing known yet: %+v", v)
	}
	adopted.Status.GroupID, adopted.Status.PrincipalID, adopted.Status.AccessID = group, bob, v1.AccessOwner
	if v := judge(ns, adopted); v.Permitted || v.Outcome != OutcomeDeniedAccess {
		t.Errorf("adopted owner: %+v", v)
	}
	adopted.Status.AccessID = v1.AccessMember
	if v := judge(ns, adopted); !v.Permitted {
		t.Errorf("adopted member: %+v", v)
	}
	pols[0].Spec.Groups[0].Principals = []string{alice}
	if v := judge(ns, adopted); v.Permitted || v.Outcome != OutcomeDeniedAccess || !strings.Contains(v.Message, "not to "+bob) {
		t.Errorf("adopted for a principal not listed: %+v", v)
	}
	adopted.Status.PrincipalID = strings.ToUpper(alice)
	if v := judge(ns, adopted); !v.Permitted {
		t.Errorf("adopted for a listed principal: %+v", v)
	}
	adoptedElig := &v1.PIMEligibilityRequest{ObjectMeta: adopted.ObjectMeta, Spec: adopted.Spec, Status: adopted.Status}
	if v := judge(ns, adoptedElig); v.Permitted || v.Outcome != OutcomeDeniedGroup || !strings.Contains(v.Message, "grants eligibility") {
		t.Errorf("an adopted eligibility under an assignment policy: %+v", v)
	}
}

// TestStale: the policy and namespace watches reconcile only the objects whose verdict changed.
func TestStale(t *testing.T) {
	ns := policy.Namespace{Name: "team-a"}
	pols := []v1.PIMAccessPolicy{testPolicy("team-a-oncall")}
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "x"},
		Spec: v1.RequestSpec{GroupID: "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f", PrincipalID: "p",
			Schedule: &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(time.Hour)}}}}
	in := func(pols []v1.PIMAccessPolicy) *guardInputs { return &guardInputs{policies: pols, ns: ns} }
	if !stale(&AssignmentKind, obj, in(pols)) {
		t.Error("never evaluated: stale")
	}
	meta.SetStatusCondition(&obj.Status.Conditions, *permittedCond(in(pols).verdict(&AssignmentKind, obj)))
	if stale(&AssignmentKind, obj, in(pols)) {
		t.Error("recorded verdict is current: not stale")
	}
	if !stale(&AssignmentKind, obj, in(nil)) {
		t.Error("policy deleted: stale")
	}
	renamed := []v1.PIMAccessPolicy{testPolicy("renamed")}
	if !stale(&AssignmentKind, obj, in(renamed)) {
		t.Error("permitted by another policy now: stale (the message names the policy)")
	}
	unrelated := append(slices.Clone(pols), testPolicy("team-b", func(s *v1.PIMAccessPolicySpec) { s.Namespaces = []string{"team-b"} }))
	if stale(&AssignmentKind, obj, in(unrelated)) {
		t.Error("a policy for another namespace changes nothing here")
	}
}

// TestPolicyModeLog: the start-up line says which mode is on and what it means.
func TestPolicyModeLog(t *testing.T) {
	for _, c := range []struct {
		flag string
		want []string
	}{
		{"enforce", []string{`"policyMode"="enforce"`, "--policy-mode=enforce", "guard rails are on", "PIMAccessPolicy", "denied by default"}},
		{"disabled", []string{`"policyMode"="disabled"`, "--policy-mode=disabled", "guard rails are off", "No PIMAccessPolicy is read", "RBAC alone"}},
	} {
		m, err := ParsePolicyMode(c.flag)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{})
		LogPolicyMode(log, m)
		if len(lines) != 1 {
			t.Fatalf("%s: %d lines", c.flag, len(lines))
		}
		for _, s := range c.want {
			if !strings.Contains(lines[0], s) {
				t.Errorf("%s: log line %s lacks %q", c.flag, lines[0], s)
			}
		}
	}
	if _, err := ParsePolicyMode("audit"); err == nil || !strings.Contains(err.Error(), "enforce or disabled") {
		t.Errorf("--policy-mode=audit: %v", err)
	}
	var zero PolicyMode
	if !zero.enforces() || zero.String() != "enforce" {
		t.Error("the zero PolicyMode must enforce (default deny)")
	}
}
