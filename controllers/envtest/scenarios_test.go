package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/pim"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

const settle = 20 * time.Second // generous upper bound for one convergence

func wantKstatus(t *testing.T, obj *v1.PIMAssignmentRequest, want kstatus.Status) {
	t.Helper()
	got, err := testenv.Kstatus(obj, "PIMAssignmentRequest")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("kstatus of %s: %s, want %s (conditions %+v)", obj.Name, got, want, obj.Status.Conditions)
	}
}

// 1. Create → one adminAssign with the spec's fields and the marker; status filled; Submitted,
// Active, Ready True; finalizer present.
func TestCreate(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "create", p, g, func(o *v1.PIMAssignmentRequest) {
		o.Spec.AccessID = v1.AccessOwner
		o.Spec.Ticket = &v1.Ticket{System: "ServiceNow", Number: "CHG0012345"}
	})
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonProvisioned, settle)

	calls := callsFor(p)
	if n := count(calls, graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0); n != 1 {
		t.Fatalf("adminAssign POSTs: %d, want 1", n)
	}
	var body string
	for _, c := range calls {
		if c.Operation == graphemu.OpCreateRequest {
			body = c.RequestBody
		}
	}
	for _, s := range []string{p, g, `"owner"`, "CHG0012345", "ServiceNow", "scenario create", "uid=" + string(got.UID), "PT1H"} {
		if !strings.Contains(body, s) {
			t.Errorf("POST body lacks %q: %s", s, body)
		}
	}
	mine := requestsWithMarker(got.UID)
	if len(mine) != 1 || got.Status.RequestID != mine[0].ID {
		t.Fatalf("requests with the marker %+v, status.requestId %s", mine, got.Status.RequestID)
	}
	st := got.Status
	if st.GraphStatus != "Provisioned" || st.TargetScheduleID != mine[0].TargetScheduleID || !strings.EqualFold(st.GroupID, g) ||
		!strings.EqualFold(st.PrincipalID, p) || st.AccessID != v1.AccessOwner || st.CreatedDateTime == nil || st.EndDateTime == nil ||
		st.DeletionPolicy != v1.DeletionPolicyCancel {
		t.Errorf("status not filled: %+v", st)
	}
	for _, c := range []string{v1.ConditionSubmitted, v1.ConditionActive, v1.ConditionReady} {
		if !meta.IsStatusConditionTrue(st.Conditions, c) {
			t.Errorf("%s not True: %+v", c, st.Conditions)
		}
	}
	if !controllerutil.ContainsFinalizer(got, v1.Finalizer) {
		t.Error("finalizer missing")
	}

	if _, ok := got.Annotations[v1.AnnotationCreatePending]; !ok {
		t.Error("the create-pending annotation should record the create")
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
	eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonCreated, got.Status.RequestID) })
}

// 2. Future start → Granted, Active=False/NotStarted, Ready=True; cancelled: true → exactly one
// cancel, 204 → Cancelled=True/CancelSucceeded, Canceled; then no Graph calls at all.
func TestCancelGranted(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "granted", p, g, futureStart)
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotStarted, settle)
	if !meta.IsStatusConditionTrue(got.Status.Conditions, v1.ConditionReady) || got.Status.GraphStatus != "Granted" {
		t.Fatalf("Granted: %+v", got.Status)
	}
	wantKstatus(t, got, kstatus.CurrentStatus)

	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, settle)
	c := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionCancelled)
	if c.Message != "Graph returned 204 No Content" || got.Status.GraphStatus != "Canceled" {
		t.Errorf("Cancelled %+v, graphStatus %s", c, got.Status.GraphStatus)
	}
	if n := count(callsFor(p, got.Status.RequestID), graphemu.OpCancelRequest, "", 204); n != 1 {
		t.Errorf("cancels: %d, want 1", n)
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
	eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonCancelSucceeded, "204 No Content") })

	// Even a fresh reconcile of a cancelled object costs nothing.
	noNewCalls(t, 1500*time.Millisecond, "after the cancel", func() { poke(t, obj) }, p, got.Status.RequestID)
}

// 3. Provisioned, then cancelled: true → one guarded adminRemove (after Graph's minimum active
// age), removalRequestId, Cancelled=True/Removed, Active=False, no cancel.
func TestRemoveProvisioned(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "remove", p, g)
	got := createLive(t, obj)
	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, settle)
	if got.Status.RemovalRequestID == "" || got.Status.RemovalStatus != "Revoked" ||
		meta.IsStatusConditionTrue(got.Status.Conditions, v1.ConditionActive) {
		t.Errorf("status after removal: %+v", got.Status)
	}
	calls := callsFor(p, got.Status.RequestID)
	if n := count(calls, graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 201); n != 1 {
		t.Errorf("accepted adminRemove: %d, want 1", n)
	}
	for _, c := range calls {
		if c.Action == graphemu.ActionAdminRemove && c.Status != 201 && c.Status != 400 {
			t.Errorf("unexpected adminRemove answer %d", c.Status)
		}
	}
	if n := count(calls, graphemu.OpCancelRequest, "", 0); n != 0 {
		t.Errorf("cancel calls: %d, want 0 (a provisioned request is removed, not cancelled)", n)
	}
	if n := count(calls, graphemu.OpListSchedules, "", 0); n < 1 {
		t.Error("the remove was not guarded by a schedule lookup")
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
	noNewCalls(t, 1500*time.Millisecond, "after the removal", nil, p, got.Status.RequestID)
}

// 4. Delete with policy Cancel ends the request, then the object goes; with Orphan no Graph
// write. Also records whether setting deletionTimestamp bumps a CR's generation.
func TestDelete(t *testing.T) {
	ns, p, g := newScenario(t)
	const hold = "test.pim-operator.dev/hold"
	obj := assignment(ns, "delete-cancel", p, g, futureStart, func(o *v1.PIMAssignmentRequest) { o.Finalizers = []string{hold} })
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotStarted, settle)
	gen := got.Generation
	del(t, obj)
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, settle)
	// Verified on kube-apiserver v1.37.2: setting deletionTimestamp on a CR with finalizers
	// bumps metadata.generation (1 → 2). changePredicate does not rely on it: it also passes
	// the deletionTimestamp appearing.
	if got.Generation <= gen {
		t.Errorf("generation before delete %d, after deletionTimestamp %d: expected a bump", gen, got.Generation)
	}
	eventually(t, settle, func() error {
		if controllerutil.ContainsFinalizer(get(t, obj), v1.Finalizer) {
			return fmt.Errorf("operator finalizer still present")
		}
		return nil
	})
	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { controllerutil.RemoveFinalizer(o, hold) })
	waitGone(t, obj, settle)
	if n := count(callsFor(p, got.Status.RequestID), graphemu.OpCancelRequest, "", 0); n != 1 {
		t.Errorf("cancels: %d, want 1", n)
	}

	p2 := guid()
	orphan := assignment(ns, "delete-orphan", p2, g, func(o *v1.PIMAssignmentRequest) { o.Spec.DeletionPolicy = v1.DeletionPolicyOrphan })
	mustCreate(t, orphan)
	got = waitCond(t, orphan, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	del(t, orphan)
	waitGone(t, orphan, settle)
	calls := callsFor(p2, got.Status.RequestID)
	if n := count(calls, graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 0) + count(calls, graphemu.OpCancelRequest, "", 0); n != 0 {
		t.Errorf("Graph writes for an orphaned delete: %d", n)
	}
	if s, ok := emu.Schedule(got.Status.TargetScheduleID); !ok || !s.Live() {
		t.Error("the orphaned assignment must stay live")
	}
}

// 5a. The status write after a successful create fails (every retry of that reconcile): the
// next reconcile finds the request by its marker instead of posting again.
func TestCrashStatusWriteFails(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "crash-status", p, g)
	statusFaults.arm(obj.Name, controllers.StatusPatchAttempts)
	t.Cleanup(func() { statusFaults.arm("", 0) })
	got := createLive(t, obj)
	mine := requestsWithMarker(got.UID)
	if len(mine) != 1 || got.Status.RequestID != mine[0].ID {
		t.Fatalf("requests with the marker: %d, status.requestId %q", len(mine), got.Status.RequestID)
	}
	calls := callsFor(p)
	if n := count(calls, graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0); n != 1 {
		t.Errorf("adminAssign POSTs: %d, want 1", n)
	}
	if n := count(calls, graphemu.OpListRequests, "", 0); n < 1 {
		t.Error("the request was not found through find-my-request")
	}
}

// 5b. Graph applies the create and the answer is lost, while its list lags: the operator waits
// out the settle period instead of posting again, and adopts its request.
func TestCrashResponseLost(t *testing.T) {
	ns, p, g := newScenario(t)
	emu.SetListLag(2 * time.Second)
	t.Cleanup(func() { emu.SetListLag(0); emu.ClearFaults() })
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: graphemu.ActionAdminAssign, DropAfterApply: true, Count: 1})
	obj := assignment(ns, "crash-drop", p, g)
	got := createLive(t, obj)
	mine := requestsWithMarker(got.UID)
	if len(mine) != 1 || got.Status.RequestID != mine[0].ID {
		t.Fatalf("requests with the marker: %d, status.requestId %q", len(mine), got.Status.RequestID)
	}
	if n := count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminAssign, 0); n != 1 {
		t.Errorf("adminAssign POSTs: %d, want 1", n)
	}
}

// 6. 429 with Retry-After on the first POSTs: the operator waits each one out and converges.
func TestThrottled(t *testing.T) {
	ns, p, g := newScenario(t)
	t.Cleanup(emu.ClearFaults)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: graphemu.ActionAdminAssign, Status: 429, RetryAfter: time.Second, Count: 3})
	obj := assignment(ns, "throttled", p, g)
	got := createLive(t, obj)
	var posts []graphemu.Call
	for _, c := range callsFor(p) {
		if c.Operation == graphemu.OpCreateRequest {
			posts = append(posts, c)
		}
	}
	if len(posts) != 4 || count(posts, graphemu.OpCreateRequest, "", 429) != 3 {
		t.Fatalf("POSTs %d (429s %d), want 3 throttled and 1 accepted", len(posts), count(posts, graphemu.OpCreateRequest, "", 429))
	}
	for i := 1; i < len(posts); i++ {
		if gap := posts[i].Time.Sub(posts[i-1].Time); gap < 900*time.Millisecond {
			t.Errorf("POST %d came %s after a 429 with Retry-After: 1", i+1, gap)
		}
	}
	if len(requestsWithMarker(got.UID)) != 1 {
		t.Error("want exactly one request")
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
}

// 7. A user-fixable Graph error → Stalled with Graph's code, message and request-id; retries
// back off (no storm).
func TestUserFixable(t *testing.T) {
	ns, p, g := newScenario(t)
	t.Cleanup(emu.ClearFaults)
	emu.AddFault(graphemu.Fault{Operation: graphemu.OpCreateRequest, Action: graphemu.ActionAdminAssign, Status: 400,
		Code: pim.CodePolicyValidationFailed, Message: `The following policy rules failed: ["ExpirationRule"]`})
	obj := assignment(ns, "stalled", p, g)
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonGraphRejected, settle)
	msg := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionStalled).Message
	var rid string
	for _, c := range callsFor(p) {
		if c.Operation == graphemu.OpCreateRequest {
			rid = c.RequestID
		}
	}
	for _, s := range []string{pim.CodePolicyValidationFailed, "ExpirationRule"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Stalled message lacks %q: %s", s, msg)
		}
	}
	if rid == "" || !strings.Contains(msg, "request-id") {
		t.Errorf("Stalled message lacks Graph's request-id: %s", msg)
	}
	wantKstatus(t, got, kstatus.FailedStatus)
	first := count(callsFor(p), graphemu.OpCreateRequest, "", 0)
	start := time.Now()
	consistently(t, 4*time.Second, func() error {
		if n := count(callsFor(p), graphemu.OpCreateRequest, "", 0) - first; n > 3 {
			return fmt.Errorf("%d POSTs within %s of a user-fixable failure", n, time.Since(start).Round(time.Millisecond))
		}
		return nil
	})
	if f := get(t, obj).Status.Failures; f < 2 {
		t.Errorf("status.failures %d: want the retries counted", f)
	}
	emu.ClearFaults()
	del(t, obj)
	waitGone(t, obj, settle)
}

// 8. Graph purged the request: the status comes from the schedule, and delete still completes.
func TestPurged(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "purged", p, g)
	got := createLive(t, obj)
	if err := emu.Purge(got.Status.RequestID); err != nil {
		t.Fatal(err)
	}
	poke(t, obj)
	eventually(t, settle, func() error {
		if n := count(callsFor(p, got.Status.RequestID), graphemu.OpGetSchedule, "", 200); n < 1 {
			return fmt.Errorf("the schedule was not read")
		}
		return nil
	})
	got = waitCond(t, obj, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	if got.Status.GraphStatus != "Provisioned" {
		t.Errorf("graphStatus from the schedule: %q", got.Status.GraphStatus)
	}
	del(t, obj)
	waitGone(t, obj, settle)
	if s, ok := emu.Schedule(got.Status.TargetScheduleID); !ok || s.Live() {
		t.Error("deleting (policy Cancel) must have removed the assignment")
	}

	// Purged, and the assignment removed by someone else meanwhile: Graph knows neither the
	// request nor its schedule; the object records that and still goes, without a write.
	p2 := guid()
	obj2 := assignment(ns, "purged-gone", p2, g, func(o *v1.PIMAssignmentRequest) {
		o.Spec.Schedule.Expiration = v1.Expiration{Type: v1.ExpirationNone}
	})
	mustCreate(t, obj2)
	got = waitCond(t, obj2, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	removeElsewhere(t, p2, g)
	if err := emu.Purge(got.Status.RequestID); err != nil {
		t.Fatal(err)
	}
	poke(t, obj2)
	got = waitCond(t, obj2, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRequestGone, settle)
	wantKstatus(t, got, kstatus.CurrentStatus)
	removes := count(callsFor(p2), graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 0)
	del(t, obj2)
	waitGone(t, obj2, settle)
	if n := count(callsFor(p2), graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 0) - removes; n != 0 {
		t.Errorf("adminRemove for a request Graph no longer knows: %d", n)
	}
}

// 9. Adopt a portal-made pending activation, cancel it (204); deleting the object (adopted:
// Orphan by default) makes no Graph write.
func TestAdoptAndCancel(t *testing.T) {
	ns, p, g := newScenario(t)
	emu.SetApprovalRequired(g, true)
	req := seedActivation(t, p, g)
	if req.Status != graphemu.StatusPendingApproval {
		t.Fatalf("seeded activation is %s", req.Status)
	}
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "adopted"},
		Spec: v1.RequestSpec{RequestID: req.ID}}
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionSubmitted, metav1.ConditionTrue, v1.ReasonAdopted, settle)
	if got.Status.GraphStatus != "PendingApproval" || got.Status.DeletionPolicy != v1.DeletionPolicyOrphan ||
		!meta.IsStatusConditionTrue(got.Status.Conditions, v1.ConditionReady) {
		t.Fatalf("adopted: %+v", got.Status)
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
	patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
	got = waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, settle)
	if n := count(callsFor(p, req.ID), graphemu.OpCancelRequest, "", 204); n != 1 {
		t.Errorf("cancels: %d", n)
	}
	if r, _ := emu.Request(req.ID); r.Status != graphemu.StatusCanceled {
		t.Errorf("Graph says %s", r.Status)
	}
	before := writes(callsFor(p, req.ID))
	del(t, obj)
	waitGone(t, obj, settle)
	if n := writes(callsFor(p, req.ID)); n != before {
		t.Errorf("Graph writes on deleting an adopted object: %d", n-before)
	}
	if n := count(callsFor(p, req.ID), graphemu.OpCreateRequest, "", 0); n != 0 {
		t.Errorf("an adopted object must never create: %d POSTs", n)
	}
}

// 10. Two objects for one triple: the second stalls with DuplicateAssignment; deleting it
// leaves the first one's assignment live.
func TestDuplicate(t *testing.T) {
	ns, p, g := newScenario(t)
	first := assignment(ns, "first", p, g)
	got1 := createLive(t, first)
	second := assignment(ns, "second", p, g)
	mustCreate(t, second)
	got2 := waitCond(t, second, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDuplicateAssignment, settle)
	wantKstatus(t, got2, kstatus.FailedStatus)
	del(t, second)
	waitGone(t, second, settle)
	if s, ok := emu.Schedule(got1.Status.TargetScheduleID); !ok || !s.Live() {
		t.Fatal("the first object's assignment must stay live")
	}
	if n := count(callsFor(p), graphemu.OpCreateRequest, graphemu.ActionAdminRemove, 0); n != 0 {
		t.Errorf("adminRemove sent for the triple: %d", n)
	}
	got1 = waitCond(t, first, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	wantKstatus(t, got1, kstatus.CurrentStatus)
}

// 11. Expiry: at endDateTime Active turns False/Expired, from a requeue at the end time, not a
// tight poll.
func TestExpiry(t *testing.T) {
	ns, p, g := newScenario(t)
	obj := assignment(ns, "expiry", p, g, func(o *v1.PIMAssignmentRequest) {
		// Shorter than Graph's 5-minute minimum duration, which the CRD enforces: an end time.
		o.Spec.Schedule.Expiration = v1.Expiration{Type: v1.ExpirationAfterDateTime, EndDateTime: v1.TimeOf(emu.Now().Add(3 * time.Second))}
	})
	got := createLive(t, obj)
	reads := count(callsFor(p, got.Status.RequestID), graphemu.OpGetRequest, "", 0)
	got = waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonExpired, settle)
	if s, ok := emu.Schedule(got.Status.TargetScheduleID); !ok || s.Live() {
		t.Error("the emulator's clock should have ended the schedule too")
	}
	if n := count(callsFor(p, got.Status.RequestID), graphemu.OpGetRequest, "", 0) - reads; n > 1 {
		t.Errorf("%d reads while waiting for the end: want at most 1 (no tight poll)", n)
	}
	wantKstatus(t, got, kstatus.CurrentStatus)
	eventually(t, 5*time.Second, func() error { return hasEvent(t, ns, v1.ReasonExpired, "ended") })
}

// 12. Twenty settled objects cost zero Graph calls well inside the resync period.
func TestAtRest(t *testing.T) {
	ns := newNS(t)
	g := guid()
	var objs []*v1.PIMAssignmentRequest
	var principals []string
	for i := range 20 {
		p := guid()
		principals = append(principals, p)
		obj := assignment(ns, fmt.Sprintf("rest-%02d", i), p, g)
		if i >= 10 {
			futureStart(obj)
		}
		mustCreate(t, obj)
		objs = append(objs, obj)
	}
	for i, obj := range objs {
		if i < 10 {
			waitCond(t, obj, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
		} else {
			waitCond(t, obj, v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotStarted, settle)
		}
	}
	for _, obj := range objs[15:] {
		patchSpec(t, obj, func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
	}
	var ids []string
	for _, obj := range objs {
		if obj.Name >= "rest-15" {
			waitCond(t, obj, v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonCancelSucceeded, settle)
		}
		got := get(t, obj)
		wantKstatus(t, got, kstatus.CurrentStatus)
		ids = append(ids, got.Status.RequestID)
	}
	countAll := func() int {
		n := 0
		for _, p := range principals {
			n += len(callsFor(p, ids...))
		}
		return n
	}
	before := countAll()
	consistently(t, 3*time.Second, func() error {
		if n := countAll() - before; n != 0 {
			return fmt.Errorf("%d Graph calls at rest", n)
		}
		return nil
	})
}

// 13. kstatus while Graph is still processing: InProgress, then Current.
func TestKstatusWhileProvisioning(t *testing.T) {
	ns, p, g := newScenario(t)
	emu.SetProvisioningDelay(2 * time.Second)
	t.Cleanup(func() { emu.SetProvisioningDelay(0) })
	obj := assignment(ns, "provisioning", p, g)
	mustCreate(t, obj)
	got := waitCond(t, obj, v1.ConditionReconciling, metav1.ConditionTrue, v1.ReasonProgressing, settle)
	if got.Status.GraphStatus != "PendingProvisioning" {
		t.Fatalf("graphStatus %s", got.Status.GraphStatus)
	}
	wantKstatus(t, got, kstatus.InProgressStatus)
	got = waitCond(t, obj, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	wantKstatus(t, got, kstatus.CurrentStatus)
	_ = context.Background()
}

// 14. The spec belongs to the user: the operator writes metadata (finalizer, create-pending) and
// status only, with patches, so a duration written "8h" stays "8h" (a typed Update would write
// "8h0m0s": GitOps drift, and a generation bump with no user change).
func TestSpecAsWritten(t *testing.T) {
	ns := newNS(t)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1.GroupVersion.String(), "kind": "PIMAssignmentRequest",
		"metadata": map[string]any{"namespace": ns, "name": "as-written"},
		"spec": map[string]any{
			"groupId": guid(), "principalId": guid(), "justification": "as written",
			"schedule": map[string]any{"expiration": map[string]any{"type": "afterDuration", "duration": "8h"}},
		},
	}}
	if err := k8s.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "as-written"}}
	waitCond(t, obj, v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned, settle)
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), u); err != nil {
		t.Fatal(err)
	}
	d, _, _ := unstructured.NestedString(u.Object, "spec", "schedule", "expiration", "duration")
	if u.GetGeneration() != 1 || d != "8h" {
		t.Errorf("generation %d, duration %q: want 1 and \"8h\", the spec as the user wrote it", u.GetGeneration(), d)
	}
	if !controllerutil.ContainsFinalizer(u, v1.Finalizer) || u.GetAnnotations()[v1.AnnotationCreatePending] == "" {
		t.Errorf("finalizer and create-pending annotation expected: %v %v", u.GetFinalizers(), u.GetAnnotations())
	}
}
