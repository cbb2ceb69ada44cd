package controllers

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// TestRecordEventsFollowConditions: an event carries exactly its condition's reason and
// message, and only when the condition changes.
func TestRecordEventsFollowConditions(t *testing.T) {
	o := observe(cancelled, then(withRequest(pim.StatusCanceled), func(o *observation) { o.Graph.Outcome = outcomeCancelled }))
	d := decide(o, testOpt)
	obj := &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns"}}
	obj.Status = o.Status
	rec := events.NewFakeRecorder(10)
	r := testReconciler(rec, t0)
	r.emit(obj, r.record(context.Background(), obj, d))
	r.emit(obj, r.record(context.Background(), obj, d))
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
