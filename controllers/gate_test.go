package controllers

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// TestTrustRules: what the operator may do for an object at all, before the table of Graph
// states — the gate (no Graph call without a policy or something proven of the object's own),
// ownership before every write, foreign requests, unreadable specs.
func TestTrustRules(t *testing.T) {
	unsealed := func(o *observation) { o.Sealed, o.Graph.Proven = false, false }
	foreignReq := func(o *observation) { o.Graph.Foreign = "request r was made for the object ns/other (uid u-2)" }
	sealedMarker := func(o *observation) { m := t0.Add(-time.Minute); o.CreatePending, o.CreatePendingSealed = &m, true }
	userMarker := func(o *observation) { m := t0.Add(-time.Minute); o.CreatePending = &m }
	for _, c := range []struct {
		name  string
		m     mode
		set   func(*observation)
		step  step
		conds string
		msg   []string
	}{
		{"denied, marker the user wrote: no list", active, then(userMarker, withVerdict(deniedVerdict)),
			stepNone, "Stalled=True/NotPermitted", []string{"nothing was sent to Graph"}},
		{"denied, marker the operator wrote: look for the create", deleteCancel, then(sealedMarker, withVerdict(deniedVerdict)),
			stepFind, "Reconciling=True/CreatePending", nil},
		{"denied, marker the operator wrote, settled: never 'nothing was sent'", active, then(sealedMarker, func(o *observation) {
			m := t0.Add(-time.Hour)
			o.CreatePending, o.Graph.Searched = &m, true
		}, withVerdict(deniedVerdict)), stepNone, "Stalled=True/NotPermitted", []string{"may have reached Graph"}},
		{"denied, unsealed status: no read, no removal", cancelled, then(withRequest(pim.StatusProvisioned), unsealed, withVerdict(deniedVerdict)),
			stepNone, "Stalled=True/NotPermitted", []string{"neither read nor ended"}},
		{"denied, sealed status: ending needs no policy", cancelled, then(withRequest(pim.StatusProvisioned), withVerdict(deniedVerdict)),
			stepRemove, "Reconciling=True/Removing", nil},
		{"permitted, not shown to be this object's: no removal", cancelled, then(withRequest(pim.StatusProvisioned), unsealed),
			stepNone, "Stalled=True/ForeignRequest", []string{"not shown to be this object's"}},
		{"permitted, not shown to be this object's: no cancel", deleteCancel, then(withRequest(pim.StatusGranted), unsealed),
			stepNone, "Stalled=True/ForeignRequest", nil},
		{"the recorded request is another object's", cancelled, then(withRequest(pim.StatusProvisioned), foreignReq),
			stepNone, "Stalled=True/ForeignRequest,Submitted=False/ForeignRequest", []string{"ns/other", "neither reads"}},
		{"another object's request, deleted: the object goes, the request stays", deleteCancel, then(withRequest(pim.StatusProvisioned), foreignReq),
			stepFinish, "Ready=True/ForeignRequest", []string{"the request stays"}},
		{"another object's request, but this object posted a create: find its own", cancelled, then(withRequest(pim.StatusProvisioned), foreignReq, sealedMarker),
			stepFind, "Reconciling=True/CreatePending", nil},
		{"adopting another object's request", adopted, then(withRequest(pim.StatusPendingApproval), func(o *observation) {
			o.Cancelled = true
			o.Graph.Foreign = "request r is managed by the object team-b/oncall (uid u-3)"
		}), stepNone, "Stalled=True/ForeignRequest", []string{"team-b/oncall", "adopt only a request no other object manages"}},
		{"unreadable spec", active, func(o *observation) { o.SpecError = `spec.schedule.expiration.duration: "1d" is not a duration` },
			stepNone, "Stalled=True/InvalidSpec,Submitted=False/InvalidSpec", []string{`"1d"`, "create a new object"}},
		{"unreadable spec, deleted: nothing to end", deleteCancel, func(o *observation) { o.SpecError = "x" },
			stepFinish, "Cancelled=True/AlreadyEnded", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := observe(c.m, c.set)
			d := decide(o, testOpt)
			if d.Step != c.step {
				t.Errorf("step %s, want %s", d.Step, c.step)
			}
			obj := recordOn(o, d)
			checkConds(t, obj.Status.Conditions, c.conds)
			st := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionStalled)
			rd := meta.FindStatusCondition(obj.Status.Conditions, v1.ConditionReady)
			for _, s := range c.msg {
				if (st == nil || !strings.Contains(st.Message, s)) && (rd == nil || !strings.Contains(rd.Message, s)) {
					t.Errorf("no message says %q: %+v", s, obj.Status.Conditions)
				}
			}
			if st != nil && st.Status == "True" && (d.After != 0 || d.Err != nil) && st.Reason != v1.ReasonDuplicateAssignment {
				t.Errorf("%s must wait for a person, not retry: After %s Err %v", st.Reason, d.After, d.Err)
			}
		})
	}
}
