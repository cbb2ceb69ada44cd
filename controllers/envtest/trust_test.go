package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/graphemu"
)

// The trust rules against a hostile namespace (DESIGN §4b): a user with kubectl in one
// namespace cannot make the operator call Graph without a policy, end another team's access,
// or read someone else's request into its own status. Counted from Graph's side, per principal
// and request id: zero means zero.

// patchStatus writes obj's status as someone with RBAC on /status would.
func patchStatus(t *testing.T, obj *v1.PIMAssignmentRequest, mutate func(*v1.RequestStatus)) {
	t.Helper()
	cur := get(t, obj)
	base := cur.DeepCopy()
	mutate(&cur.Status)
	if err := k8s.Status().Patch(context.Background(), cur, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}

// victim is another team's live assignment, in a namespace of its own.
func victim(t *testing.T) (p, g string, got *v1.PIMAssignmentRequest) {
	t.Helper()
	ns, p, g := newScenario(t)
	return p, g, createLive(t, assignment(ns, "victim", p, g))
}

// A status forged to name another team's request never redirects a write: with a policy, the
// operator reads the request, sees it is not this object's, and neither ends it nor records
// what Graph said; without one, it does not even read it.
func TestForgedStatusRedirectsNothing(t *testing.T) {
	for name, permitted := range map[string]bool{"permitted": true, "unpermitted": false} {
		t.Run(name, func(t *testing.T) {
			p, g, target := victim(t)
			ns := newNS(t)
			if permitted {
				newPolicy(t, "forger-"+ns, []string{ns}, []string{g})
			}
			// The forger asks for the victim's own triple, then writes the victim's request
			// into its status and asks to end it.
			forger := assignment(ns, "forger", p, g, enforced)
			mustCreate(t, forger)
			if permitted {
				// It is permitted, so its own create is refused (the triple is taken): Stalled.
				waitCond(t, forger, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDuplicateAssignment, settle)
			} else {
				waitCond(t, forger, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
			}
			writesBefore := writes(callsFor(p, target.Status.RequestID))
			readsBefore := len(callsFor("", target.Status.RequestID))
			patchStatus(t, forger, func(st *v1.RequestStatus) {
				st.RequestID, st.TargetScheduleID = target.Status.RequestID, target.Status.TargetScheduleID
				st.PrincipalID, st.GroupID, st.AccessID = p, g, v1.AccessMember
				st.GraphStatus = "Provisioned"
				st.Seal = target.Status.Seal // a seal copied from another object proves nothing here
			})
			patchSpec(t, forger, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
			got := waitCond(t, forger, v1.ConditionStalled, metav1.ConditionTrue, "", settle)
			consistently(t, 2*time.Second, func() error {
				if n := writes(callsFor(p, target.Status.RequestID)) - writesBefore; n != 0 {
					return fmt.Errorf("%d Graph writes for the victim's request", n)
				}
				if n := count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 0); n != 0 {
					return fmt.Errorf("%d adminRemove for the victim's triple", n)
				}
				if s, ok := emu.Schedule(target.Status.TargetScheduleID); !ok || !s.Live() {
					return fmt.Errorf("the victim's access is gone")
				}
				return nil
			})
			reads := len(callsFor("", target.Status.RequestID)) - readsBefore
			if !permitted && reads != 0 {
				t.Errorf("%d Graph calls naming the victim's request from a namespace no policy selects", reads)
			}
			got = get(t, forger)
			if c := condOf(got, v1.ConditionStalled); c == nil || !strings.Contains(c.Message, target.Status.RequestID) {
				t.Errorf("the Stalled message should say which request it will not touch: %+v", c)
			}
			if got.Status.Seal != "" && got.Status.Seal == target.Status.Seal {
				t.Error("the copied seal was kept")
			}
		})
	}
}

// Adopting (spec.requestId) a request another object manages is refused: no Graph write, and
// nothing Graph said about it lands in the adopter's status.
func TestAdoptAnotherObjectsRequest(t *testing.T) {
	p, g, target := victim(t)
	ns := newNS(t)
	newPolicy(t, "adopter-"+ns, []string{ns}, []string{g})
	writesBefore := writes(callsFor(p, target.Status.RequestID))
	thief := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "thief"},
		Spec: v1.RequestSpec{RequestID: target.Status.RequestID, Cancelled: true, DeletionPolicy: v1.DeletionPolicyCancel}}
	enforced(thief)
	mustCreate(t, thief)
	got := waitCond(t, thief, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonForeignRequest, settle)
	wantMessage(t, got, v1.ConditionStalled, target.Namespace+"/"+target.Name)
	if got.Status.GroupID != "" || got.Status.PrincipalID != "" || got.Status.TargetScheduleID != "" || got.Status.GraphStatus != "" {
		t.Errorf("the adopter's status records what Graph said of another object's request: %+v", got.Status)
	}
	del(t, thief)
	waitGone(t, thief, settle)
	if n := writes(callsFor(p, target.Status.RequestID)) - writesBefore; n != 0 {
		t.Errorf("%d Graph writes for another object's request", n)
	}
	if s, ok := emu.Schedule(target.Status.TargetScheduleID); !ok || !s.Live() {
		t.Error("the victim's access is gone")
	}
}

// Default deny means no Graph call at all: not for a create-pending annotation the user wrote,
// not for an adoption in a namespace no policy selects, not for annotation churn.
func TestDeniedCostsNoGraphCall(t *testing.T) {
	_, _, target := victim(t)
	ns, p, g := newScenario(t)
	ids := []string{p, g, target.Status.RequestID}
	before := len(callsFor("", ids...))
	marked := assignment(ns, "user-marked", p, g, enforced, func(o *v1.PIMAssignmentRequest) {
		o.Annotations = map[string]string{v1.AnnotationCreatePending: time.Now().UTC().Format(time.RFC3339)}
	})
	mustCreate(t, marked)
	waitCond(t, marked, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	adopter := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "adopter"},
		Spec: v1.RequestSpec{RequestID: target.Status.RequestID}}
	enforced(adopter)
	mustCreate(t, adopter)
	got := waitCond(t, adopter, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	if got.Status.GroupID != "" {
		t.Errorf("a denied adoption recorded Graph's group %s", got.Status.GroupID)
	}
	for range 5 {
		poke(t, marked)
		poke(t, adopter)
	}
	consistently(t, 2*time.Second, func() error {
		if n := len(callsFor("", ids...)) - before; n != 0 {
			return fmt.Errorf("%d Graph calls for objects in a namespace no policy selects", n)
		}
		return nil
	})
}

// A denied adoption in a namespace that some policy selects may read the request once, to learn
// its group; nothing of it is recorded, and poking the object does not read it again.
func TestDeniedAdoptionReadsOnce(t *testing.T) {
	portal, err := emu.SeedAssignment(graphemu.Assignment{PrincipalID: guid(), GroupID: guid(), Justification: "made in the portal"})
	if err != nil {
		t.Fatal(err)
	}
	target := &v1.PIMAssignmentRequest{Status: v1.RequestStatus{RequestID: portal.ID, GroupID: portal.GroupID}}
	ns := newNS(t)
	newPolicy(t, "other-group-"+ns, []string{ns}, []string{guid()})
	adopter := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "adopter"},
		Spec: v1.RequestSpec{RequestID: target.Status.RequestID}}
	enforced(adopter)
	mustCreate(t, adopter)
	got := waitCond(t, adopter, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonNotPermitted, settle)
	wantMessage(t, got, v1.ConditionStalled, "allows the group and access of request "+target.Status.RequestID)
	if got.Status.GroupID != "" || strings.Contains(condOf(got, v1.ConditionStalled).Message, target.Status.GroupID) {
		t.Errorf("a denied adoption tells the namespace the request's group: %+v", got.Status)
	}
	reads := count(callsFor("", target.Status.RequestID), graphemu.OpGetRequest, "", 0)
	for range 5 {
		poke(t, adopter)
	}
	consistently(t, 2*time.Second, func() error {
		if n := count(callsFor("", target.Status.RequestID), graphemu.OpGetRequest, "", 0) - reads; n != 0 {
			return fmt.Errorf("%d more reads of the request after pokes", n)
		}
		return nil
	})
}

// An authentication failure tells the namespace a fixed sentence; what azidentity or Graph said
// stays in the operator's log.
func TestAuthenticationFailureSaysLittle(t *testing.T) {
	ns, p, g := newScenario(t)
	emu.SetRequireToken("a-token-the-operator-does-not-have")
	t.Cleanup(func() { emu.SetRequireToken("") })
	obj := assignment(ns, "unauthenticated", p, g)
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonUnauthenticated, settle)
	c := condOf(got, v1.ConditionStalled)
	if c.Message != "the operator could not authenticate to Microsoft Graph; see the operator's log" {
		t.Errorf("Unauthenticated message %q", c.Message)
	}
	eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonUnauthenticated, "see the operator's log") })
	emu.SetRequireToken("")
	del(t, obj)
	waitGone(t, obj, settle)
}
