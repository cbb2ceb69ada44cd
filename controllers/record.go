package controllers

import (
	"context"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// maxMessage bounds condition messages and event notes: events.k8s.io rejects notes over
// 1 KiB (and the recorder drops them silently), and a Graph error body must not bloat status.
const maxMessage = 1024

// pendingEvent is one event to emit once the status that records it is written.
type pendingEvent struct {
	eventType, reason, action, note string
}

// record is the one place where a decision becomes conditions, events and log lines, so the
// three never disagree: an event's reason and note are the condition's reason and message.
// It writes observedGeneration with every decision, Stalled included (DESIGN §3). It returns
// the events; Reconcile emits them after the status patch, so that a transition is announced
// once, and only once it is recorded.
func (r *Reconciler) record(ctx context.Context, obj Object, d decision) []pendingEvent {
	log := logf.FromContext(ctx)
	st := obj.GetRequestStatus()
	now := metav1.NewTime(r.now().Truncate(time.Second))
	stalledNow := false
	action := d.Step.action()
	if d.Failed != "" {
		action = d.Failed.action()
	}
	if d.LogDetail != "" {
		log.Info("Graph failure detail (not shown on the object)", "detail", d.LogDetail, "requestId", st.RequestID)
	}
	var events []pendingEvent
	for _, c := range d.Set {
		var prev *metav1.Condition
		if p := meta.FindStatusCondition(st.Conditions, c.Type); p != nil {
			cp := *p
			prev = &cp
		}
		c.Message = bounded(c.Message)
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
		events = append(events, pendingEvent{eventType: eventType, reason: c.Reason, action: action, note: c.Message})
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
	return events
}

// emit sends the events of a recorded decision.
func (r *Reconciler) emit(obj Object, events []pendingEvent) {
	for _, e := range events {
		r.recorder.Eventf(obj, nil, e.eventType, e.reason, e.action, "%s", e.note)
	}
}

// bounded cuts s to maxMessage bytes without splitting a character.
func bounded(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	const more = "…"
	cut := maxMessage - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}
