package controllers

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// TestNeverConcludeFromOneAnswer: the rows of Graph's failure modes — a single 404 is not the
// end, "removed elsewhere" is not forever, an ending finishes only once the triple's live
// schedules confirm nothing of this object's is live, a duplicate stays Stalled without
// posting again, reads follow Graph rather than the clock.
func TestNeverConcludeFromOneAnswer(t *testing.T) {
	witnessed := func(own, any bool) func(*observation) {
		return func(o *observation) { o.Graph.Witnessed, o.Graph.OwnLive, o.Graph.AnyLive = true, own, any || own }
	}
	duplicate := recorded(v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDuplicateAssignment)
	// before is the state before the read, for the rows where the read changed the status.
	before := map[string]func(*observation){
		"past its end, extended in the portal: live": then(withRequest(pim.StatusProvisioned),
			func(o *observation) { o.Status.EndDateTime = mt(t0.Add(-time.Minute)) }),
		"expired, recorded, cancelled, still live after all: removed": then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonExpired), func(o *observation) { o.Status.EndDateTime = mt(t0.Add(-time.Minute)) }),
	}
	for _, c := range []struct {
		name     string
		m        mode
		set      func(*observation)
		read     graphRead // before the read
		step     step
		conds    string
		maxAfter time.Duration // 0: not checked
	}{
		{"first 404 for the schedule of live access: still live, look again soon", active,
			then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned),
				func(o *observation) { o.Graph.ScheduleSuspect = true }),
			readLive, stepNone, "Active=True/Provisioned", testOpt.PollInterval},
		{"second 404, confirmed by the witness: removed elsewhere", active,
			then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Graph.ScheduleGone = true }, witnessed(false, false)),
			readRequest, stepNone, "Active=False/Removed", 0},
		{"removed elsewhere, recorded; a later read finds the schedule: live again", active,
			then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved),
				func(o *observation) { o.Graph.ScheduleRead = true }),
			readLive, stepNone, "Active=True/Provisioned", 0},
		{"removed elsewhere, recorded, cancelled: the witness first", cancelled,
			then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)),
			readWitness, stepNone, "Cancelled=True/AlreadyEnded", 0},
		{"removed elsewhere, cancelled, but the witness finds it live: removed", cancelled,
			then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved), witnessed(true, true)),
			readWitness, stepRemove, "Reconciling=True/Removing", 0},
		{"request and schedule 404, deleted, the witness finds it live: removed", deleteCancel,
			then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRequestGone), witnessed(true, true)),
			readWitness, stepRemove, "Reconciling=True/Removing", 0},
		{"request and schedule 404, deleted, nothing live: it goes", deleteCancel,
			then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Graph.Gone = true }, witnessed(false, false)),
			readRequest, stepFinish, "Cancelled=True/AlreadyEnded", 0},
		{"past its end, not yet recorded: Graph is read first", active,
			then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Status.EndDateTime = mt(t0.Add(-time.Minute)) }),
			readLive, stepNone, "Active=False/Expired", 0},
		{"past its end, extended in the portal: live", active,
			then(withRequest(pim.StatusProvisioned), func(o *observation) {
				o.Status.EndDateTime, o.Graph.ScheduleRead = mt(t0.Add(time.Hour)), true
			}), readLive, stepNone, "Active=True/Provisioned", 0},
		{"expired, recorded, cancelled, still live after all: removed", cancelled,
			then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonExpired),
				witnessed(true, true), func(o *observation) { o.Status.EndDateTime = mt(t0.Add(time.Hour)) }),
			readWitness, stepRemove, "Reconciling=True/Removing", 0},
		{"duplicate, the other assignment still there: Stalled, no POST", active,
			then(duplicate, witnessed(false, true)), readWitness, stepNone, "Stalled=True/DuplicateAssignment,Ready=False/DuplicateAssignment", 0},
		{"duplicate, the other assignment gone: create", active, then(duplicate, witnessed(false, false)),
			readWitness, stepCreate, "Reconciling=True/Progressing", 0},
		{"duplicate, deleted: nothing of its own to find", deleteCancel, duplicate,
			readNothing, stepFinish, "Cancelled=True/AlreadyEnded", 0},
		{"Granted an hour past its start: the schedule is read, polls grow", active,
			then(withRequest(pim.StatusGranted), func(o *observation) { o.Status.StartDateTime = mt(t0.Add(-time.Hour)) }),
			readLive, stepPoll, "Active=False/NotStarted", 0},
		{"the removal request was purged, nothing live: removed", cancelled,
			then(withRequest(pim.StatusProvisioned), func(o *observation) {
				o.Status.RemovalRequestID, o.Status.RemovalStatus = "r", string(pim.StatusRevoked)
				o.Graph.RemovalGone = true
			}), readNothing, stepNone, "Cancelled=True/Removed", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := observe(c.m, c.set)
			pre := o
			pre.Graph = graphFacts{}
			if p, ok := before[c.name]; ok {
				pre = observe(c.m, p)
			}
			if got := readFor(pre); got != c.read {
				t.Errorf("read %d, want %d", got, c.read)
			}
			d := decide(o, testOpt)
			if d.Step != c.step {
				t.Errorf("step %s, want %s", d.Step, c.step)
			}
			if c.maxAfter > 0 && (d.After <= 0 || d.After > c.maxAfter) {
				t.Errorf("RequeueAfter %s, want (0, %s]", d.After, c.maxAfter)
			}
			checkConds(t, recordOn(o, d).Status.Conditions, c.conds)
		})
	}
}

// TestStalledStaysStalled: the duplicate's failure count grows and with it the wait, capped.
func TestStalledStaysStalled(t *testing.T) {
	prev := time.Duration(0)
	for n := int32(1); n < 12; n++ {
		o := observe(active, then(recorded(v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDuplicateAssignment), func(o *observation) {
			o.Graph.Witnessed, o.Graph.AnyLive, o.Status.Failures = true, true, n
		}))
		d := decide(o, testOpt)
		if !d.Failure || d.After < prev || d.After > testOpt.MaxStalledBackoff {
			t.Fatalf("failures %d: After %s (previous %s), Failure %v", n, d.After, prev, d.Failure)
		}
		prev = d.After
		if obj := recordOn(o, d); obj.Status.Failures != n+1 || !meta.IsStatusConditionTrue(obj.Status.Conditions, v1.ConditionStalled) {
			t.Fatalf("failures %d → %d, conditions %+v", n, obj.Status.Failures, obj.Status.Conditions)
		}
	}
	if prev != testOpt.MaxStalledBackoff {
		t.Errorf("the backoff ends at %s, want the cap %s", prev, testOpt.MaxStalledBackoff)
	}
}

// TestGrantedPastStartPollsLessAndLess: a request still Granted long after its start is not
// read every PollInterval forever.
func TestGrantedPastStartPollsLessAndLess(t *testing.T) {
	o := observe(active, then(withRequest(pim.StatusGranted), func(o *observation) { o.Status.StartDateTime = mt(t0.Add(-6 * time.Hour)) }))
	if d := decide(o, testOpt); d.After != testOpt.MaxPollInterval {
		t.Errorf("Granted 6h past its start: poll after %s, want the cap %s", d.After, testOpt.MaxPollInterval)
	}
	if got := readFor(o); got != readLive {
		t.Errorf("Granted past its start must read its schedule: read %d, want %d", got, readLive)
	}
}
