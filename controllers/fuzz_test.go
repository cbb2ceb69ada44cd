package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// fuzzBytes hands out the fuzzer's bytes as choices; past the end every choice is the first.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) next() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzBytes) pick(n int) int { return int(f.next()) % n }
func (f *fuzzBytes) yes() bool      { return f.next()&1 == 1 }

// pickOf is one of the values.
func pickOf[T any](f *fuzzBytes, vs ...T) T { return vs[f.pick(len(vs))] }

// at is a time around t0, or nil.
func (f *fuzzBytes) at() *metav1.Time {
	if f.pick(4) == 0 {
		return nil
	}
	return mt(t0.Add(time.Duration(int(f.next())-128) * time.Minute))
}

var fuzzStatuses = []pim.Status{"", pim.StatusCanceled, pim.StatusDenied, pim.StatusFailed, pim.StatusGranted,
	pim.StatusPendingAdminDecision, pim.StatusPendingApproval, pim.StatusPendingProvisioning,
	pim.StatusPendingScheduleCreation, pim.StatusProvisioned, pim.StatusRevoked, pim.StatusScheduleCreated, "SomethingNew"}

// fuzzObservation makes any observation the reconciler could meet, and some it should not.
func fuzzObservation(f *fuzzBytes) observation {
	k := &Kinds[f.pick(len(Kinds))]
	o := observation{
		Now: t0, Kind: k,
		Adopted: f.yes(), Cancelled: f.yes(), Deleting: f.yes(),
		Policy: pickOf(f, v1.DeletionPolicyCancel, v1.DeletionPolicyOrphan),
	}
	if f.yes() {
		o.CreatePending = &mt(t0.Add(-time.Duration(f.next()) * time.Second)).Time
	}
	st := &o.Status
	if f.yes() {
		st.RequestID = "11111111-1111-1111-1111-111111111111"
	}
	if f.yes() {
		st.TargetScheduleID = "g_member_11111111-1111-1111-1111-111111111111"
	}
	st.GraphStatus = string(pickOf(f, fuzzStatuses...))
	if f.yes() {
		st.RemovalRequestID = "22222222-2222-2222-2222-222222222222"
		st.RemovalStatus = string(pickOf(f, fuzzStatuses...))
	}
	st.CreatedDateTime, st.StartDateTime, st.EndDateTime = f.at(), f.at(), f.at()
	st.Failures = int32(f.pick(40))
	for range f.pick(4) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type:               pickOf(f, v1.ConditionSubmitted, k.LiveCondition, v1.ConditionCancelled, v1.ConditionReady, v1.ConditionStalled, v1.ConditionReconciling),
			Status:             pickOf(f, metav1.ConditionTrue, metav1.ConditionFalse),
			Reason:             pickOf(f, v1.ReasonRemoved, v1.ReasonRequestGone, v1.ReasonProvisioned, v1.ReasonCancelSucceeded, v1.ReasonAdopted),
			LastTransitionTime: *mt(t0.Add(-time.Duration(f.next()) * time.Minute)),
		})
	}
	g := &o.Graph
	g.Gone, g.Searched, g.ScheduleGone = f.yes(), f.yes(), f.yes()
	for i := range f.pick(4) {
		g.Matches = append(g.Matches, pim.Request{ID: fmt.Sprintf("m%d", i)})
	}
	g.Outcome = pickOf(f, outcomeNone, outcomeCancelled, outcomeAlreadyGone, outcomeNotOwned, outcomeNoLive)
	o.Verdict = pickOf(f, nil, permittedVerdict, deniedVerdict, &verdict{Unknown: true, Outcome: OutcomeDeniedGroup, Message: "unknown"})
	o.Sealed, o.CreatePendingSealed, o.NamespaceSelected = f.yes(), f.yes() && o.CreatePending != nil, f.yes()
	g.Proven, g.Witnessed, g.OwnLive, g.AnyLive, g.ScheduleSuspect = f.yes(), f.yes(), f.yes(), f.yes(), f.yes()
	if f.pick(4) == 0 {
		g.Foreign = "request x was made for the object ns/other (uid other)"
	}
	if f.pick(4) == 0 {
		o.SpecError = `spec.schedule.expiration.duration: "1d" is not a duration`
	}
	return o
}

// FuzzDecide checks what must hold for every observation, whatever Graph and the user did.
// Its seeds run in `make test`; `go test -fuzz FuzzDecide ./controllers/` searches further.
func FuzzDecide(f *testing.F) {
	for _, seed := range [][]byte{
		{}, {1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 9}, {0, 1, 0, 0, 0, 1, 1, 9, 1}, {1, 0, 1, 1, 0, 1, 0, 4},
		{0, 0, 1, 0, 0, 1, 1, 9, 0, 3, 0, 200, 0}, {2, 0, 0, 1, 1, 1, 0, 12, 1, 11}, {255, 254, 253, 252, 251, 250, 249},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := fuzzObservation(&fuzzBytes{b: data})
		d := decide(o, testOpt)
		st := o.Status
		if d.Step == stepCreate && (st.RequestID != "" || o.Adopted) {
			t.Fatalf("create with a request recorded or adopted: %+v", o)
		}
		if d.Step == stepRemove {
			switch pim.Status(st.GraphStatus) {
			case pim.StatusProvisioned, pim.StatusScheduleCreated:
			default:
				t.Fatalf("adminRemove for a request that is %q", st.GraphStatus)
			}
			if st.TargetScheduleID == "" {
				t.Fatalf("adminRemove without a target schedule: %+v", o)
			}
		}
		if o.Deleting && o.Policy == v1.DeletionPolicyOrphan && d.Step.mutates() {
			t.Fatalf("Graph write %s while deleting with Orphan", d.Step)
		}
		if d.Step.needsGraph() && !mayCallGraph(o) {
			t.Fatalf("step %s needs Graph for an object that may not call it: %+v", d.Step, o)
		}
		if (d.Step == stepCancel || d.Step == stepRemove) && !o.owned() {
			t.Fatalf("%s for a request not shown to be this object's", d.Step)
		}
		if d.Step == stepCreate && o.SpecError != "" {
			t.Fatalf("create with an unreadable spec")
		}
		if (d.Step == stepCancel || d.Step == stepRemove) && o.Graph.Foreign != "" {
			t.Fatalf("%s of another object's request", d.Step)
		}
		if d.Step == stepPoll && d.After <= 0 {
			t.Fatalf("poll without a RequeueAfter")
		}
		if d.Err != nil {
			t.Fatalf("decide returned an error: %v", d.Err)
		}
		obj := recordOn(o, d)
		if meta.IsStatusConditionTrue(obj.Status.Conditions, v1.ConditionStalled) &&
			!meta.IsStatusConditionFalse(obj.Status.Conditions, v1.ConditionReady) {
			t.Fatalf("Stalled=True without Ready=False: %+v", obj.Status.Conditions)
		}
		if n := countMutations(t, o); n > 1 {
			t.Fatalf("%d Graph writes in one reconcile", n)
		}
	})
}

// countMutations runs one reconcile of an object in o's state against a Graph that answers
// every call with success, and counts the writes that reached it.
func countMutations(t *testing.T, o observation) int {
	obj := objectFor(o)
	writes := 0
	count := func() { writes++ }
	g := answeringGraph(o, count)
	r := actReconciler(t, obj, g)
	r.kind = o.Kind
	r.cfg.Options = testOpt
	r.cfg.PolicyMode = PolicyModeDisabled
	r.run(context.Background(), obj)
	return writes
}

// answeringGraph answers every call as if Graph had done it, calling wrote for each write.
func answeringGraph(o observation, wrote func()) pim.Funcs {
	req := pim.Request{ID: "33333333-3333-3333-3333-333333333333", Status: pim.StatusProvisioned,
		TargetScheduleID: o.Status.TargetScheduleID, Justification: pim.AppendMarker("on call", "ns", "x", "uid-1"),
		Triple: pim.Triple{PrincipalID: actPrincipal, GroupID: actGroup, AccessID: pim.AccessMember}}
	return pim.Funcs{
		AssignFunc: func(context.Context, pim.CreateInput) (*pim.Request, error) { wrote(); return &req, nil },
		CancelFunc: func(context.Context, string) error { wrote(); return nil },
		RemoveFunc: func(context.Context, pim.Triple, string) (*pim.Request, error) {
			wrote()
			return &pim.Request{ID: "44444444-4444-4444-4444-444444444444", Status: pim.StatusRevoked}, nil
		},
		GetRequestFunc: func(_ context.Context, id string) (*pim.Request, error) {
			r := req
			r.ID, r.Status = id, pim.Status(o.Status.GraphStatus)
			if o.Adopted {
				r.Justification = "made in the portal"
			}
			return &r, nil
		},
		FindRequestsFunc: func(context.Context, string, string) ([]pim.Request, error) { return o.Graph.Matches, nil },
		GetScheduleFunc: func(_ context.Context, id string) (*pim.Schedule, error) {
			return &pim.Schedule{ID: id, Status: pim.StatusProvisioned}, nil
		},
		FindLiveSchedulesFunc: func(context.Context, pim.Triple) ([]pim.Schedule, error) {
			return []pim.Schedule{{ID: o.Status.TargetScheduleID, Status: pim.StatusProvisioned, CreatedUsing: o.Status.RequestID}}, nil
		},
	}
}
