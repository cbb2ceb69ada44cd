package envtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
)

// A manager that takes over settled objects (a restart, a new leader) reads Graph for them
// over --startup-read-spread, not all at once, while an object the user changed is handled at
// once. With the spread off, every object is read as the new manager starts.
func TestRestartSpreadsTheFirstReads(t *testing.T) {
	needEnv(t)
	for _, spread := range []time.Duration{time.Hour, 0} {
		t.Run(fmt.Sprintf("spread %v", spread), func(t *testing.T) {
			ns, _, group := newScenario(t)
			label := guid()[:8]
			selector := restartLabel + "=" + label
			first, stopFirst := startTestManager(t, selector, suiteOptions)

			var objs []*v1.PIMAssignmentRequest
			var principals []string
			for i := range 3 {
				principal := guid()
				principals = append(principals, principal)
				objs = append(objs, createLive(t, assignment(ns, fmt.Sprintf("settled-%d", i), principal, group,
					func(o *v1.PIMAssignmentRequest) { o.Labels = map[string]string{restartLabel: label} })))
			}
			stopFirst()
			<-first

			opts := suiteOptions
			opts.StartupReadSpread = spread
			before := len(emu.Calls())
			_, stopSecond := startTestManager(t, selector, opts)
			defer stopSecond()

			// The changed object is ended at once, whatever the spread.
			patchSpec(t, objs[0], func(o *v1.PIMAssignmentRequest) { o.Spec.Cancelled = true })
			waitCond(t, objs[0], v1.ConditionCancelled, metav1.ConditionTrue, v1.ReasonRemoved, settle)

			readsOfSettled := func() int {
				n := 0
				for _, c := range emu.Calls()[before:] {
					for i, o := range objs[1:] {
						if concerns(c, principals[i+1], o.Status.RequestID) {
							n++
						}
					}
				}
				return n
			}
			if spread > 0 {
				consistently(t, 2*time.Second, func() error {
					if n := readsOfSettled(); n != 0 {
						return fmt.Errorf("the new manager made %d Graph calls for settled objects within the spread", n)
					}
					return nil
				})
				return
			}
			eventually(t, settle, func() error {
				if n := readsOfSettled(); n == 0 {
					return fmt.Errorf("no Graph read of the settled objects since the new manager started")
				}
				return nil
			})
		})
	}
}

// startTestManager runs a manager of the test's own for the objects matching selector; stop
// ends it, and the channel closes once it has stopped.
func startTestManager(t *testing.T, selector string, opts controllers.Options) (chan struct{}, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startManager(ctx, suiteGraph, controllers.PolicyModeDisabled, selector, nil, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return done, stop
}
