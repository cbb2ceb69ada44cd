package controllers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// record is the one place where a decision becomes conditions, events and log lines, so the
// three never disagree: an event's reason and note are the condition's reason and message.
// It writes observedGeneration with every decision, Stalled included (DESIGN §3).
func (r *Reconciler) record(ctx context.Context, obj Object, d decision) {
	log := logf.FromContext(ctx)
	st := obj.GetRequestStatus()
	now := metav1.NewTime(r.now().Truncate(time.Second))
	stalledNow := false
	action := d.Step.action()
	if d.Failed != "" {
		action = d.Failed.action()
	}
	for _, c := range d.Set {
		var prev *metav1.Condition
		if p := meta.FindStatusCondition(st.Conditions, c.Type); p != nil {
			cp := *p
			prev = &cp
		}
		c.ObservedGeneration = obj.GetGeneration()
		c.LastTransitionTime = now
		meta.SetStatusCondition(&st.Conditions, c)
		if c.Type == v1.ConditionStalled && c.Status == metav1.ConditionTrue {
			stalledNow = true
		}
		changed := prev == nil || prev.Status != c.Status || prev.Reason != c.Reason
		eventType, ok := d.Notify[c.Type]
		if !ok || !(changed || d.Always) {
			continue
		}
		r.recorder.Eventf(obj, nil, eventType, c.Reason, action, "%s", c.Message)
		log.Info(c.Type+" "+string(c.Status)+": "+c.Reason, "eventType", eventType, "message", c.Message,
			"requestId", st.RequestID)
	}
	for _, t := range d.Remove {
		meta.RemoveStatusCondition(&st.Conditions, t)
	}
	switch {
	case d.Failure:
		st.Failures++
	case !stalledNow:
		st.Failures = 0
	}
	st.ObservedGeneration = obj.GetGeneration()
	log.V(1).Info("decided", "step", d.Step, "requeueAfter", d.After, "graphStatus", st.GraphStatus)
}
