package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

var (
	t0      = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	testOpt = Options{PollInterval: 10 * time.Second, CreateSettlePeriod: 2 * time.Minute}.withDefaults()
)

// mode is a column of the table: what the spec (and the object's life) asks.
type mode string

const (
	active       mode = "active wanted"
	cancelled    mode = "cancelled"
	deleteCancel mode = "deleted, policy Cancel"
	deleteOrphan mode = "deleted, policy Orphan"
	adopted      mode = "adopted"
)

var modes = []mode{active, cancelled, deleteCancel, deleteOrphan, adopted}

// want is one cell: the step, the conditions that must hold ("Type=Status/Reason", comma
// separated) and the kstatus result of the recorded status.
type want struct {
	step  step
	conds string
	ks    kstatus.Status
}

func w(s step, conds string, ks kstatus.Status) *want { return &want{step: s, conds: conds, ks: ks} }

const (
	current    = kstatus.CurrentStatus
	inProgress = kstatus.InProgressStatus
	failedKS   = kstatus.FailedStatus
)

func mt(t time.Time) *metav1.Time { m := metav1.NewTime(t); return &m }

// row is a line of DESIGN §4: an observation, and the cell for each mode (nil: the
// combination cannot happen, e.g. an adopted object never lacks a requestId).
type row struct {
	name  string
	setup func(o *observation)
	cells map[mode]*want
}

func withRequest(status pim.Status) func(o *observation) {
	return func(o *observation) {
		o.Status.RequestID = "11111111-1111-1111-1111-111111111111"
		o.Status.TargetScheduleID = "g_member_11111111-1111-1111-1111-111111111111"
		o.Status.GraphStatus = string(status)
		o.Status.CreatedDateTime = mt(t0.Add(-time.Hour))
		o.Status.StartDateTime = mt(t0.Add(-time.Hour))
		o.Status.EndDateTime = mt(t0.Add(time.Hour))
		if status == pim.StatusGranted {
			o.Status.StartDateTime = mt(t0.Add(time.Hour))
			o.Status.EndDateTime = mt(t0.Add(2 * time.Hour))
		}
	}
}

func then(fs ...func(o *observation)) func(o *observation) {
	return func(o *observation) {
		for _, f := range fs {
			f(o)
		}
	}
}

func marker(age time.Duration) func(o *observation) {
	return func(o *observation) { m := t0.Add(-age); o.CreatePending = &m }
}

var orphaned = w(stepFinish, "Ready=True/Orphaned", current)

// Verdicts of the guard rails (--policy-mode=enforce); a nil Verdict is --policy-mode=disabled.
var (
	deniedVerdict    = &verdict{Outcome: OutcomeDeniedNamespace, Message: `no PIMAccessPolicy selects namespace "ns"`}
	permittedVerdict = &verdict{Permitted: true, Outcome: OutcomePermitted, Message: `permitted by PIMAccessPolicy "p"`}
)

func withVerdict(v *verdict) func(o *observation) { return func(o *observation) { o.Verdict = v } }

// recorded sets a condition as an earlier reconcile recorded it.
func recorded(typ string, s metav1.ConditionStatus, reason string) func(o *observation) {
	return func(o *observation) {
		meta.SetStatusCondition(&o.Status.Conditions, metav1.Condition{Type: typ, Status: s, Reason: reason})
	}
}

func rows() []row {
	notSubmittedCreate := w(stepCreate, "Submitted=False/NotSubmitted,Reconciling=True/Progressing", inProgress)
	nothingToEnd := func(s step) *want { return w(s, "Cancelled=True/AlreadyEnded,Submitted=False/NotSubmitted", current) }
	alreadyEnded := func(s step) *want { return w(s, "Cancelled=True/AlreadyEnded", current) }
	cancel := w(stepCancel, "Cancelled=False/Cancelling,Reconciling=True/Cancelling", inProgress)
	remove := w(stepRemove, "Cancelled=False/Removing,Reconciling=True/Removing", inProgress)
	transient := w(stepPoll, "Reconciling=True/Progressing,Active=False/Pending", inProgress)
	provisioned := w(stepNone, "Active=True/Provisioned,Submitted=True/Created", current)
	return []row{
		{"no request, no create-pending marker", nil, map[mode]*want{
			active: notSubmittedCreate, cancelled: nothingToEnd(stepNone), deleteCancel: nothingToEnd(stepFinish),
			deleteOrphan: orphaned, adopted: nil,
		}},
		{"create-pending marker, no requestId, not searched yet", marker(time.Second), map[mode]*want{
			active: w(stepFind, "Reconciling=True/CreatePending", inProgress), cancelled: w(stepFind, "Reconciling=True/CreatePending", inProgress),
			deleteCancel: w(stepFind, "Reconciling=True/CreatePending", inProgress), deleteOrphan: orphaned,
		}},
		{"create-pending marker, none found, within the settle period", then(marker(time.Minute), func(o *observation) { o.Searched = true }), map[mode]*want{
			active:    w(stepNone, "Reconciling=True/CreatePending,Submitted=False/NotSubmitted", inProgress),
			cancelled: w(stepNone, "Reconciling=True/CreatePending", inProgress), deleteCancel: w(stepNone, "Reconciling=True/CreatePending", inProgress),
			deleteOrphan: orphaned,
		}},
		{"create-pending marker, none found, settled", then(marker(3*time.Minute), func(o *observation) { o.Searched = true }), map[mode]*want{
			active: notSubmittedCreate, cancelled: nothingToEnd(stepNone), deleteCancel: nothingToEnd(stepFinish), deleteOrphan: orphaned,
		}},
		{"create-pending marker, several found", then(marker(time.Minute), func(o *observation) {
			o.Searched, o.Matches = true, []pim.Request{{ID: "a"}, {ID: "b"}}
		}), map[mode]*want{
			active:    w(stepNone, "Stalled=True/AmbiguousCreate,Ready=False/AmbiguousCreate", failedKS),
			cancelled: w(stepNone, "Stalled=True/AmbiguousCreate", failedKS), deleteCancel: w(stepNone, "Stalled=True/AmbiguousCreate", failedKS),
			deleteOrphan: orphaned,
		}},
		{"Granted (future start)", withRequest(pim.StatusGranted), map[mode]*want{
			active: w(stepNone, "Active=False/NotStarted,Ready=True/NotStarted", current), cancelled: cancel, deleteCancel: cancel,
			deleteOrphan: orphaned, adopted: w(stepNone, "Active=False/NotStarted,Submitted=True/Adopted", current),
		}},
		{"PendingApproval", withRequest(pim.StatusPendingApproval), map[mode]*want{
			active: w(stepPoll, "Active=False/Pending,Ready=True/Pending", current), cancelled: cancel, deleteCancel: cancel,
			deleteOrphan: orphaned, adopted: w(stepPoll, "Active=False/Pending,Submitted=True/Adopted", current),
		}},
		{"PendingAdminDecision", withRequest(pim.StatusPendingAdminDecision), map[mode]*want{
			active: w(stepPoll, "Active=False/Pending", current), cancelled: cancel, deleteCancel: cancel,
			deleteOrphan: orphaned, adopted: w(stepPoll, "Active=False/Pending", current),
		}},
		{"PendingProvisioning", withRequest(pim.StatusPendingProvisioning), map[mode]*want{
			active: transient, cancelled: w(stepPoll, "Reconciling=True/Progressing,Cancelled=False/Cancelling", inProgress),
			deleteCancel: transient, deleteOrphan: orphaned, adopted: transient,
		}},
		{"PendingScheduleCreation", withRequest(pim.StatusPendingScheduleCreation), map[mode]*want{
			active: transient, cancelled: transient, deleteCancel: transient, deleteOrphan: orphaned, adopted: transient,
		}},
		{"Provisioned", withRequest(pim.StatusProvisioned), map[mode]*want{
			active: provisioned, cancelled: remove, deleteCancel: remove, deleteOrphan: orphaned,
			adopted: w(stepNone, "Active=True/Provisioned,Submitted=True/Adopted", current),
		}},
		{"ScheduleCreated", withRequest(pim.StatusScheduleCreated), map[mode]*want{
			active: provisioned, cancelled: remove, deleteCancel: remove, deleteOrphan: orphaned,
			adopted: w(stepNone, "Active=True/Provisioned", current),
		}},
		{"Provisioned, past endDateTime", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Status.EndDateTime = mt(t0) }), map[mode]*want{
			active: w(stepNone, "Active=False/Expired,Ready=True/Expired", current), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Active=False/Expired", current),
		}},
		{"Canceled", withRequest(pim.StatusCanceled), map[mode]*want{
			active: w(stepNone, "Active=False/Cancelled,Ready=True/Cancelled", current), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Active=False/Cancelled", current),
		}},
		{"Revoked", withRequest(pim.StatusRevoked), map[mode]*want{
			active: w(stepNone, "Active=False/Removed", current), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Active=False/Removed", current),
		}},
		{"Denied", withRequest(pim.StatusDenied), map[mode]*want{
			active: w(stepNone, "Stalled=True/Denied,Ready=False/Denied", failedKS), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Stalled=True/Denied", failedKS),
		}},
		{"Failed", withRequest(pim.StatusFailed), map[mode]*want{
			active: w(stepNone, "Stalled=True/Failed", failedKS), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Stalled=True/Failed", failedKS),
		}},
		{"request 404 (purged) and schedule 404", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Gone = true }), map[mode]*want{
			active: w(stepNone, "Active=False/RequestGone,Ready=True/RequestGone", current), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Active=False/RequestGone", current),
		}},
		{"cancel answered 204", then(withRequest(pim.StatusCanceled), func(o *observation) { o.Outcome = outcomeCancelled }), map[mode]*want{
			cancelled:    w(stepNone, "Cancelled=True/CancelSucceeded,Active=False/Cancelled,Ready=True/CancelSucceeded", current),
			deleteCancel: w(stepFinish, "Cancelled=True/CancelSucceeded", current), deleteOrphan: orphaned,
		}},
		{"adminRemove sent, Revoked", then(withRequest(pim.StatusProvisioned), func(o *observation) {
			o.Status.RemovalRequestID, o.Status.RemovalStatus = "r", string(pim.StatusRevoked)
		}), map[mode]*want{
			cancelled:    w(stepNone, "Cancelled=True/Removed,Active=False/Removed", current),
			deleteCancel: w(stepFinish, "Cancelled=True/Removed", current), deleteOrphan: orphaned,
		}},
		{"adminRemove sent, not Revoked yet", then(withRequest(pim.StatusProvisioned), func(o *observation) {
			o.Status.RemovalRequestID, o.Status.RemovalStatus = "r", string(pim.StatusPendingProvisioning)
		}), map[mode]*want{
			cancelled:    w(stepPoll, "Cancelled=False/Removing,Reconciling=True/Removing", inProgress),
			deleteCancel: w(stepPoll, "Reconciling=True/Removing", inProgress), deleteOrphan: orphaned,
		}},
		{"adminRemove: RoleAssignmentDoesNotExist", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Outcome = outcomeAlreadyGone }), map[mode]*want{
			cancelled: w(stepNone, "Cancelled=True/Removed", current), deleteCancel: w(stepFinish, "Cancelled=True/Removed", current), deleteOrphan: orphaned,
		}},
		{"guard: live schedule is someone else's", then(withRequest(pim.StatusProvisioned), func(o *observation) {
			o.Outcome, o.LiveScheduleID = outcomeNotOwned, "g_member_other"
		}), map[mode]*want{
			cancelled:    w(stepNone, "Cancelled=True/AssignmentNotOwned,Ready=True/AssignmentNotOwned", current),
			deleteCancel: w(stepFinish, "Cancelled=True/AssignmentNotOwned", current), deleteOrphan: orphaned,
		}},
		{"guard: no live schedule", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Outcome = outcomeNoLive }), map[mode]*want{
			cancelled: alreadyEnded(stepNone), deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned,
		}},
		// Guard rails (--policy-mode=enforce). A create needs a permitting policy; ending this
		// object's own request does not; a submitted request only shows the new verdict.
		{"no request, not permitted", withVerdict(deniedVerdict), map[mode]*want{
			active: w(stepNone, "Stalled=True/NotPermitted,Ready=False/NotPermitted,Permitted=False/NotPermitted,"+
				"Submitted=False/NotPermitted,Active=False/NotPermitted", failedKS),
			cancelled:    w(stepNone, "Cancelled=True/AlreadyEnded,Submitted=False/NotSubmitted,Permitted=False/NotPermitted", current),
			deleteCancel: nothingToEnd(stepFinish), deleteOrphan: orphaned,
		}},
		{"create-pending marker, settled, not permitted", then(marker(3*time.Minute), func(o *observation) { o.Searched = true }, withVerdict(deniedVerdict)), map[mode]*want{
			active:    w(stepNone, "Stalled=True/NotPermitted,Submitted=False/NotPermitted", failedKS),
			cancelled: nothingToEnd(stepNone), deleteCancel: nothingToEnd(stepFinish), deleteOrphan: orphaned,
		}},
		{"no request, permitted", withVerdict(permittedVerdict), map[mode]*want{
			active:    w(stepCreate, "Permitted=True/Permitted,Reconciling=True/Progressing", inProgress),
			cancelled: nothingToEnd(stepNone), deleteCancel: nothingToEnd(stepFinish), deleteOrphan: orphaned,
		}},
		{"Provisioned, no longer permitted", then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionSubmitted, metav1.ConditionTrue, v1.ReasonCreated), withVerdict(deniedVerdict)), map[mode]*want{
			active:    w(stepNone, "Active=True/Provisioned,Ready=True/Provisioned,Permitted=False/NotPermitted", current),
			cancelled: remove, deleteCancel: remove, deleteOrphan: orphaned,
			adopted: w(stepNone, "Active=True/Provisioned,Submitted=True/Adopted,Permitted=False/NotPermitted", current),
		}},
		{"Granted, no longer permitted", then(withRequest(pim.StatusGranted), recorded(v1.ConditionSubmitted, metav1.ConditionTrue, v1.ReasonCreated), withVerdict(deniedVerdict)), map[mode]*want{
			active:    w(stepNone, "Active=False/NotStarted,Ready=True/NotStarted,Permitted=False/NotPermitted", current),
			cancelled: cancel, deleteCancel: cancel, deleteOrphan: orphaned,
		}},
		{"PendingApproval, first look, not permitted", then(withRequest(pim.StatusPendingApproval), withVerdict(deniedVerdict)), map[mode]*want{
			adopted:      w(stepNone, "Stalled=True/NotPermitted,Ready=False/NotPermitted,Submitted=False/NotPermitted,Permitted=False/NotPermitted", failedKS),
			deleteOrphan: orphaned,
		}},
		{"PendingApproval, first look, permitted", then(withRequest(pim.StatusPendingApproval), withVerdict(permittedVerdict)), map[mode]*want{
			adopted: w(stepPoll, "Submitted=True/Adopted,Permitted=True/Permitted,Ready=True/Pending", current),
		}},
		// The resync of an active assignment reads its schedule too: 404 → removed elsewhere.
		{"Provisioned, schedule 404 at resync", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.ScheduleGone = true }), map[mode]*want{
			active: w(stepNone, "Active=False/Removed,Ready=True/Removed,Submitted=True/Created", current), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Active=False/Removed,Ready=True/Removed", current),
		}},
		{"Provisioned, removed elsewhere, recorded", then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)), map[mode]*want{
			active: w(stepNone, "Active=False/Removed,Ready=True/Removed", current), cancelled: alreadyEnded(stepNone),
			deleteCancel: alreadyEnded(stepFinish), deleteOrphan: orphaned, adopted: w(stepNone, "Active=False/Removed", current),
		}},
		{"ended as asked, recorded", then(withRequest(pim.StatusCanceled), func(o *observation) {
			meta.SetStatusCondition(&o.Status.Conditions, metav1.Condition{Type: v1.ConditionCancelled, Status: metav1.ConditionTrue, Reason: v1.ReasonCancelSucceeded})
			meta.SetStatusCondition(&o.Status.Conditions, metav1.Condition{Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonCancelSucceeded})
		}), map[mode]*want{
			cancelled: w(stepNone, "Cancelled=True/CancelSucceeded", current), deleteCancel: w(stepFinish, "Cancelled=True/CancelSucceeded", current),
			deleteOrphan: orphaned,
		}},
	}
}

func observe(m mode, setup func(*observation)) observation {
	o := observation{Now: t0, Policy: v1.DeletionPolicyCancel}
	switch m {
	case cancelled:
		o.Cancelled = true
	case deleteCancel:
		o.Deleting = true
	case deleteOrphan:
		o.Deleting, o.Policy = true, v1.DeletionPolicyOrphan
	case adopted:
		o.Adopted, o.Policy = true, v1.DeletionPolicyOrphan
	}
	if setup != nil {
		setup(&o)
	}
	return o
}

// recordOn records d on an object carrying o's status, the way Reconcile does, and returns it.
func recordOn(o observation, d decision) *v1.PIMAssignmentRequest {
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns", Generation: 3}}
	obj.Status = *o.Status.DeepCopy()
	r := &Reconciler{Recorder: events.NewFakeRecorder(100), Now: func() time.Time { return o.Now }}
	r.record(context.Background(), obj, d, "Test")
	return obj
}

func kstatusOf(t *testing.T, obj *v1.PIMAssignmentRequest) kstatus.Status {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(v1.GroupVersion.String())
	u.SetKind("PIMAssignmentRequest")
	res, err := kstatus.Compute(u)
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

func checkConds(t *testing.T, conds []metav1.Condition, spec string) {
	t.Helper()
	for _, c := range strings.Split(spec, ",") {
		typ, rest, _ := strings.Cut(c, "=")
		st, reason, _ := strings.Cut(rest, "/")
		got := meta.FindStatusCondition(conds, typ)
		if got == nil || string(got.Status) != st || got.Reason != reason {
			t.Errorf("condition %s: got %+v, want %s/%s", typ, got, st, reason)
		}
	}
}

// TestDecideTable walks every row of DESIGN §4 in every mode: the step, the conditions and the
// kstatus result they produce.
func TestDecideTable(t *testing.T) {
	for _, rw := range rows() {
		for _, m := range modes {
			cell := rw.cells[m]
			if cell == nil {
				continue
			}
			t.Run(rw.name+"/"+string(m), func(t *testing.T) {
				o := observe(m, rw.setup)
				d := decide(o, testOpt)
				if d.Step != cell.step {
					t.Errorf("step: got %s, want %s", d.Step, cell.step)
				}
				if m == adopted && d.Step == stepCreate {
					t.Error("an adopted object must never create")
				}
				obj := recordOn(o, d)
				checkConds(t, obj.Status.Conditions, cell.conds)
				if obj.Status.ObservedGeneration != obj.Generation {
					t.Errorf("observedGeneration %d, want %d", obj.Status.ObservedGeneration, obj.Generation)
				}
				if got := kstatusOf(t, obj); got != cell.ks {
					t.Errorf("kstatus: got %s, want %s (conditions %+v)", got, cell.ks, obj.Status.Conditions)
				}
				// Every row that waits for Graph must come back by itself; settled rows need not.
				if d.Step == stepPoll && d.After <= 0 {
					t.Errorf("poll without RequeueAfter")
				}
				if d.Err != nil {
					t.Errorf("decide returned an error: %v", d.Err)
				}
			})
		}
	}
}

// TestDecideRequeue pins the timings: expiry at the end time (not a tight poll), Granted at
// its start, resync for live access, the settle period, and stalled backoff that grows.
func TestDecideRequeue(t *testing.T) {
	o := observe(active, withRequest(pim.StatusProvisioned))
	if d := decide(o, testOpt); d.After != time.Hour {
		t.Errorf("Provisioned ending in 1h: RequeueAfter %s, want 1h (the end time)", d.After)
	}
	o.Status.EndDateTime = mt(t0.Add(48 * time.Hour))
	if d := decide(o, testOpt); d.After != testOpt.ResyncPeriod {
		t.Errorf("Provisioned ending in 48h: RequeueAfter %s, want the resync period", d.After)
	}
	o = observe(active, withRequest(pim.StatusGranted))
	if d := decide(o, testOpt); d.After != time.Hour {
		t.Errorf("Granted starting in 1h: RequeueAfter %s, want 1h", d.After)
	}
	o = observe(active, then(marker(90*time.Second), func(o *observation) { o.Searched = true }))
	if d := decide(o, testOpt); d.After <= 0 || d.After > 30*time.Second {
		t.Errorf("settle period ends in 30s: RequeueAfter %s, want (0, 30s]", d.After)
	}
	prev := time.Duration(0)
	for n := int32(0); n < 5; n++ {
		o = observe(active, then(marker(time.Minute), func(o *observation) {
			o.Searched, o.Matches, o.Status.Failures = true, []pim.Request{{ID: "a"}, {ID: "b"}}, n
		}))
		d := decide(o, testOpt)
		if !d.Failure || d.After <= prev {
			t.Errorf("failures=%d: After %s (previous %s), Failure %v: want a growing backoff", n, d.After, prev, d.Failure)
		}
		prev = d.After
	}
	// Pending approval: the poll grows with the wait and is capped.
	o = observe(adopted, withRequest(pim.StatusPendingApproval))
	o.Status.Conditions = []metav1.Condition{{Type: v1.ConditionSubmitted, Status: metav1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0.Add(-time.Minute))}}
	if d := decide(o, testOpt); d.After != 30*time.Second {
		t.Errorf("pending for 1m: poll after %s, want 30s", d.After)
	}
	o.Status.Conditions[0].LastTransitionTime = metav1.NewTime(t0.Add(-24 * time.Hour))
	if d := decide(o, testOpt); d.After != testOpt.MaxPollInterval {
		t.Errorf("pending for a day: poll after %s, want the cap %s", d.After, testOpt.MaxPollInterval)
	}
}

// TestTerminalReadsNothing: objects whose status alone decides cost zero Graph calls.
func TestTerminalReadsNothing(t *testing.T) {
	cases := []struct {
		name string
		m    mode
		set  func(*observation)
		want graphRead
	}{
		{"no request yet", active, nil, readNothing},
		{"Provisioned", active, withRequest(pim.StatusProvisioned), readRequest},
		{"Granted", active, withRequest(pim.StatusGranted), readRequest},
		{"expired", active, then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Status.EndDateTime = mt(t0) }), readNothing},
		{"Canceled", active, withRequest(pim.StatusCanceled), readNothing},
		{"Revoked", cancelled, withRequest(pim.StatusRevoked), readNothing},
		{"Denied", active, withRequest(pim.StatusDenied), readNothing},
		{"Failed", deleteCancel, withRequest(pim.StatusFailed), readNothing},
		{"orphaned on delete", deleteOrphan, withRequest(pim.StatusProvisioned), readNothing},
		{"removal followed", cancelled, then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Status.RemovalRequestID = "r" }), readRemoval},
		{"removal done", cancelled, then(withRequest(pim.StatusProvisioned), func(o *observation) {
			o.Status.RemovalRequestID, o.Status.RemovalStatus = "r", "Revoked"
		}), readNothing},
		{"gone", active, then(withRequest(pim.StatusProvisioned), func(o *observation) {
			o.Status.Conditions = []metav1.Condition{{Type: v1.ConditionActive, Status: metav1.ConditionFalse, Reason: v1.ReasonRequestGone}}
		}), readNothing},
		{"Provisioned, active: request and schedule", active, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned)), readActive},
		{"Provisioned, adopted, active", adopted, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned)), readActive},
		{"Provisioned, active, cancelled: the removal's guard reads the schedule", cancelled, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned)), readRequest},
		{"removed elsewhere, recorded", active, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)), readNothing},
		{"removed elsewhere, then cancelled", cancelled, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)), readNothing},
		{"cancelled and recorded", cancelled, then(withRequest(pim.StatusGranted), func(o *observation) {
			o.Status.Conditions = []metav1.Condition{{Type: v1.ConditionCancelled, Status: metav1.ConditionTrue, Reason: v1.ReasonCancelSucceeded}}
		}), readNothing},
	}
	for _, c := range cases {
		if got := whatToRead(observe(c.m, c.set)); got != c.want {
			t.Errorf("%s: read %d, want %d", c.name, got, c.want)
		}
	}
}

// TestFailed maps Graph failures onto conditions and requeues.
func TestFailed(t *testing.T) {
	o := observe(active, nil)
	pre := decide(o, testOpt)

	throttled := &pim.Error{Op: "createRequest", Class: pim.ClassThrottled, HTTPStatus: 429, RetryAfter: 42 * time.Second, RequestID: "rid-1"}
	d := failed(pre, "create", throttled, o, testOpt)
	if d.Err != nil || d.After != 42*time.Second {
		t.Errorf("throttled: After %s Err %v, want 42s and no error (an error discards RequeueAfter)", d.After, d.Err)
	}
	obj := recordOn(o, d)
	checkConds(t, obj.Status.Conditions, "Reconciling=True/Throttled,Ready=False/Throttled,Submitted=False/NotSubmitted")
	if kstatusOf(t, obj) != inProgress {
		t.Error("throttled must be InProgress")
	}

	rejected := &pim.Error{Op: "createRequest", Class: pim.ClassUserFixable, HTTPStatus: 400,
		Code: pim.CodePolicyValidationFailed, Message: "The following policy rules failed: [\"ExpirationRule\"]", RequestID: "rid-2"}
	d = failed(pre, "create", rejected, o, testOpt)
	obj = recordOn(o, d)
	checkConds(t, obj.Status.Conditions, "Stalled=True/GraphRejected,Ready=False/GraphRejected")
	msg := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionStalled).Message
	for _, s := range []string{pim.CodePolicyValidationFailed, "ExpirationRule", "rid-2"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Stalled message %q lacks %q", msg, s)
		}
	}
	if obj.Status.Failures != 1 || d.Err != nil || d.After != testOpt.StalledBackoff || kstatusOf(t, obj) != failedKS {
		t.Errorf("user-fixable: failures %d After %s Err %v", obj.Status.Failures, d.After, d.Err)
	}
	o.Status.Failures = 3
	if d2 := failed(pre, "create", rejected, o, testOpt); d2.After != 8*testOpt.StalledBackoff {
		t.Errorf("fourth failure: After %s, want %s", d2.After, 8*testOpt.StalledBackoff)
	}

	forbidden := &pim.Error{Class: pim.ClassForbidden, HTTPStatus: 403}
	obj = recordOn(o, failed(pre, "create", forbidden, o, testOpt))
	if c := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionStalled); c == nil || !strings.Contains(c.Message, "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup") {
		t.Errorf("403 must name the permission: %+v", c)
	}

	transient := &pim.Error{Class: pim.ClassTransient, HTTPStatus: 503}
	d = failed(pre, "create", transient, o, testOpt)
	obj = recordOn(o, d)
	if d.Err == nil || kstatusOf(t, obj) != inProgress {
		t.Errorf("transient: want an error for the rate limiter and InProgress")
	}
	checkConds(t, obj.Status.Conditions, "Reconciling=True/GraphUnavailable")

	o = observe(cancelled, withRequest(pim.StatusProvisioned))
	o.Status.CreatedDateTime = mt(t0.Add(-time.Minute))
	tooShort := &pim.Error{Class: pim.ClassTransient, HTTPStatus: 400, Code: pim.CodeActiveDurationTooShort}
	d = failed(decide(o, testOpt), "remove", tooShort, o, testOpt)
	// One second past created+MinActiveAge: status keeps whole seconds, Graph does not.
	if d.Err != nil || d.After != testOpt.MinActiveAge-time.Minute+time.Second {
		t.Errorf("ActiveDurationTooShort: After %s Err %v, want created+%s+1s", d.After, d.Err, testOpt.MinActiveAge)
	}

	dup := &errDuplicate{err: &pim.Error{Class: pim.ClassAssignmentExists, Code: pim.CodeRoleAssignmentExists}, triple: pim.Triple{PrincipalID: "p"}}
	obj = recordOn(o, failed(pre, "create", dup, o, testOpt))
	checkConds(t, obj.Status.Conditions, "Stalled=True/DuplicateAssignment")

	plain := errors.New("conflict")
	if d := failed(pre, "create", plain, o, testOpt); d.Err == nil {
		t.Error("an API-server failure must go back to the rate limiter")
	}
}

// TestRecordEventsFollowConditions: an event carries exactly its condition's reason and
// message, and only when the condition changes.
func TestRecordEventsFollowConditions(t *testing.T) {
	o := observe(cancelled, then(withRequest(pim.StatusCanceled), func(o *observation) { o.Outcome = outcomeCancelled }))
	d := decide(o, testOpt)
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns"}}
	obj.Status = o.Status
	rec := events.NewFakeRecorder(10)
	r := &Reconciler{Recorder: rec, Now: func() time.Time { return t0 }}
	r.record(context.Background(), obj, d, "Cancel")
	r.record(context.Background(), obj, d, "Cancel")
	close(rec.Events)
	var got []string
	for e := range rec.Events {
		got = append(got, e)
	}
	want := fmt.Sprintf("Normal %s Graph returned 204 No Content", v1.ReasonCancelSucceeded)
	if len(got) != 1 || got[0] != want {
		t.Errorf("events %q: want exactly one %q (the second recording changes nothing)", got, want)
	}
}
