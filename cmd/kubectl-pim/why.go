package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
)

// maxEvents bounds the events `why` shows: the latest say what is going on.
const maxEvents = 10

func newWhyCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "why NAME",
		Short: "Say where a request stands and why: its conditions, the policy verdict, Graph's last error",
		Long: `Explains the request object NAME in words: where it stands, what that means and what to do,
whether a PIMAccessPolicy permits it, the last error Microsoft Graph gave (with its request-id,
which Microsoft support asks for), its conditions and its latest events.`,
		Example: `  kubectl pim why alice-member-6b1f3c9e-x7k2p
  kubectl pim -n team-a why pimer/bob-owner-3e2d1c0b-q8r4t`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return why(cmd.Context(), o, args[0]) },
	}
}

func why(ctx context.Context, o *options, name string) error {
	c, ns, err := o.connect("yaml", "json")
	if err != nil {
		return err
	}
	f, err := find(ctx, c, ns, name)
	if err != nil {
		return err
	}
	if structured(o.output) {
		return printAs(o.Out, o.output, f.obj)
	}
	events, eventsErr := eventsOf(ctx, c, f.obj)
	explain(o.Out, f.kind, f.obj, events, eventsErr, o.now())
	return nil
}

// explain writes everything `why` says about obj.
func explain(w io.Writer, k controllers.Kind, obj controllers.Object, events []corev1.Event, eventsErr error, now time.Time) {
	spec, st := obj.GetRequestSpec(), obj.GetRequestStatus()
	fmt.Fprintf(w, "%s in namespace %s\n", resourceName(k, obj.GetName()), obj.GetNamespace())
	what := fmt.Sprintf("%s of group %s for %s", access(obj), group(obj), principal(obj))
	if k.LiveCondition == v1.ConditionEligible {
		what = "eligible " + what
	}
	if spec.RequestID != "" {
		what += fmt.Sprintf(", adopting Graph request %s", spec.RequestID)
	}
	fmt.Fprintf(w, "  asks for: %s, until %s\n", what, until(obj, now))
	s := state(k, obj)
	fmt.Fprintf(w, "  state:    %s\n", s)
	if st.GraphStatus != "" {
		fmt.Fprintf(w, "  Graph:    request %s is %s\n", st.RequestID, st.GraphStatus)
	}

	// The condition that matters most, in words.
	if c := leading(k, obj); c != nil {
		if e, ok := explanations[c.Reason]; ok {
			fmt.Fprintf(w, "\n%s (%s=%s): %s\n  What to do: %s\n", c.Reason, c.Type, c.Status, e.means, e.todo)
		} else if c.Message != "" {
			fmt.Fprintf(w, "\n%s (%s=%s): %s\n", c.Reason, c.Type, c.Status, oneLine(c.Message))
		}
	} else if len(st.Conditions) == 0 {
		fmt.Fprintln(w, "\nThe operator has not reconciled this object yet. If that lasts, the operator may not be running, "+
			"or may not watch this namespace (--watch-namespaces).")
	}

	fmt.Fprintf(w, "\nPolicy verdict: %s\n", verdict(obj))
	fmt.Fprintf(w, "Last Graph error: %s\n", lastGraphError(obj, events, now))

	if len(st.Conditions) > 0 {
		fmt.Fprintln(w, "\nConditions:")
		t := newTable(w, "  TYPE", "STATUS", "REASON", "AGE", "MESSAGE")
		conds := append([]metav1.Condition(nil), st.Conditions...)
		sort.SliceStable(conds, func(i, j int) bool { return conditionOrder(conds[i].Type) < conditionOrder(conds[j].Type) })
		for _, c := range conds {
			t.row("  "+c.Type, string(c.Status), c.Reason, age(c.LastTransitionTime.Time, now), oneLine(c.Message))
		}
		_ = t.flush()
	}

	fmt.Fprintln(w, "\nEvents:")
	switch {
	case eventsErr != nil:
		fmt.Fprintf(w, "  (cannot list events: %v)\n", eventsErr)
	case len(events) == 0:
		fmt.Fprintln(w, "  none")
	default:
		t := newTable(w, "  AGE", "TYPE", "REASON", "MESSAGE")
		for _, e := range events {
			t.row("  "+age(eventTime(e), now), e.Type, e.Reason, oneLine(e.Message))
		}
		_ = t.flush()
	}
}

// leading is the condition that says most about where obj stands: Stalled, then an ending
// under way or done, then Reconciling, then the access's own condition when it is not in force.
func leading(k controllers.Kind, obj controllers.Object) *metav1.Condition {
	conds := obj.GetRequestStatus().Conditions
	for _, t := range []string{v1.ConditionStalled, v1.ConditionReconciling} {
		if c := meta.FindStatusCondition(conds, t); c != nil && c.Status == metav1.ConditionTrue {
			return c
		}
	}
	if c := meta.FindStatusCondition(conds, v1.ConditionCancelled); c != nil {
		return c
	}
	if c := meta.FindStatusCondition(conds, k.LiveCondition); c != nil {
		return c
	}
	return nil
}

// verdict is the Permitted condition in words.
func verdict(obj controllers.Object) string {
	c := meta.FindStatusCondition(obj.GetRequestStatus().Conditions, v1.ConditionPermitted)
	switch {
	case c == nil:
		return "none recorded (the operator runs with --policy-mode=disabled, or has not looked at this object yet)"
	case c.Status == metav1.ConditionTrue:
		return "permitted — " + oneLine(c.Message)
	case obj.GetRequestStatus().RequestID != "":
		return "no longer permitted — " + oneLine(c.Message) + " (the access already granted stays; policies do not end it)"
	}
	return "denied — " + oneLine(c.Message)
}

// lastGraphError is what Graph last refused, in its own words: the Stalled or Reconciling
// condition when Graph caused it, else the latest warning event that Graph caused.
func lastGraphError(obj controllers.Object, events []corev1.Event, now time.Time) string {
	for _, t := range []string{v1.ConditionStalled, v1.ConditionReconciling} {
		c := meta.FindStatusCondition(obj.GetRequestStatus().Conditions, t)
		if c != nil && c.Status == metav1.ConditionTrue && graphReasons[c.Reason] {
			return fmt.Sprintf("%s — %s", c.Reason, oneLine(c.Message))
		}
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Type == corev1.EventTypeWarning && graphReasons[e.Reason] {
			return fmt.Sprintf("%s, %s ago — %s", e.Reason, short(now.Sub(eventTime(e))), oneLine(e.Message))
		}
	}
	return "none recorded"
}

func conditionOrder(t string) int {
	for i, c := range []string{v1.ConditionReady, v1.ConditionStalled, v1.ConditionReconciling, v1.ConditionPermitted,
		v1.ConditionSubmitted, v1.ConditionActive, v1.ConditionEligible, v1.ConditionCancelled} {
		if t == c {
			return i
		}
	}
	return 100
}

// eventsOf are obj's events, oldest first, the latest maxEvents of them.
func eventsOf(ctx context.Context, c client.Client, obj client.Object) ([]corev1.Event, error) {
	var list corev1.EventList
	err := c.List(ctx, &list, client.InNamespace(obj.GetNamespace()),
		client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("involvedObject.uid", string(obj.GetUID()))})
	if err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("not allowed to list events in namespace %s", obj.GetNamespace())
		}
		return nil, err
	}
	events := list.Items
	sort.SliceStable(events, func(i, j int) bool { return eventTime(events[i]).Before(eventTime(events[j])) })
	if len(events) > maxEvents {
		events = events[len(events)-maxEvents:]
	}
	return events, nil
}

// eventTime is when an event last happened, whichever API wrote it (events.k8s.io sets
// eventTime and series, core/v1 lastTimestamp).
func eventTime(e corev1.Event) time.Time {
	t := e.CreationTimestamp.Time
	for _, c := range []time.Time{e.LastTimestamp.Time, e.EventTime.Time} {
		if c.After(t) {
			t = c
		}
	}
	if e.Series != nil && e.Series.LastObservedTime.After(t) {
		t = e.Series.LastObservedTime.Time
	}
	return t
}
