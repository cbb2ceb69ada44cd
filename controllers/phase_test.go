package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// TestTerminalReadsNothing: objects whose status alone decides cost zero Graph calls; the ones
// whose status is a conclusion Graph could still undo read what decides it.
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
		{"past its end: Graph is read before it is declared ended", active, then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Status.EndDateTime = mt(t0) }), readLive},
		{"expired, recorded", active, then(withRequest(pim.StatusProvisioned), func(o *observation) { o.Status.EndDateTime = mt(t0) },
			recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonExpired)), readNothing},
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
			recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned)), readLive},
		{"Provisioned, adopted, active", adopted, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned)), readLive},
		{"Provisioned, active, cancelled: the removal's guard reads the schedule", cancelled, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionTrue, v1.ReasonProvisioned)), readRequest},
		{"removed elsewhere, recorded: a later read may find it (at the resync, or when poked)", active, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)), readLive},
		{"removed elsewhere, then cancelled: the witness confirms", cancelled, then(withRequest(pim.StatusProvisioned),
			recorded(v1.ConditionActive, metav1.ConditionFalse, v1.ReasonRemoved)), readWitness},
		{"cancelled and recorded", cancelled, then(withRequest(pim.StatusGranted), func(o *observation) {
			o.Status.Conditions = []metav1.Condition{{Type: v1.ConditionCancelled, Status: metav1.ConditionTrue, Reason: v1.ReasonCancelSucceeded}}
		}), readNothing},
	}
	for _, c := range cases {
		if got := readFor(observe(c.m, c.set)); got != c.want {
			t.Errorf("%s: read %d, want %d", c.name, got, c.want)
		}
	}
}
