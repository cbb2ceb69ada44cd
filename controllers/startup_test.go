package controllers

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// Only reads that steady state would also leave for later may wait for their turn after a
// start; anything asked of the object, or in doubt, is read at once.
func TestReadDeferral(t *testing.T) {
	due := t0.Add(3 * time.Minute)
	live := then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned))
	granted := then(withRequest(pim.StatusGranted), recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonNotStarted))
	cases := []struct {
		name     string
		m        mode
		set      func(*observation)
		observed bool
		due      time.Time
		want     time.Duration
	}{
		{"live, ends after its turn", active, live, true, due, 3 * time.Minute},
		{"live, ends before its turn", active, then(live, func(o *observation) { o.Status.EndDateTime = mt(t0.Add(time.Minute)) }), true, due, 0},
		{"live, no end", active, then(live, func(o *observation) { o.Status.EndDateTime = nil }), true, due, 3 * time.Minute},
		{"a future start after its turn", active, granted, true, due, 3 * time.Minute},
		{"a start before its turn", active, then(granted, func(o *observation) { o.Status.StartDateTime = mt(t0.Add(time.Minute)) }), true, due, 0},
		{"its turn has come", active, live, true, t0, 0},
		{"the spec changed since the status was written", active, live, false, due, 0},
		{"cancelled", cancelled, live, true, due, 0},
		{"deleted with Cancel", deleteCancel, live, true, due, 0},
		{"deleted with Orphan", deleteOrphan, live, true, due, 0},
		{"a status without the operator's seal", active, then(live, func(o *observation) { o.Sealed = false }), true, due, 0},
		{"its schedule went missing once", active, then(live, func(o *observation) { o.Status.ScheduleMissingSince = mt(t0) }), true, due, 0},
		{"removed elsewhere, recorded", active, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)), true, due, 0},
		{"past its end, not yet recorded", active, then(live, func(o *observation) { o.Status.EndDateTime = mt(t0.Add(-time.Minute)) }), true, due, 0},
		{"no request yet", active, nil, true, due, 0},
		{"a create in flight", active, marker(time.Minute), true, due, 0},
	}
	for _, c := range cases {
		o := observe(c.m, c.set)
		if got := readDeferral(o, readFor(o), c.observed, c.due); got != c.want {
			t.Errorf("%s: deferral %v, want %v", c.name, got, c.want)
		}
	}
}

// Each object waits for its own offset once, in its first reconcile since the start; a later
// reconcile (a watch event, a poke) reads at once, and after the spread nothing waits.
func TestStartupSpreadDefersTheFirstReconcileOnly(t *testing.T) {
	live := then(withRequest(pim.StatusProvisioned), recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned),
		func(o *observation) { o.Status.EndDateTime = nil })
	o := observe(active, live)
	s := &startupSpread{spread: 10 * time.Minute}
	const uid = types.UID("0b7a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d")
	wait := s.deferral(o, readFor(o), uid, true)
	if want := spreadOffset(uid, s.spread); wait != want || wait <= 0 || wait >= s.spread {
		t.Fatalf("first reconcile: wait %v, want its offset %v within the spread", wait, want)
	}
	if again := s.deferral(o, readFor(o), uid, true); again != 0 {
		t.Errorf("second reconcile: wait %v, want 0", again)
	}
	late := o
	late.Now = t0.Add(11 * time.Minute)
	if w := s.deferral(late, readFor(late), "another", true); w != 0 || s.seen != nil {
		t.Errorf("after the spread: wait %v, seen %v; want 0 and forgotten", w, s.seen)
	}
	if w := (&startupSpread{}).deferral(o, readFor(o), uid, true); w != 0 {
		t.Errorf("spread 0: wait %v, want 0", w)
	}
	// Offsets cover the spread.
	var lo, hi time.Duration = s.spread, 0
	for i := range 1000 {
		off := spreadOffset(types.UID(guidOf(i)), s.spread)
		lo, hi = min(lo, off), max(hi, off)
	}
	if lo > time.Minute || hi < 9*time.Minute {
		t.Errorf("1,000 offsets within %v..%v; want them across the spread", lo, hi)
	}
}

func guidOf(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
