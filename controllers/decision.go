package controllers

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// step is the one thing the reconciler does next (DESIGN §4).
type step string

const (
	// stepNone: nothing to do until After (settled, following, or waiting out a settle period).
	stepNone step = "none"
	// stepCreate: write the create-pending annotation, then POST adminAssign.
	stepCreate step = "create"
	// stepFind: find-my-request — list by principal and group and match this object's marker.
	stepFind step = "find"
	// stepPoll: Graph is still processing; look again after a growing wait.
	stepPoll step = "poll"
	// stepCancel: POST cancel (Granted, PendingApproval, PendingAdminDecision).
	stepCancel step = "cancel"
	// stepRemove: the guarded adminRemove (Provisioned, ScheduleCreated).
	stepRemove step = "remove"
	// stepFinish: nothing is left to do in Graph; a deleted object may go.
	stepFinish step = "finish"
)

// mutates reports whether the step writes to Graph.
func (s step) mutates() bool { return s == stepCreate || s == stepCancel || s == stepRemove }

// action names the step in events (the event's action field).
func (s step) action() string {
	switch s {
	case stepCreate:
		return "Create"
	case stepFind:
		return "Find"
	case stepCancel:
		return "Cancel"
	case stepRemove:
		return "Remove"
	case stepFinish:
		return "Finish"
	}
	return "Observe"
}

// decision is the step that comes next, when to look again, and the conditions that follow.
type decision struct {
	Step step
	// After is the RequeueAfter; 0 means "only when the object changes".
	After time.Duration
	// Set are the conditions to set (LastTransitionTime is filled in when recorded), Remove
	// the condition types to drop (Reconciling and Stalled are present only while True,
	// Cancelled only once ending was asked for).
	Set    []metav1.Condition
	Remove []string
	// Notify maps a condition type to the event type (Normal, Warning) emitted when that
	// condition changes status or reason; Always emits on every recording (Graph errors).
	Notify map[string]string
	Always bool
	// Failure counts as a user-fixable failure (status.failures, which drives the backoff).
	Failure bool
	// Err is a transient failure returned to controller-runtime's rate limiter.
	Err error
	// Failed is the step that failed, when the decision reports a failure: events name it.
	Failed step
	// LogDetail is what only the operator's log may say about the failure.
	LogDetail string
	// events are what record made of the decision, emitted once the status is written.
	events []pendingEvent
	// Gate is the outcome of the guard rails when the decision needed them (a create, adopting
	// or ending a request made elsewhere), for pim_operator_policy_decisions_total; "" otherwise.
	Gate string
}

func (d decision) then(s step, after time.Duration) decision {
	d.Step, d.After = s, after
	return d
}

func (d decision) notify(condType, eventType string) decision {
	d.Notify[condType] = eventType
	return d
}

// withFailure marks a user-fixable failure and waits the backoff its count calls for.
func (d decision) withFailure(opt Options, failures int32) decision {
	d.Failure = true
	return d.then(stepNone, stalledAfter(opt, failures+1))
}

func cond(t string, s metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg}
}

// standing completes the conditions c with Ready and with at most one of the abnormal-true
// conditions kstatus reads (Reconciling, Stalled; "" for neither), removing the other.
func standing(ready metav1.ConditionStatus, abnormal, reason, msg string, c []metav1.Condition) decision {
	d := decision{Notify: map[string]string{}}
	if abnormal != "" {
		c = append(c, cond(abnormal, metav1.ConditionTrue, reason, msg))
	}
	d.Set = append(c, cond(v1.ConditionReady, ready, reason, msg))
	for _, t := range []string{v1.ConditionReconciling, v1.ConditionStalled} {
		if t != abnormal {
			d.Remove = append(d.Remove, t)
		}
	}
	return d
}

// settled: the operator has done what the spec asks (Ready=True, nothing in flight).
func settled(reason, msg string, c ...metav1.Condition) decision {
	return standing(metav1.ConditionTrue, "", reason, msg, c)
}

// progressing: the operator is still acting (Reconciling=True, Ready=False).
func progressing(reason, msg string, c ...metav1.Condition) decision {
	return standing(metav1.ConditionFalse, v1.ConditionReconciling, reason, msg, c)
}

// stalled: only a person can move it on (Stalled=True, Ready=False), with a Warning event.
func stalled(reason, msg string, c ...metav1.Condition) decision {
	return standing(metav1.ConditionFalse, v1.ConditionStalled, reason, msg, c).notify(v1.ConditionStalled, "Warning")
}

func isTrue(st v1.RequestStatus, t string) bool {
	return meta.IsStatusConditionTrue(st.Conditions, t)
}

func reasonOf(st v1.RequestStatus, t string) string {
	if c := meta.FindStatusCondition(st.Conditions, t); c != nil {
		return c.Reason
	}
	return ""
}

// trueSince is when condition t became True, or now when it is not True.
func trueSince(st v1.RequestStatus, t string, now time.Time) time.Time {
	if c := meta.FindStatusCondition(st.Conditions, t); c != nil && c.Status == metav1.ConditionTrue {
		return c.LastTransitionTime.Time
	}
	return now
}

func fmtTime(t *metav1.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

func orUnknown(s string) string {
	if s == "" {
		return "not known yet"
	}
	return s
}
