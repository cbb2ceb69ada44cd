package controllers

import (
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// lastAppliedAnnotation is kubectl's copy of the object as last applied (client-side apply, as
// kubectl apply and Argo CD do by default): about as large as the spec.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// trimRequestForCache is the cache's transform for the request kinds, which are nearly all of
// what the manager holds (about 3 KB each at rest: docs/benchmarks.md). Besides the managed
// fields it drops kubectl's last-applied copy of the object (nothing here reads it, and
// changePredicate ignores it), and it shares the strings that repeat across objects —
// condition types, statuses and reasons, the namespace, the finalizer, group, access and
// schedule kind, Graph's statuses — and a condition message that repeats another of the same
// object (Ready says what Stalled or the live condition says). Every value it keeps is the
// API server's, unchanged: the status patch, computed from the cached status, writes back
// nothing it did not read.
func trimRequestForCache(in any) (any, error) {
	out, err := cache.TransformStripManagedFields()(in)
	obj, ok := out.(Object)
	if err != nil || !ok {
		return out, err
	}
	if a := obj.GetAnnotations(); a != nil {
		delete(a, lastAppliedAnnotation)
	}
	intern := cacheStrings.intern
	obj.SetNamespace(intern(obj.GetNamespace()))
	fin := obj.GetFinalizers()
	for i := range fin {
		fin[i] = intern(fin[i])
	}
	spec := obj.GetRequestSpec()
	spec.GroupID = intern(spec.GroupID)
	spec.AccessID = v1.AccessID(intern(string(spec.AccessID)))
	spec.DeletionPolicy = v1.DeletionPolicy(intern(string(spec.DeletionPolicy)))
	if s := spec.Schedule; s != nil {
		s.Expiration.Type = v1.ExpirationType(intern(string(s.Expiration.Type)))
		if d := s.Expiration.Duration; d != nil {
			d.Text = intern(d.Text)
		}
	}
	st := obj.GetRequestStatus()
	st.GroupID = intern(st.GroupID)
	st.AccessID = v1.AccessID(intern(string(st.AccessID)))
	st.GraphStatus = intern(st.GraphStatus)
	st.RemovalStatus = intern(st.RemovalStatus)
	st.DeletionPolicy = v1.DeletionPolicy(intern(string(st.DeletionPolicy)))
	for i := range st.Conditions {
		c := &st.Conditions[i]
		c.Type, c.Reason = intern(c.Type), intern(c.Reason)
		c.Status = metav1.ConditionStatus(intern(string(c.Status)))
		for j := range i {
			if st.Conditions[j].Message == c.Message {
				c.Message = st.Conditions[j].Message
				break
			}
		}
	}
	return obj, nil
}

// cacheStrings are the strings trimRequestForCache shares. It keeps at most maxCacheStrings,
// each at most maxCacheStringLen long, so that values that do not repeat (or a tenant with a
// great many groups) cannot make it grow without bound: past that, strings stay as decoded.
var cacheStrings = &interner{m: map[string]string{}}

const maxCacheStrings, maxCacheStringLen = 4096, 64

type interner struct {
	mu sync.Mutex
	m  map[string]string
}

func (in *interner) intern(s string) string {
	if s == "" || len(s) > maxCacheStringLen {
		return s
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if c, ok := in.m[s]; ok {
		return c
	}
	if len(in.m) >= maxCacheStrings {
		return s
	}
	c := strings.Clone(s)
	in.m[c] = c
	return c
}
