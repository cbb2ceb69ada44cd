package controllers

import (
	"maps"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// ignoredAnnotations change without asking anything of the operator: its own create-pending
// marker, and kubectl's copy of the last applied object.
var ignoredAnnotations = []string{v1.AnnotationCreatePending, "kubectl.kubernetes.io/last-applied-configuration"}

// changePredicate lets through the updates that ask something of the operator: a spec change
// (generation), deletion starting, a finalizer change (including the operator's own, which
// brings the first real reconcile), and annotation changes other than ignoredAnnotations (a
// user's `kubectl annotate` asks for a fresh look). Status-only updates — the operator's own
// patches — do not, so an object at rest costs no Graph call. Creates, deletes and the
// cache's periodic resync pass.
func changePredicate() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld, e.ObjectNew
		if o == nil || n == nil {
			return true
		}
		if o.GetGeneration() != n.GetGeneration() {
			return true
		}
		if o.GetDeletionTimestamp().IsZero() != n.GetDeletionTimestamp().IsZero() {
			return true
		}
		if !slices.Equal(o.GetFinalizers(), n.GetFinalizers()) {
			return true
		}
		return !maps.Equal(relevantAnnotations(o.GetAnnotations()), relevantAnnotations(n.GetAnnotations()))
	}}
}

func relevantAnnotations(a map[string]string) map[string]string {
	out := maps.Clone(a)
	for _, k := range ignoredAnnotations {
		delete(out, k)
	}
	return out
}
