package main

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
)

// state is one word (with a reason) for where an object stands, in the order that matters to
// the person who asked: what stops it first, then whether the access is live.
func state(k controllers.Kind, obj controllers.Object) string {
	st := obj.GetRequestStatus()
	conds := st.Conditions
	observed := st.ObservedGeneration >= obj.GetGeneration()
	live := meta.FindStatusCondition(conds, k.LiveCondition)
	switch {
	case obj.GetDeletionTimestamp() != nil:
		return "Deleting"
	case len(conds) == 0:
		return "New"
	case observed && meta.IsStatusConditionTrue(conds, v1.ConditionStalled):
		return "Stalled: " + meta.FindStatusCondition(conds, v1.ConditionStalled).Reason
	case live != nil && live.Status == metav1.ConditionTrue:
		if obj.GetRequestSpec().Cancelled {
			return "Ending"
		}
		return live.Type
	case meta.IsStatusConditionTrue(conds, v1.ConditionCancelled):
		return "Ended: " + meta.FindStatusCondition(conds, v1.ConditionCancelled).Reason
	case meta.IsStatusConditionTrue(conds, v1.ConditionReconciling) || !observed:
		if c := meta.FindStatusCondition(conds, v1.ConditionReconciling); c != nil && c.Status == metav1.ConditionTrue {
			return "Working: " + c.Reason
		}
		return "Working"
	case live != nil:
		switch live.Reason {
		case v1.ReasonNotStarted:
			return "Scheduled"
		case v1.ReasonPending:
			return "Pending approval"
		}
		return live.Reason
	}
	if c := meta.FindStatusCondition(conds, v1.ConditionReady); c != nil {
		return c.Reason
	}
	return "Unknown"
}

// settled says whether the operator is done with obj for now: Ready or Stalled, for the
// object's current generation.
func settled(obj controllers.Object) (done, ready bool) {
	st := obj.GetRequestStatus()
	if st.ObservedGeneration < obj.GetGeneration() {
		return false, false
	}
	if meta.IsStatusConditionTrue(st.Conditions, v1.ConditionStalled) {
		return true, false
	}
	if meta.IsStatusConditionTrue(st.Conditions, v1.ConditionReady) {
		return true, true
	}
	return false, false
}

// until says when the access ends: what Graph reports, else what the spec asks for.
func until(obj controllers.Object, now time.Time) string {
	st, spec := obj.GetRequestStatus(), obj.GetRequestSpec()
	if st.EndDateTime != nil {
		return when(st.EndDateTime.Time, now)
	}
	if spec.Schedule == nil {
		return "-"
	}
	exp := spec.Schedule.Expiration
	switch exp.Type {
	case v1.ExpirationNone:
		return "never"
	case v1.ExpirationAfterDateTime:
		if exp.EndDateTime != nil {
			if t, err := exp.EndDateTime.Get(); err == nil {
				return when(t, now)
			}
		}
	case v1.ExpirationAfterDuration:
		if exp.Duration == nil {
			break
		}
		d, err := exp.Duration.Get()
		if err != nil {
			break
		}
		start := obj.GetCreationTimestamp().Time
		if st.StartDateTime != nil {
			start = st.StartDateTime.Time
		} else if spec.Schedule.StartDateTime != nil {
			if t, err := spec.Schedule.StartDateTime.Get(); err == nil {
				start = t
			}
		}
		if start.IsZero() {
			return exp.Duration.String() + " after the start"
		}
		return when(start.Add(d), now)
	}
	return "-"
}

// when is an instant in UTC to the minute, with the time left or past.
func when(t, now time.Time) string {
	s := t.UTC().Format("2006-01-02 15:04 UTC")
	switch d := t.Sub(now); {
	case d > 0:
		return s + " (in " + short(d) + ")"
	default:
		return s + " (" + short(-d) + " ago)"
	}
}

// age is how long ago t was, or "" when it is not known.
func age(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return short(now.Sub(t))
}

// short is a duration the way kubectl prints ages: its two largest units.
func short(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		m, s := int(d.Minutes()), int(d.Seconds())%60
		if s == 0 || m >= 10 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s)
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 || h >= 10 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	default:
		days, h := int(d.Hours())/24, int(d.Hours())%24
		if h == 0 || days >= 10 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, h)
	}
}

// access is what the object asks for, in words: "member", "owner".
func access(obj controllers.Object) string {
	if a := obj.GetRequestStatus().AccessID; a != "" {
		return string(a)
	}
	if obj.GetRequestSpec().RequestID != "" {
		return "-"
	}
	return string(obj.GetRequestSpec().AccessID.OrMember())
}

// group and principal are Graph's (status), else the spec's, else "-" (an adoption not read yet).
func group(obj controllers.Object) string {
	return firstOf(obj.GetRequestStatus().GroupID, obj.GetRequestSpec().GroupID)
}

func principal(obj controllers.Object) string {
	return firstOf(obj.GetRequestStatus().PrincipalID, obj.GetRequestSpec().PrincipalID)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return "-"
}

// outcome is the one line that request and cancel end with.
func outcome(k controllers.Kind, obj controllers.Object, now time.Time) string {
	st := obj.GetRequestStatus()
	ref := resourceName(k, obj.GetName())
	if c := meta.FindStatusCondition(st.Conditions, v1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		return fmt.Sprintf("%s is Stalled (%s): %s", ref, c.Reason, oneLine(c.Message))
	}
	what := fmt.Sprintf("%s of group %s for %s", access(obj), group(obj), principal(obj))
	if k.LiveCondition == v1.ConditionEligible {
		what = "eligible " + what
	}
	if c := meta.FindStatusCondition(st.Conditions, v1.ConditionCancelled); c != nil && c.Status == metav1.ConditionTrue {
		return fmt.Sprintf("%s has ended (%s): %s", ref, c.Reason, oneLine(c.Message))
	}
	s := fmt.Sprintf("%s is Ready: %s", ref, what)
	if live := meta.FindStatusCondition(st.Conditions, k.LiveCondition); live != nil {
		switch {
		case live.Status == metav1.ConditionTrue:
			s += ", in force until " + until(obj, now)
		case live.Reason == v1.ReasonNotStarted && st.StartDateTime != nil:
			s += ", from " + when(st.StartDateTime.Time, now) + " until " + until(obj, now)
		default:
			s += fmt.Sprintf(", not in force yet (%s)", live.Reason)
		}
	}
	if st.GraphStatus != "" {
		s += " [Graph: " + st.GraphStatus + "]"
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
