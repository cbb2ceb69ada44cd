package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// The act functions against a struct-of-functions Graph (pim.Funcs) and controller-runtime's
// fake client: what each sends, and what it makes of each answer. What crosses the real API
// server is tested in controllers/envtest.

const (
	actPrincipal = "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7"
	actGroup     = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f"
	actRequest   = "11111111-1111-1111-1111-111111111111"
	actSchedule  = actGroup + "_member_" + actRequest
)

var actTriple = pim.Triple{PrincipalID: actPrincipal, GroupID: actGroup, AccessID: pim.AccessMember}

// objectFor is an object in o's state.
func objectFor(o observation) *v1.PIMAssignmentRequest {
	obj := &v1.PIMAssignmentRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "x", UID: "uid-1", Generation: 1,
			CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))},
		Spec: v1.RequestSpec{Cancelled: o.Cancelled, DeletionPolicy: o.Policy},
	}
	if o.Adopted {
		obj.Spec.RequestID = actRequest
	} else {
		obj.Spec.GroupID, obj.Spec.PrincipalID, obj.Spec.Justification = actGroup, actPrincipal, "on call"
		obj.Spec.Schedule = &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(time.Hour)}}
	}
	obj.Finalizers = []string{v1.Finalizer}
	if o.Deleting {
		obj.DeletionTimestamp = mt(t0)
	}
	if o.CreatePending != nil {
		obj.Annotations = map[string]string{v1.AnnotationCreatePending: o.CreatePending.Format(time.RFC3339)}
	}
	obj.Status = *o.Status.DeepCopy()
	seals := sealer{key: testSealKey}
	if o.CreatePending != nil && o.CreatePendingSealed {
		obj.Annotations[v1.AnnotationCreatePending] = seals.createPendingValue(o.Kind, obj, *o.CreatePending)
	}
	if o.Sealed {
		seals.sealStatus(o.Kind, obj)
	}
	return obj
}

// actReconciler is a reconciler of the assignment kind over a fake API server holding obj.
func actReconciler(t testing.TB, obj *v1.PIMAssignmentRequest, g pim.Client) *Reconciler {
	t.Helper()
	c := fake.NewClientBuilder().WithScheme(NewScheme()).WithObjects(obj.DeepCopy()).
		WithStatusSubresource(&v1.PIMAssignmentRequest{}).Build()
	return &Reconciler{Client: c, kind: &AssignmentKind, graph: g, recorder: events.NewFakeRecorder(100),
		cfg:   Config{Now: func() time.Time { return t0 }, Options: testOpt, PolicyMode: PolicyModeDisabled},
		seals: sealer{key: testSealKey}}
}

func newCreated(t *testing.T, g pim.Client) (*Reconciler, *v1.PIMAssignmentRequest) {
	obj := objectFor(observe(active, nil))
	r := actReconciler(t, obj, g)
	// The fake API server stores the object; act on what it returns, as Reconcile does.
	stored := &v1.PIMAssignmentRequest{}
	if err := r.Get(context.Background(), client.ObjectKeyFromObject(obj), stored); err != nil {
		t.Fatal(err)
	}
	return r, stored
}

func TestCreateRecordsIntentThenPostsOnce(t *testing.T) {
	var r *Reconciler
	var sent []pim.CreateInput
	g := pim.Funcs{AssignFunc: func(ctx context.Context, in pim.CreateInput) (*pim.Request, error) {
		// The intent is stored before the POST leaves.
		stored := &v1.PIMAssignmentRequest{}
		if err := r.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "x"}, stored); err != nil {
			t.Fatal(err)
		}
		if stored.Annotations[v1.AnnotationCreatePending] == "" {
			t.Error("POST sent before the create-pending annotation was stored")
		}
		sent = append(sent, in)
		return &pim.Request{ID: actRequest, Status: pim.StatusProvisioned, TargetScheduleID: actSchedule,
			Triple: in.Triple, Created: &t0}, nil
	}}
	r, obj := newCreated(t, g)
	facts := &graphFacts{}
	if err := r.create(context.Background(), obj, facts); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 {
		t.Fatalf("%d POSTs, want 1", len(sent))
	}
	in := sent[0]
	if in.Triple != (pim.Triple{PrincipalID: actPrincipal, GroupID: actGroup, AccessID: pim.AccessMember}) ||
		!pim.HasMarker(in.Justification, "uid-1") || !strings.HasPrefix(in.Justification, "on call ") ||
		in.Schedule.Expiration.Duration != time.Hour {
		t.Errorf("sent %+v", in)
	}
	if obj.Status.RequestID != actRequest || obj.Status.TargetScheduleID != actSchedule || obj.Status.GraphStatus != "Provisioned" {
		t.Errorf("status not folded: %+v", obj.Status)
	}
}

func TestCreateRefusedReleasesTheMarker(t *testing.T) {
	refused := &pim.Error{Class: pim.ClassUserFixable, HTTPStatus: 400, Code: pim.CodeInvalidRequest}
	r, obj := newCreated(t, pim.Funcs{AssignFunc: func(context.Context, pim.CreateInput) (*pim.Request, error) { return nil, refused }})
	if err := r.create(context.Background(), obj, &graphFacts{}); !errors.Is(err, refused) {
		t.Fatalf("got %v", err)
	}
	if _, ok := obj.Annotations[v1.AnnotationCreatePending]; ok {
		t.Error("a 400 proves nothing was created: the create-pending marker must go")
	}

	lost := &pim.Error{Class: pim.ClassTransient, Detail: "connection reset"}
	r, obj = newCreated(t, pim.Funcs{AssignFunc: func(context.Context, pim.CreateInput) (*pim.Request, error) { return nil, lost }})
	_ = r.create(context.Background(), obj, &graphFacts{})
	if _, ok := obj.Annotations[v1.AnnotationCreatePending]; !ok {
		t.Error("a create whose outcome is unknown must keep the marker")
	}
}

func TestCreateAssignmentExists(t *testing.T) {
	exists := &pim.Error{Class: pim.ClassAssignmentExists, HTTPStatus: 400, Code: pim.CodeRoleAssignmentExists}
	mine := pim.Request{ID: actRequest, Action: pim.ActionAdminAssign, Status: pim.StatusProvisioned,
		Justification: pim.AppendMarker("on call", "ns", "x", "uid-1"), Triple: actTriple}
	other := pim.Request{ID: "other", Action: pim.ActionAdminAssign, Justification: "someone else"}
	for _, c := range []struct {
		name    string
		listed  []pim.Request
		wantID  string
		wantDup bool
	}{
		{"ours, answer lost earlier: adopted", []pim.Request{other, mine}, actRequest, false},
		{"someone else's: duplicate", []pim.Request{other}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, obj := newCreated(t, pim.Funcs{
				AssignFunc:       func(context.Context, pim.CreateInput) (*pim.Request, error) { return nil, exists },
				FindRequestsFunc: func(context.Context, string, string) ([]pim.Request, error) { return c.listed, nil },
			})
			err := r.create(context.Background(), obj, &graphFacts{})
			var dup *errDuplicate
			if errors.As(err, &dup) != c.wantDup || obj.Status.RequestID != c.wantID {
				t.Errorf("err %v, requestId %q", err, obj.Status.RequestID)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	notCancellable := &pim.Error{Class: pim.ClassNotCancellable, HTTPStatus: 400}
	for _, c := range []struct {
		name        string
		cancel      error
		reread      pim.Status
		wantOutcome outcome
		wantErr     bool
	}{
		{"204", nil, "", outcomeCancelled, false},
		{"400, provisioned meanwhile: decide again", notCancellable, pim.StatusProvisioned, outcomeNone, false},
		{"400, still pending: Graph's refusal stands", notCancellable, pim.StatusPendingApproval, outcomeNone, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cancels := 0
			o := observe(cancelled, withRequest(pim.StatusPendingApproval))
			obj := objectFor(o)
			r := actReconciler(t, obj, pim.Funcs{
				CancelFunc: func(_ context.Context, id string) error {
					cancels++
					if id != actRequest {
						t.Errorf("cancel of %s", id)
					}
					return c.cancel
				},
				GetRequestFunc: func(_ context.Context, id string) (*pim.Request, error) {
					return &pim.Request{ID: id, Status: c.reread, Triple: actTriple,
						Justification: pim.AppendMarker("on call", "ns", "x", "uid-1")}, nil
				},
			})
			facts := &graphFacts{}
			err := r.cancel(context.Background(), obj, facts)
			if (err != nil) != c.wantErr || facts.Outcome != c.wantOutcome || cancels != 1 {
				t.Errorf("err %v, outcome %q, cancels %d", err, facts.Outcome, cancels)
			}
		})
	}
}

func TestRemoveIsGuardedByOwnership(t *testing.T) {
	gone := &pim.Error{Class: pim.ClassAlreadyGone, HTTPStatus: 400, Code: pim.CodeRoleAssignmentDoesNotExist}
	for _, c := range []struct {
		name        string
		live        []pim.Schedule
		remove      error
		wantOutcome outcome
		wantRemoves int
	}{
		{"no live schedule", nil, nil, outcomeNoLive, 0},
		{"someone else's", []pim.Schedule{{ID: actGroup + "_member_other"}}, nil, outcomeNotOwned, 0},
		{"ours", []pim.Schedule{{ID: actGroup + "_member_other"}, {ID: strings.ToUpper(actSchedule)}}, nil, outcomeNone, 1},
		{"ours, gone meanwhile", []pim.Schedule{{ID: actSchedule}}, gone, outcomeAlreadyGone, 1},
		{"ours, 'gone' but still listed: not believed", []pim.Schedule{{ID: actSchedule}}, gone, outcomeNone, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := observe(cancelled, withRequest(pim.StatusProvisioned))
			o.Status.TargetScheduleID = actSchedule
			o.Status.PrincipalID, o.Status.GroupID = actPrincipal, actGroup
			obj := objectFor(o)
			removes := 0
			stillListed := strings.Contains(c.name, "still listed")
			r := actReconciler(t, obj, pim.Funcs{
				FindLiveSchedulesFunc: func(_ context.Context, tr pim.Triple) ([]pim.Schedule, error) {
					if tr != actTriple {
						t.Errorf("looked up %+v", tr)
					}
					if removes > 0 && !stillListed {
						return nil, nil // the refusal was right: nothing is live any more
					}
					return c.live, nil
				},
				RemoveFunc: func(_ context.Context, _ pim.Triple, justification string) (*pim.Request, error) {
					removes++
					if !pim.HasMarker(justification, "uid-1") {
						t.Errorf("adminRemove justification %q lacks the marker", justification)
					}
					if c.remove != nil {
						return nil, c.remove
					}
					return &pim.Request{ID: "r", Status: pim.StatusRevoked}, nil
				},
			})
			facts := &graphFacts{}
			if err := r.remove(context.Background(), obj, facts); (err != nil) != stillListed {
				t.Fatalf("err %v", err)
			}
			if facts.Outcome != c.wantOutcome || removes != c.wantRemoves {
				t.Errorf("outcome %q, removes %d", facts.Outcome, removes)
			}
			if c.wantRemoves == 1 && c.remove == nil && (obj.Status.RemovalRequestID != "r" || obj.Status.RemovalStatus != "Revoked") {
				t.Errorf("removal not recorded: %+v", obj.Status)
			}
		})
	}
}

func TestReadFallsBackToTheSchedule(t *testing.T) {
	notFound := &pim.Error{Class: pim.ClassNotFound, HTTPStatus: 404}
	for _, c := range []struct {
		name      string
		schedule  error
		created   time.Duration // before t0
		wantGone  bool
		wantErr   bool
		wantGraph string
	}{
		{"request purged, schedule live", nil, time.Hour, false, false, "Provisioned"},
		{"both gone", notFound, time.Hour, true, false, ""},
		{"both 404 right after create: not replicated yet", notFound, time.Millisecond, false, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := observe(active, withRequest(pim.StatusGranted))
			o.Status.CreatedDateTime = mt(t0.Add(-c.created))
			obj := objectFor(o)
			r := actReconciler(t, obj, pim.Funcs{
				GetRequestFunc: func(context.Context, string) (*pim.Request, error) { return nil, notFound },
				GetScheduleFunc: func(_ context.Context, id string) (*pim.Schedule, error) {
					if c.schedule != nil {
						return nil, c.schedule
					}
					return &pim.Schedule{ID: id, Status: pim.StatusProvisioned}, nil
				},
				FindLiveSchedulesFunc: func(context.Context, pim.Triple) ([]pim.Schedule, error) { return nil, nil },
			})
			facts := &graphFacts{}
			err := r.read(context.Background(), obj, facts, readRequest)
			if (err != nil) != c.wantErr || facts.Gone != c.wantGone {
				t.Fatalf("err %v, gone %v", err, facts.Gone)
			}
			if c.wantGraph != "" && obj.Status.GraphStatus != c.wantGraph {
				t.Errorf("graphStatus %q from the schedule, want %q", obj.Status.GraphStatus, c.wantGraph)
			}
		})
	}
}

// TestReconcileWritesOnce: a reconcile that cancels does not also remove, however the answers
// line up; the loop stops at one write.
func TestReconcileWritesOnce(t *testing.T) {
	o := observe(cancelled, withRequest(pim.StatusGranted))
	if n := countMutations(t, o); n != 1 {
		t.Errorf("%d writes, want the one cancel", n)
	}
	o = observe(deleteOrphan, withRequest(pim.StatusProvisioned))
	if n := countMutations(t, o); n != 0 {
		t.Errorf("%d writes for a deleted object with Orphan", n)
	}
}
