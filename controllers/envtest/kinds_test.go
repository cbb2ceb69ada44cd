package envtest

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// Every request kind lives the same life: one table, run for assignments and eligibilities.

// requestKind is one kind as the tests meet it.
type requestKind struct {
	name string // the API kind
	// graph is the emulator's collection ("assignment", "eligibility").
	graph string
	live  string
	// of makes an object of the kind with spec.
	of func(meta metav1.ObjectMeta, spec v1.RequestSpec) controllers.Object
	// portal seeds a request made in the portal for the triple: an admin assignment, or an
	// eligibility.
	portal func(principal, group string) (graphemu.Request, error)
}

var requestKinds = []requestKind{
	{
		name: "PIMAssignmentRequest", graph: graphemu.KindAssignment, live: v1.ConditionActive,
		of: func(m metav1.ObjectMeta, s v1.RequestSpec) controllers.Object {
			return &v1.PIMAssignmentRequest{ObjectMeta: m, Spec: s}
		},
		portal: func(p, g string) (graphemu.Request, error) {
			return emu.SeedAssignment(graphemu.Assignment{PrincipalID: p, GroupID: g, Justification: "portal", Duration: 8 * time.Hour})
		},
	},
	{
		name: "PIMEligibilityRequest", graph: graphemu.KindEligibility, live: v1.ConditionEligible,
		of: func(m metav1.ObjectMeta, s v1.RequestSpec) controllers.Object {
			return &v1.PIMEligibilityRequest{ObjectMeta: m, Spec: s}
		},
		portal: func(p, g string) (graphemu.Request, error) {
			return emu.SeedEligibility(graphemu.Eligibility{PrincipalID: p, GroupID: g, Justification: "portal", Duration: 90 * 24 * time.Hour})
		},
	},
}

// request is an object of kind k asking for membership now, for an hour.
func (k requestKind) request(ns, name, principal, group string, mutate ...func(*v1.RequestSpec)) controllers.Object {
	spec := assignment(ns, name, principal, group).Spec
	for _, m := range mutate {
		m(&spec)
	}
	return k.of(metav1.ObjectMeta{Namespace: ns, Name: name}, spec)
}

// kindCalls are the Graph calls of the principal or ids, each checked to go to k's collection.
func (k requestKind) calls(t *testing.T, principal string, ids ...string) []graphemu.Call {
	t.Helper()
	calls := callsFor(principal, ids...)
	for _, c := range calls {
		if c.Kind != "" && c.Kind != k.graph {
			t.Errorf("a %s call for a %s: %s %s", c.Kind, k.name, c.Method, c.Path)
		}
	}
	return calls
}

func wantKstatusOf(t *testing.T, obj controllers.Object, kind string, want kstatus.Status) {
	t.Helper()
	got, err := testenv.Kstatus(obj, kind)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("kstatus of %s: %s, want %s (conditions %+v)", obj.GetName(), got, want, obj.GetRequestStatus().Conditions)
	}
}

func TestEveryKindLivesTheSameLife(t *testing.T) {
	for _, k := range requestKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Run("create", func(t *testing.T) {
				ns, p, g := newScenario(t)
				got := createLive(t, k.request(ns, "create", p, g))
				if n := count(k.calls(t, p), graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 201); n != 1 {
					t.Errorf("adminAssign POSTs: %d, want 1", n)
				}
				testenv.CheckConditions(t, got.GetRequestStatus().Conditions, "Submitted=True/Created,Ready=True/Provisioned")
				wantKstatusOf(t, got, k.name, kstatus.CurrentStatus)
			})
			t.Run("future start, cancelled: 204", func(t *testing.T) {
				ns, p, g := newScenario(t)
				obj := k.request(ns, "future", p, g, func(s *v1.RequestSpec) {
					s.Schedule.StartDateTime = v1.TimeOf(emu.Now().Add(time.Hour))
				})
				mustCreate(t, obj)
				waitCond(t, obj, k.live, metav1.ConditionFalse, v1.ReasonNotStarted, settle)
				patchSpec(t, obj, func(o controllers.Object) { o.GetRequestSpec().Cancelled = true })
				got := waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, settle)
				if n := count(k.calls(t, p, got.GetRequestStatus().RequestID), graphemu.OpCancelRequest, "", 204); n != 1 {
					t.Errorf("cancels answered 204: %d, want 1", n)
				}
			})
			t.Run("live, cancelled: adminRemove", func(t *testing.T) {
				ns, p, g := newScenario(t)
				obj := k.request(ns, "remove", p, g)
				got := createLive(t, obj)
				patchSpec(t, obj, func(o controllers.Object) { o.GetRequestSpec().Cancelled = true })
				waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, settle)
				if live(t, got.GetRequestStatus().TargetScheduleID) {
					t.Error("the access is still live")
				}
			})
			t.Run("delete: Cancel ends it, Orphan leaves it", func(t *testing.T) {
				ns, p, g := newScenario(t)
				cancel := k.request(ns, "delete-cancel", p, g)
				got := createLive(t, cancel)
				del(t, cancel)
				waitGone(t, cancel, settle)
				if live(t, got.GetRequestStatus().TargetScheduleID) {
					t.Error("deleting with Cancel left the access live")
				}
				p2 := guid()
				orphan := k.request(ns, "delete-orphan", p2, g, func(s *v1.RequestSpec) { s.DeletionPolicy = v1.DeletionPolicyOrphan })
				got = createLive(t, orphan)
				del(t, orphan)
				waitGone(t, orphan, settle)
				if n := writes(k.calls(t, p2)) - 1; n != 0 || !live(t, got.GetRequestStatus().TargetScheduleID) {
					t.Errorf("deleting with Orphan: %d writes after the create, access live %v", n, live(t, got.GetRequestStatus().TargetScheduleID))
				}
			})
			t.Run("adopt a portal request and end it", func(t *testing.T) {
				ns, p, g := newScenario(t)
				req, err := k.portal(p, g)
				if err != nil {
					t.Fatal(err)
				}
				obj := k.of(metav1.ObjectMeta{Namespace: ns, Name: "adopted"},
					v1.RequestSpec{RequestID: req.ID, DeletionPolicy: v1.DeletionPolicyCancel})
				mustCreate(t, obj)
				waitCond(t, obj, v1.ConditionSubmitted, metav1.ConditionTrue, v1.ReasonAdopted, settle)
				del(t, obj)
				waitGone(t, obj, settle)
				if live(t, req.TargetScheduleID) {
					t.Error("deleting the adopted object (policy Cancel) left the access live")
				}
				if n := count(k.calls(t, p, req.ID), graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0); n != 0 {
					t.Errorf("an adopted object created %d requests", n)
				}
			})
			t.Run("duplicate triple: the second stalls, and deleting it leaves the first", func(t *testing.T) {
				ns, p, g := newScenario(t)
				first := createLive(t, k.request(ns, "first", p, g))
				second := k.request(ns, "second", p, g)
				mustCreate(t, second)
				got := waitCond(t, second, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDuplicateAssignment, settle)
				wantKstatusOf(t, got, k.name, kstatus.FailedStatus)
				del(t, second)
				waitGone(t, second, settle)
				if !live(t, first.GetRequestStatus().TargetScheduleID) {
					t.Error("the first object's access went with the second object")
				}
			})
			t.Run("a create's answer lost while the list lags: one request", func(t *testing.T) {
				ns, p, g := newScenario(t)
				emu.SetListLag(2 * time.Second)
				t.Cleanup(func() { emu.SetListLag(0); emu.ClearFaults() })
				emu.AddFault(graphemu.Fault{Kind: k.graph, Operation: graphemu.OpCreateRequest, Action: graphemu.ActionAdminAssign, DropAfterApply: true, Count: 1})
				got := createLive(t, k.request(ns, "lost", p, g))
				if n := len(requestsWithMarker(got.GetUID())); n != 1 {
					t.Errorf("%d requests with the marker, want 1", n)
				}
			})
			t.Run("throttled: Retry-After is waited out", func(t *testing.T) {
				ns, p, g := newScenario(t)
				t.Cleanup(emu.ClearFaults)
				emu.AddFault(graphemu.Fault{Kind: k.graph, Operation: graphemu.OpCreateRequest, Action: graphemu.ActionAdminAssign,
					Status: 429, RetryAfter: time.Second, Count: 2})
				createLive(t, k.request(ns, "throttled", p, g))
				if n := count(k.calls(t, p), graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0); n != 3 {
					t.Errorf("POSTs %d, want 2 throttled and 1 accepted", n)
				}
			})
			t.Run("at rest: zero Graph calls", func(t *testing.T) {
				ns, p, g := newScenario(t)
				got := createLive(t, k.request(ns, "rest", p, g))
				noNewCalls(t, 2*time.Second, "at rest", nil, p, got.GetRequestStatus().RequestID)
			})
			t.Run("the end is seen", func(t *testing.T) {
				ns, p, g := newScenario(t)
				obj := k.request(ns, "expiry", p, g, func(s *v1.RequestSpec) {
					s.Schedule.Expiration = v1.Expiration{Type: v1.ExpirationAfterDateTime, EndDateTime: v1.TimeOf(emu.Now().Add(3 * time.Second))}
				})
				createLive(t, obj)
				got := waitCond(t, obj, k.live, metav1.ConditionFalse, v1.ReasonExpired, settle)
				wantKstatusOf(t, got, k.name, kstatus.CurrentStatus)
				eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonExpired, "ended") })
			})
		})
	}
}

// A policy grants each kind on its own: an existing policy (assignments) grants no eligibility,
// and an eligibility grant is added explicitly, with its own length.
func TestPolicyGrantsEachKind(t *testing.T) {
	ns, p, g := newScenario(t)
	pol := newPolicy(t, "kinds-"+ns, []string{ns}, []string{g})
	eligibility := requestKinds[1].request(ns, "eligible", p, g, func(s *v1.RequestSpec) {
		s.Schedule.Expiration.Duration = v1.DurationOf(720 * time.Hour)
	})
	enforcedObj(eligibility)
	mustCreate(t, eligibility)
	got := waitCond(t, eligibility, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	wantMessage(t, got, v1.ConditionStalled, "grants eligibility")
	noGraphCalls(t, time.Second, p)

	patchPolicy(t, pol, func(s *v1.PIMAccessPolicySpec) {
		s.Eligibility = &v1.EligibilityGrant{MaxDuration: *v1.DurationOf(2160 * time.Hour),
			Groups: []v1.AllowedGroup{{GroupID: g, AccessIDs: []v1.AccessID{v1.AccessMember}}}}
	})
	waitCond(t, eligibility, v1.ConditionEligible, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	// The assignment grant's 8 hours do not limit eligibility, nor the reverse.
	active := assignment(ns, "active-too-long", guid(), g, enforced, func(o *v1.PIMAssignmentRequest) {
		o.Spec.Schedule.Expiration.Duration = v1.DurationOf(720 * time.Hour)
	})
	mustCreate(t, active)
	got2 := waitCond(t, active, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	wantMessage(t, got2, v1.ConditionStalled, "720h", "8h")
}

// enforcedObj puts an object of any kind under the enforcing manager.
func enforcedObj(obj controllers.Object) {
	l := obj.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[managerLabel] = enforceManager
	obj.SetLabels(l)
}
