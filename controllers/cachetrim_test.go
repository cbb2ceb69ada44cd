package controllers

import (
	"fmt"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

func cachedRequest(name string) *v1.PIMAssignmentRequest {
	msg := fmt.Sprintf("Graph answered Provisioned for %s", name)
	return &v1.PIMAssignmentRequest{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: string([]byte("team-a")),
			Finalizers:    []string{string([]byte(v1.Finalizer))},
			Annotations:   map[string]string{lastAppliedAnnotation: `{"spec":{}}`, "team": "a"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		},
		Spec: v1.RequestSpec{GroupID: string([]byte("g-1")), AccessID: v1.AccessMember},
		Status: v1.RequestStatus{
			GraphStatus: string([]byte("Provisioned")),
			Conditions: []metav1.Condition{
				{Type: string([]byte("Ready")), Status: "True", Reason: string([]byte("Active")), Message: msg},
				{Type: string([]byte("Active")), Status: "True", Reason: string([]byte("Active")), Message: string([]byte(msg))},
			},
		},
	}
}

// The transform takes off what nothing reads and shares what repeats; every value it keeps
// is the API server's.
func TestTrimRequestForCacheKeepsEveryValue(t *testing.T) {
	a, b := cachedRequest("a"), cachedRequest("b")
	want := a.DeepCopy()
	want.ManagedFields = nil
	delete(want.Annotations, lastAppliedAnnotation)

	outA, err := trimRequestForCache(a)
	if err != nil {
		t.Fatal(err)
	}
	outB, _ := trimRequestForCache(b)
	gotA, gotB := outA.(*v1.PIMAssignmentRequest), outB.(*v1.PIMAssignmentRequest)
	if !equality.Semantic.DeepEqual(gotA, want) {
		t.Fatalf("values changed:\n got %+v\nwant %+v", gotA, want)
	}
	same := func(what, x, y string) {
		t.Helper()
		if unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: %q is held twice", what, x)
		}
	}
	same("namespace", gotA.Namespace, gotB.Namespace)
	same("finalizer", gotA.Finalizers[0], gotB.Finalizers[0])
	same("group", gotA.Spec.GroupID, gotB.Spec.GroupID)
	same("Graph status", gotA.Status.GraphStatus, gotB.Status.GraphStatus)
	same("condition type", gotA.Status.Conditions[0].Type, gotB.Status.Conditions[0].Type)
	same("reason", gotA.Status.Conditions[0].Reason, gotB.Status.Conditions[1].Reason)
	same("a message Ready repeats", gotA.Status.Conditions[0].Message, gotA.Status.Conditions[1].Message)
}

// Values that never repeat cannot make the shared table grow without bound.
func TestCacheStringsAreBounded(t *testing.T) {
	in := &interner{m: map[string]string{}}
	for i := range 2 * maxCacheStrings {
		in.intern(fmt.Sprintf("group-%d", i))
	}
	long := string(make([]byte, maxCacheStringLen+1))
	in.intern(long)
	if len(in.m) != maxCacheStrings {
		t.Fatalf("%d strings held, want the bound %d", len(in.m), maxCacheStrings)
	}
	if _, ok := in.m[long]; ok {
		t.Fatal("a string longer than the bound was kept")
	}
}
