package controllers

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
	"github.com/pim-operator/pim-operator/internal/testenv"
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
		// The reconcile read it and Graph showed it this object's, sealed earlier.
		o.Graph.Proven, o.Sealed = true, true
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

func alreadyEnded(s step) *want { return w(s, "Cancelled=True/AlreadyEnded", current) }

// endedCells are the cells of a row whose access has already ended: asking to end it again
// records that, and a deleted object goes.
func endedCells(whenActive, whenAdopted *want) map[mode]*want {
	return map[mode]*want{active: whenActive, cancelled: alreadyEnded(stepNone), deleteCancel: alreadyEnded(stepFinish),
		deleteOrphan: orphaned, adopted: whenAdopted}
}

func rows() []row {
	notSubmittedCreate := w(stepCreate, "Submitted=False/NotSubmitted,Reconciling=True/Progressing", inProgress)
	nothingToEnd := func(s step) *want { return w(s, "Cancelled=True/AlreadyEnded,Submitted=False/NotSubmitted", current) }
	cancel := w(stepCancel, "Cancelled=False/Cancelling,Reconciling=True/Cancelling", inProgress)
	remove := w(stepRemove, "Cancelled=False/Removing,Reconciling=True/Removing", inProgress)
	transient := w(stepPoll, "Reconciling=True/Progressing,Active=False/Pending", inProgress)
	provisioned := w(stepNone, "Active=True/Provisioned,Submitted=True/Created", current)
	table := []row{
		{"no request, no create-pending marker", nil, map[mode]*want{
			active: notSubmittedCreate, cancelled: nothingToEnd(stepNone), deleteCancel: nothingToEnd(stepFinish),
			deleteOrphan: orphaned, adopted: nil,
		}},
		{"create-pending marker, no requestId, not searched yet", marker(time.Second), map[mode]*want{
			active: w(stepFind, "Reconciling=True/CreatePending", inProgress), cancelled: w(stepFind, "Reconciling=True/CreatePending", inProgress),
			deleteCancel: w(stepFind, "Reconciling=True/CreatePending", inProgress), deleteOrphan: orphaned,
		}},
		{"create-pending marker, none found, within the settle period", then(marker(time.Minute), func(o *observation) { o.Graph.Searched = true }), map[mode]*want{
			active:    w(stepNone, "Reconciling=True/CreatePending,Submitted=False/NotSubmitted", inProgress),
			cancelled: w(stepNone, "Reconciling=True/CreatePending", inProgress), deleteCancel: w(stepNone, "Reconciling=True/CreatePending", inProgress),
			deleteOrphan: orphaned,
		}},
		{"create-pending marker, none found, settled", then(marker(3*time.Minute), func(o *observation) { o.Graph.Searched = true }), map[mode]*want{
			active: notSubmittedCreate, cancelled: nothingToEnd(stepNone), deleteCancel: nothingToEnd(stepFinish), deleteOrphan: orphaned,
		}},
		{"create-pending marker, several found", then(marker(time.Minute), func(o *observation) {
			o.Graph.Searched, o.Graph.Matches = true, []pim.Request{{ID: "a"}, {ID: "b"}}
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
		{"cancel answered 204", then(withRequest(pim.StatusCanceled), func(o *observation) { o.Graph.Outcome = outcomeCancelled }), map[mode]*want{
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
		{"adminRemove: RoleAssignmentDoesNotExist", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Graph.Outcome = outcomeAlreadyGone }), map[mode]*want{
			cancelled: w(stepNone, "Cancelled=True/Removed", current), deleteCancel: w(stepFinish, "Cancelled=True/Removed", current), deleteOrphan: orphaned,
		}},
		{"guard: live schedule is someone else's", then(withRequest(pim.StatusProvisioned), func(o *observation) {
			o.Graph.Outcome, o.Graph.LiveScheduleID = outcomeNotOwned, "g_member_other"
		}), map[mode]*want{
			cancelled:    w(stepNone, "Cancelled=True/AssignmentNotOwned,Ready=True/AssignmentNotOwned", current),
			deleteCancel: w(stepFinish, "Cancelled=True/AssignmentNotOwned", current), deleteOrphan: orphaned,
		}},
		{"guard: no live schedule", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Graph.Outcome = outcomeNoLive }), map[mode]*want{
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
		{"create-pending marker, settled, not permitted", then(marker(3*time.Minute), func(o *observation) { o.Graph.Searched = true }, withVerdict(deniedVerdict)), map[mode]*want{
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
		{"ended as asked, recorded", then(withRequest(pim.StatusCanceled), func(o *observation) {
			meta.SetStatusCondition(&o.Status.Conditions, metav1.Condition{Type: v1.ConditionCancelled, Status: metav1.ConditionTrue, Reason: v1.ReasonCancelSucceeded})
			meta.SetStatusCondition(&o.Status.Conditions, metav1.Condition{Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonCancelSucceeded})
		}), map[mode]*want{
			cancelled: w(stepNone, "Cancelled=True/CancelSucceeded", current), deleteCancel: w(stepFinish, "Cancelled=True/CancelSucceeded", current),
			deleteOrphan: orphaned,
		}},
	}
	// The rows whose access has ended: what the active and adopted columns record, and kstatus.
	for _, e := range []struct {
		name                    string
		setup                   func(*observation)
		whenActive, whenAdopted string
		ks                      kstatus.Status
	}{
		{"Provisioned, past endDateTime", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Status.EndDateTime = mt(t0) }), "Active=False/Expired,Ready=True/Expired", "Active=False/Expired", current},
		{"Canceled", withRequest(pim.StatusCanceled), "Active=False/Cancelled,Ready=True/Cancelled", "Active=False/Cancelled", current},
		{"Revoked", withRequest(pim.StatusRevoked), "Active=False/Removed", "Active=False/Removed", current},
		{"Denied", withRequest(pim.StatusDenied), "Stalled=True/Denied,Ready=False/Denied", "Stalled=True/Denied", failedKS},
		{"Failed", withRequest(pim.StatusFailed), "Stalled=True/Failed", "Stalled=True/Failed", failedKS},
		{"request 404 (purged) and schedule 404", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Graph.Gone = true }), "Active=False/RequestGone,Ready=True/RequestGone", "Active=False/RequestGone", current},
		{"Provisioned, schedule 404 at resync", then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Graph.ScheduleGone = true }), "Active=False/Removed,Ready=True/Removed,Submitted=True/Created", "Active=False/Removed,Ready=True/Removed", current},
		{"Provisioned, removed elsewhere, recorded", then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)), "Active=False/Removed,Ready=True/Removed", "Active=False/Removed", current},
	} {
		table = append(table, row{e.name, e.setup, endedCells(w(stepNone, e.whenActive, e.ks), w(stepNone, e.whenAdopted, e.ks))})
	}
	return table
}

func observe(m mode, setup func(*observation)) observation {
	o := observation{Now: t0, Kind: &AssignmentKind, Policy: v1.DeletionPolicyCancel}
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

var testSealKey = []byte("a key of thirty-two bytes, test!")

// testReconciler records decisions with rec, at now, for the assignment kind.
func testReconciler(rec events.EventRecorder, now time.Time) *Reconciler {
	return &Reconciler{kind: &AssignmentKind, recorder: rec, cfg: Config{Now: func() time.Time { return now }},
		seals: sealer{key: testSealKey}}
}

// recordOn records d on an object carrying o's status, the way Reconcile does, and returns it.
func recordOn(o observation, d decision) *v1.PIMAssignmentRequest {
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns", Generation: 3}}
	obj.Status = *o.Status.DeepCopy()
	r := testReconciler(events.NewFakeRecorder(100), o.Now)
	r.record(context.Background(), obj, d)
	return obj
}

func kstatusOf(t *testing.T, obj *v1.PIMAssignmentRequest) kstatus.Status {
	t.Helper()
	st, err := testenv.Kstatus(obj, "PIMAssignmentRequest")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func checkConds(t *testing.T, conds []metav1.Condition, spec string) {
	t.Helper()
	testenv.CheckConditions(t, conds, spec)
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
	o = observe(active, then(marker(90*time.Second), func(o *observation) { o.Graph.Searched = true }))
	if d := decide(o, testOpt); d.After <= 0 || d.After > 30*time.Second {
		t.Errorf("settle period ends in 30s: RequeueAfter %s, want (0, 30s]", d.After)
	}
	prev := time.Duration(0)
	for n := int32(0); n < 5; n++ {
		o = observe(active, then(marker(time.Minute), func(o *observation) {
			o.Graph.Searched, o.Graph.Matches, o.Status.Failures = true, []pim.Request{{ID: "a"}, {ID: "b"}}, n
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
