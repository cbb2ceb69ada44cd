package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
)

// TestSoakSmall is the CI-size soak: 20 objects, faults on a fifth of the Graph calls, one
// leader SIGKILL and the failover it causes. It builds bin/manager and the Graph emulator
// itself and asserts only that every count that must be zero is zero — never a time.
func TestSoakSmall(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}
	ctrl.SetLogger(logr.Discard())
	cfg := defaultConfig()
	cfg.N, cfg.Window, cfg.Kills, cfg.APIRestarts = 20, 2*time.Minute, 1, 0
	cfg.TailTimeout, cfg.Rest, cfg.MinActiveAge, cfg.StartupReadSpread = 5*time.Minute, 5*time.Second, 5*time.Second, 20*time.Second
	cfg.DeniedShare, cfg.TwinShare, cfg.OrphanShare = 0.1, 0.05, 0.1
	// Shorter waits than production's, so that a CI run takes minutes: the first poll, and how
	// long an unanswered create waits for Graph's list before posting again (it must outlast
	// one Graph call's timeout, 30 s).
	cfg.ManagerArgs = []string{"--poll-interval", "1s", "--create-settle-period", "40s"}
	cfg.Race = raceEnabled
	cfg.Dir = t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()

	res, err := run(ctx, cfg, testLog{t})
	if res != nil && res.Records != nil {
		var b strings.Builder
		report(&b, res, "go test ./hack/soak -run TestSoakSmall")
		t.Log("\n" + b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range res.zeroCounts() {
		if z.Count != 0 {
			t.Errorf("%s: %d, want 0 (the report above lists each with its evidence)", z.Name, z.Count)
		}
	}
	if len(res.Kills) != 1 || res.Kills[0].Err != "" {
		t.Errorf("leader kills: %+v, want one", res.Kills)
	}
	if t.Failed() {
		for _, l := range res.Lives {
			t.Logf("----- %s: last lines -----\n%s", l.Name, strings.Join(tail(res.Dir+"/"+l.Name+".log", 40), "\n"))
		}
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestMarkerUID(t *testing.T) {
	uid := "0b7a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
	for in, want := range map[string]string{
		"on-call [pim-operator.dev soak-a/soak-0001 uid=" + uid + "]":                 uid,
		"[pim-operator.dev ns/n uid=" + strings.ToUpper(uid) + "]":                    uid,
		"pim-operator: spec.cancelled is true [pim-operator.dev a/b uid=" + uid + "]": uid,
		"no marker":                        "",
		"[pim-operator.dev a/b uid=short]": "",
	} {
		if got := markerUID(in); got != want {
			t.Errorf("markerUID(%q) = %q, want %q", in, got, want)
		}
	}
}

// The k-th fault's rate, share ÷ (1 − k·share), makes every fault fire on share of the calls.
func TestFaultRatesGiveEqualShares(t *testing.T) {
	kinds := faultKinds(time.Second)
	rate := 0.2
	share := rate / float64(len(kinds))
	left, total := 1.0, 0.0
	for k := range kinds {
		p := share / (1 - float64(k)*share)
		fired := left * p
		if d := fired - share; d > 1e-12 || d < -1e-12 {
			t.Errorf("fault %d fires on %.6f of the calls, want %.6f", k, fired, share)
		}
		left -= fired
		total += fired
	}
	if d := total - rate; d > 1e-12 || d < -1e-12 {
		t.Errorf("some fault fires on %.6f of the calls, want %.2f", total, rate)
	}
}

func TestPlansStayInTheWindow(t *testing.T) {
	w := workloadConfig{N: 500, Window: 6 * time.Minute, EligibilityShare: 0.4, SoonShare: 0.2, FarShare: 0.2,
		CancelShare: 0.3, DeleteShare: 0.5, OrphanShare: 0.05, TwinShare: 0.04, DeniedShare: 0.04,
		Shape: workloadShape{namespaces: soakNamespaces, groups: 10}}
	plans := makePlans(w, rand.New(rand.NewPCG(1, 2)))
	twins := 0
	names := map[string]bool{}
	for _, p := range plans {
		if names[p.key()] {
			t.Errorf("two plans for %s", p.key())
		}
		names[p.key()] = true
		if p.TwinOf >= 0 {
			twins++
			o := plans[p.TwinOf]
			if o.Principal != p.Principal || o.Group != p.Group || o.Kind != p.Kind || o.Denied || o.Orphan || o.CancelAt >= 0 || o.DeleteAt >= 0 || p.DeleteAt < 0 {
				t.Errorf("twin %s of %s: not the same triple, an original that ends, or never deleted", p.key(), o.key())
			}
			continue
		}
		if p.CreateAt < 0 || p.CreateAt > w.Window/2 || p.CancelAt > w.Window || p.DeleteAt > w.Window {
			t.Errorf("%s: actions outside the window: %+v", p.key(), p)
		}
		if p.CancelAt >= 0 && p.CancelAt < p.CreateAt || p.DeleteAt >= 0 && p.DeleteAt < max(p.CreateAt, p.CancelAt) {
			t.Errorf("%s: actions out of order: %+v", p.key(), p)
		}
	}
	if twins != 20 {
		t.Errorf("twins: %d, want 20", twins)
	}
}

func TestMakeChaosKeepsItsSpacing(t *testing.T) {
	ev := makeChaos(3, 1, 6*time.Minute, 30*time.Second, rand.New(rand.NewPCG(3, 4)))
	if len(ev) != 4 {
		t.Fatalf("events: %d, want 4", len(ev))
	}
	for i := 1; i < len(ev); i++ {
		if ev[i].At-ev[i-1].At < 30*time.Second {
			t.Errorf("events %d and %d are %s apart", i-1, i, ev[i].At-ev[i-1].At)
		}
	}
}

func TestStalledFlaps(t *testing.T) {
	at := time.Unix(0, 0)
	e := func(ks, reason string, gen int64) histEntry {
		return histEntry{At: at, Kstatus: ks, StalledReason: reason, Generation: gen}
	}
	for name, tc := range map[string]struct {
		h    []histEntry
		want int
	}{
		"stays stalled":          {[]histEntry{e("InProgress", "", 1), e("Failed", "NotPermitted", 1)}, 0},
		"flaps":                  {[]histEntry{e("Failed", "NotPermitted", 1), e("InProgress", "", 1), e("Failed", "NotPermitted", 1)}, 1},
		"user acted between":     {[]histEntry{e("Failed", "NotPermitted", 1), e("InProgress", "", 2), e("Failed", "NotPermitted", 2)}, 0},
		"another reason":         {[]histEntry{e("Failed", "DuplicateAssignment", 1), e("InProgress", "", 1), e("Failed", "GraphRejected", 1)}, 0},
		"flaps twice":            {[]histEntry{e("Failed", "X", 1), e("InProgress", "", 1), e("Failed", "X", 1), e("Current", "", 1), e("Failed", "X", 1)}, 2},
		"observedGeneration lag": {[]histEntry{e("Failed", "X", 1), e("InProgress", "X", 1)}, 0},
	} {
		if got := stalledFlaps(tc.h); got != tc.want {
			t.Errorf("%s: %d flaps, want %d", name, got, tc.want)
		}
	}
}

// TestEvaluate holds each check to one object that fails it and one that passes.
func TestEvaluate(t *testing.T) {
	now := time.Now()
	marker := func(name, uid string) string {
		return "pim-operator soak [pim-operator.dev soak-a/" + name + " uid=" + uid + "]"
	}
	rec := func(i int, name string) record {
		return record{plan: &plan{Index: i, Kind: kindAssignment, Namespace: "soak-a", Name: name, TwinOf: -1, CancelAt: -1, DeleteAt: -1,
			Principal: guidN(100 + i), Group: 0}, UID: guidN(i), Created: now.Add(-time.Minute)}
	}
	view := func(r record, reqID string, conds ...metav1.Condition) objView {
		var v objView
		v.Kind = r.Kind
		v.Metadata.Name, v.Metadata.Namespace, v.Metadata.UID = r.Name, r.Namespace, r.UID
		v.Metadata.Generation, v.Status.ObservedGeneration = 1, 1
		v.Status.RequestID, v.Status.Conditions, v.Kstatus = reqID, conds, "Current"
		return v
	}
	cond := func(typ string, st metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: st, Reason: reason}
	}
	ready := cond("Ready", "True", "Provisioned")
	active := cond("Active", "True", "Provisioned")
	req := func(id string, r record, action, status string) emuRequest {
		return emuRequest{ID: id, Kind: "assignment", Status: status, Action: action, AccessID: "member", PrincipalID: r.Principal,
			GroupID: groupID(0), Justification: marker(r.Name, r.UID), CreatedDateTime: now.Add(-time.Minute)}
	}
	sched := func(r emuRequest) emuSchedule {
		return emuSchedule{ID: r.GroupID + "_member_" + r.ID, Kind: r.Kind, Status: "Provisioned", AccessID: r.AccessID,
			PrincipalID: r.PrincipalID, GroupID: r.GroupID, CreatedUsing: r.ID}
	}

	good := rec(0, "good")           // live, as it should be
	dup := rec(1, "dup")             // two applied creates
	cancelled := rec(2, "cancelled") // cancelled, access still live
	cancelled.Cancelled = now
	deleted := rec(3, "deleted") // deleted, access still live
	deleted.Deleted = now
	orphan := rec(4, "orphan") // deleted with Orphan: access stays, as asked
	orphan.Orphan, orphan.Deleted = true, now
	stuck := rec(5, "stuck") // deleted, still present
	stuck.Deleted = now
	notReady := rec(6, "notready") // live wanted, no Ready
	denied := rec(7, "denied")     // no policy permits it: stalls, as it should
	denied.Denied = true
	deniedCancelled := rec(8, "denied-cancelled") // then cancelled: nothing to end
	deniedCancelled.Denied, deniedCancelled.Cancelled = true, now

	rGood, rDup1, rDup2 := req(guidN(50), good, "adminAssign", "Provisioned"), req(guidN(51), dup, "adminAssign", "Canceled"),
		req(guidN(52), dup, "adminAssign", "Provisioned")
	rCan, rDel, rOrph := req(guidN(53), cancelled, "adminAssign", "Provisioned"), req(guidN(54), deleted, "adminAssign", "Provisioned"),
		req(guidN(55), orphan, "adminAssign", "Provisioned")
	rNR := req(guidN(56), notReady, "adminAssign", "Provisioned")
	foreign := emuRequest{ID: guidN(57), Kind: "assignment", Status: "Provisioned", Action: "adminAssign", AccessID: "member",
		PrincipalID: guidN(999), GroupID: groupID(0), Justification: "made in the portal"}
	gs := graphState{
		Requests:  []emuRequest{rGood, rDup1, rDup2, rCan, rDel, rOrph, rNR, foreign},
		Schedules: []emuSchedule{sched(rGood), sched(rDup2), sched(rCan), sched(rDel), sched(rOrph), sched(rNR), sched(foreign)},
	}
	records := []record{good, dup, cancelled, deleted, orphan, stuck, notReady, denied, deniedCancelled}
	views := map[string]objView{}
	for _, v := range []objView{
		view(good, rGood.ID, ready, active),
		view(dup, rDup2.ID, ready, active),
		view(cancelled, rCan.ID, ready, cond("Cancelled", "True", "Removed")),
		view(stuck, "", cond("Ready", "False", "Removing")),
		view(notReady, rNR.ID, cond("Ready", "False", "Progressing"), active),
		view(denied, "", cond("Stalled", "True", "NotPermitted"), cond("Ready", "False", "NotPermitted")),
		view(deniedCancelled, "", cond("Cancelled", "True", "AlreadyEnded"), cond("Ready", "True", "AlreadyEnded")),
	} {
		views[viewKey(v.Kind, v.Metadata.Namespace, v.Metadata.Name)] = v
	}
	views[stuck.key()] = func() objView { v := views[stuck.key()]; v.Kstatus = "InProgress"; return v }()
	dv := views[denied.key()]
	dv.Kstatus = "Failed"
	views[denied.key()] = dv
	nv := views[notReady.key()]
	nv.Kstatus = "InProgress"
	views[notReady.key()] = nv

	ev := evaluate(records, views, gs, now)
	keys := func(fs []finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Key)
		}
		return out
	}
	check := func(name string, got []finding, want ...string) {
		t.Helper()
		if g := strings.Join(keys(got), ","); g != strings.Join(want, ",") {
			t.Errorf("%s: %s, want %s", name, g, strings.Join(want, ","))
		}
	}
	check("duplicates", ev.Duplicates, dup.key())
	check("orphaned", ev.Orphaned, "(no object)")
	check("lost revocations", ev.LostRevocations, cancelled.key(), deleted.key())
	check("not converged", ev.NotConverged, notReady.key(), stuck.key())
	if ev.LeftByOrphan != 1 || ev.Live != 3 {
		t.Errorf("left by Orphan %d, live %d; want 1, 3", ev.LeftByOrphan, ev.Live)
	}
}

func guidN(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func TestFloor(t *testing.T) {
	now := time.Now()
	base := func(start startKind) record {
		return record{plan: &plan{Start: start, TwinOf: -1, CancelAt: -1, DeleteAt: -1}, Created: now.Add(-time.Hour), StartAt: now.Add(time.Hour)}
	}
	live := base(startNow)
	cancelledLive := base(startNow)
	cancelledLive.Cancelled = now
	cancelledFuture := base(startFar)
	cancelledFuture.Cancelled = now
	deletedOrphan := base(startNow)
	deletedOrphan.Orphan, deletedOrphan.Deleted = true, now
	soonStarted := base(startSoon)
	soonStarted.StartAt = now.Add(-time.Minute)
	soonStartedThenDeleted := soonStarted
	soonStartedThenDeleted.Deleted = now
	denied := base(startNow)
	denied.plan = &plan{Denied: true, TwinOf: -1}
	for name, tc := range map[string]struct {
		r    record
		want int
	}{
		"live": {live, 1}, "cancelled live": {cancelledLive, 4}, "cancelled before its start": {cancelledFuture, 3},
		"deleted with Orphan": {deletedOrphan, 1}, "soon, started": {soonStarted, 2}, "soon, started, deleted": {soonStartedThenDeleted, 5},
		"denied": {denied, 0},
	} {
		if got := floor(tc.r); got != tc.want {
			t.Errorf("%s: floor %d, want %d", name, got, tc.want)
		}
	}
}
