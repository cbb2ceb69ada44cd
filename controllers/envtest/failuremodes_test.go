package envtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The reconciler under Graph's real failure modes: one unlucky answer never ends in a wrong
// final state. Each scenario injects the fault that triggered the old bug and checks Graph's
// final state (is the access live?) and the object's conditions over time.

func live(t *testing.T, scheduleID string) bool {
	t.Helper()
	s, ok := emu.Schedule(scheduleID)
	return ok && s.Live()
}

// 1. A gateway that answers 404 for a while: a single 404 for the schedule does not make the
// access "removed elsewhere", and an ending after 404s for request and schedule still removes
// the access the triple's live schedules show.
func TestOne404IsNotTheEnd(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "gateway-404", p, g)
	got := createLive(t, obj)
	t.Cleanup(emu.ClearFaults)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpGetSchedule, Status: 404, Count: 1})
	poke(t, obj)
	consistently(t, 2*time.Second, func() error {
		if c := condOf(get(t, obj), v1.ConditionActive); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("one 404 ended the access: %+v", c)
		}
		return nil
	})
	// Now both the request and its schedule answer 404 while the object is deleted.
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpGetRequest, Status: 404, Count: 3})
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpGetSchedule, Status: 404, Count: 3})
	del(t, obj)
	waitGone(t, obj, settle)
	if live(t, got.Status.TargetScheduleID) {
		t.Error("deleting the object left its access live: two 404s were taken for the end")
	}
}

// 2. A create whose answer is lost, while Graph's list lags, and the object deleted at once:
// the operator keeps looking by its marker until the settle period has passed, finds the
// request and ends it — even after the policy that allowed it was deleted.
func TestLostCreateIsNeverOrphaned(t *testing.T) {
	ns, p, g := newScenario(t)
	pol := newPolicy(t, "lost-"+ns, []string{ns}, []string{g})
	emu.SetListLag(2 * time.Second)
	t.Cleanup(func() { emu.SetListLag(0); emu.ClearFaults() })
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: graphemu.ActionAdminAssign, DropAfterApply: true, Count: 1})
	obj := assignment(ns, "lost-create", p, g, enforced, func(o *v1.PIMAssignmentRequest) { o.Spec.Schedule.StartDateTime = nil })
	mustCreate(t, obj)
	eventually(t, settle, func() error {
		if len(requestsWithMarker(get(t, obj).UID)) != 1 {
			return fmt.Errorf("the create has not reached Graph yet")
		}
		return nil
	})
	deletePolicy(t, pol)
	del(t, obj)
	var messages []string
	eventually(t, settle, func() error {
		cur := &v1.PIMAssignmentRequest{}
		if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(obj), cur); err != nil {
			return nil // gone
		}
		for _, c := range cur.Status.Conditions {
			messages = append(messages, c.Message)
		}
		return fmt.Errorf("still there: %+v", cur.Status.Conditions)
	})
	for _, r := range requestsWithMarker(obj.UID) {
		if live(t, r.TargetScheduleID) {
			t.Errorf("the lost create's access %s is live after the object went", r.TargetScheduleID)
		}
	}
	for _, m := range messages {
		if strings.Contains(m, "nothing was sent to Graph") {
			t.Errorf("a condition claimed nothing was sent after a POST that reached Graph: %q", m)
		}
	}
}

// 4. A second object for a live triple stays Stalled — no flapping between Stalled and
// Reconciling, no adminAssign posted again while the other assignment is there — and deleting
// it does not wait out the settle period.
func TestStalledStaysStalled(t *testing.T) {
	ns, p, g := newScenario(t)
	first := createLive(t, assignment(ns, "first", p, g))
	second := assignment(ns, "second", p, g)
	mustCreate(t, second)
	waitCond(t, second, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDuplicateAssignment, settle)
	posts := count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0)
	// Longer than a settle period and several backoffs (StalledBackoff 1s, capped at 8s).
	consistently(t, 2*suiteOptions.CreateSettlePeriod+2*time.Second, func() error {
		cur := get(t, second)
		c := condOf(cur, v1.ConditionStalled)
		if c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("Stalled went away: %+v", cur.Status.Conditions)
		}
		if ks, _ := kstatusOfObj(cur); ks != kstatus.FailedStatus {
			return fmt.Errorf("kstatus %s", ks)
		}
		return nil
	})
	if n := count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0) - posts; n != 0 {
		t.Errorf("%d more adminAssign POSTs while the other assignment is live", n)
	}
	if f := get(t, second).Status.Failures; f < 2 {
		t.Errorf("status.failures %d: the failure count must survive", f)
	}
	start := time.Now()
	del(t, second)
	waitGone(t, second, settle)
	if took := time.Since(start); took >= suiteOptions.CreateSettlePeriod {
		t.Errorf("deleting the duplicate took %s, at least the settle period: it waited for nothing", took)
	}
	if !live(t, get(t, first).Status.TargetScheduleID) {
		t.Error("the first object's access must stay live")
	}
}

// 5. A create-pending annotation that does not parse counts as written when the object was
// created: the settle period ends, and the object is created and deleted normally.
func TestUnreadableMarkerDoesNotWedge(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "unreadable-marker", p, g, func(o *v1.PIMAssignmentRequest) {
		o.Annotations = map[string]string{v1.AnnotationCreatePending: "not a time"}
	})
	got := createLive(t, obj)
	del(t, obj)
	waitGone(t, obj, settle)
	if live(t, got.Status.TargetScheduleID) {
		t.Error("the access outlived the object")
	}
}

// 7. The finalizer patch fails once after the cancel was answered 204: the status that records
// it survives, and the event announcing it is emitted once.
func TestFailedFinalizerPatchKeepsTheOutcome(t *testing.T) {
	ns, p, g := newScenario(t)
	const hold = "test.pim-operator.dev/hold"
	obj := assignment(ns, "finalizer-fails", p, g, futureStart, func(o *v1.PIMAssignmentRequest) { o.Finalizers = []string{hold} })
	mustCreate(t, obj)
	waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotStarted, settle)
	finalizerFaults.arm(obj.Name, 1)
	t.Cleanup(func() { finalizerFaults.arm("", 0) })
	del(t, obj)
	got := waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, settle)
	eventually(t, settle, func() error {
		if controllersFinalizer(get(t, obj)) {
			return fmt.Errorf("the operator's finalizer is still there")
		}
		return nil
	})
	if n := count(callsFor(p, got.Status.RequestID), graphemu.OpCancelRequest, "", 204); n != 1 {
		t.Errorf("cancels: %d, want 1", n)
	}
	time.Sleep(500 * time.Millisecond)
	var list eventsv1.EventList
	if err := k8s.List(t.Context(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.Regarding.Name == obj.Name && e.Reason == v1.ReasonCancelSucceeded {
			n++
			if e.Series != nil {
				n += int(e.Series.Count) - 1
			}
		}
	}
	if n != 1 {
		t.Errorf("%d CancelSucceeded events, want exactly one", n)
	}
	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Finalizers = nil })
	waitGone(t, obj, settle)
}

// 8a. At the end of the access the operator reads Graph before it says Expired: an extension
// made in the portal keeps the access live.
func TestExtensionInThePortalIsSeen(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "extended", p, g, func(o *v1.PIMAssignmentRequest) {
		// Shorter than Graph's 5-minute minimum duration, which the CRD enforces: an end time.
		o.Spec.Schedule.Expiration = v1.Expiration{Type: v1.ExpirationAfterDateTime, EndDateTime: v1.TimeOf(emu.Now().Add(3 * time.Second))}
	})
	got := createLive(t, obj)
	if err := emu.ExtendSchedule(got.Status.TargetScheduleID, emu.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	consistently(t, 5*time.Second, func() error {
		if c := condOf(get(t, obj), v1.ConditionActive); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("the extended access was declared ended: %+v", c)
		}
		return nil
	})
	if e := get(t, obj).Status.EndDateTime; e == nil || e.Time.Before(emu.Now().Add(50*time.Minute)) {
		t.Errorf("endDateTime %v, want the extended end", e)
	}
}

// 8c. Graph purged the adminRemove request while the operator still followed it (the operator
// was down, say): the triple's live schedules say the access is gone, instead of an error
// forever.
func TestPurgedRemovalFallsBackToTheSchedules(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "purged-removal", p, g)
	got := createLive(t, obj)
	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, settle)
	removal := got.Status.RemovalRequestID
	// The state of an operator that saw the removal pending, then stopped for weeks.
	patchStatus(t, obj, func(st *v1.RequestStatus) {
		st.RemovalStatus = graphemu.StatusPendingProvisioning
		meta.RemoveStatusCondition(&st.Conditions, v1.ConditionCancelled)
	})
	if err := emu.Purge(removal); err != nil {
		t.Fatal(err)
	}
	poke(t, obj)
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, settle)
	wantMessage(t, got, v1.ConditionCancelled, "no longer knows adminRemove request "+removal)
	if live(t, got.Status.TargetScheduleID) {
		t.Error("the access is live")
	}
}

// 9. A cancel answered 400 twice, while the request still looks cancellable, does not fall into
// the rate limiter's millisecond retries.
func TestRefusedCancelDoesNotHotLoop(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "refused-cancel", p, g, futureStart)
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotStarted, settle)
	t.Cleanup(emu.ClearFaults)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCancelRequest, Status: 400, Code: "RequestCannotBeCancelled",
		Message: "injected", ActiveFor: 3 * time.Second})
	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
	time.Sleep(2 * time.Second)
	if n := count(callsFor(p, got.Status.RequestID), graphemu.OpCancelRequest, "", 400); n > 6 {
		t.Errorf("%d refused cancels in 2s: a hot loop", n)
	}
	waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, 3*settle)
}

func controllersFinalizer(obj *v1.PIMAssignmentRequest) bool {
	for _, f := range obj.Finalizers {
		if f == v1.Finalizer {
			return true
		}
	}
	return false
}

func kstatusOfObj(obj *v1.PIMAssignmentRequest) (kstatus.Status, error) {
	return testenv.Kstatus(obj, "PIMAssignmentRequest")
}
