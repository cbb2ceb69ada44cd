package main

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pim-operator/pim-operator/controllers"
)

// pollInterval is how often a wait reads the object: cheap for one object, and quick enough
// that the outcome shows within a second of the operator recording it.
const pollInterval = 500 * time.Millisecond

var spinnerFrames = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

// wait reads obj until done says so or timeout passes, showing where it stands: a spinner on
// a terminal, a line for each new state otherwise (a log, CI).
func (o *options) wait(ctx context.Context, c client.Client, k controllers.Kind, obj controllers.Object,
	timeout time.Duration, doing string, done func(controllers.Object) bool) (controllers.Object, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	ref := resourceName(k, obj.GetName())
	last := ""
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	spin := time.NewTicker(100 * time.Millisecond)
	defer spin.Stop()
	frame := 0
	clear := func() {
		if o.tty {
			fmt.Fprint(o.ErrOut, "\r\033[K")
		}
	}
	current := obj
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), current); err != nil {
			clear()
			if ctx.Err() != nil {
				break
			}
			return nil, explainAPIError(err, "reading "+ref)
		}
		setKind(c.Scheme(), current)
		if done(current) {
			clear()
			return current, nil
		}
		s := state(k, current)
		if !o.tty && s != last {
			fmt.Fprintf(o.ErrOut, "%s: %s: %s\n", ref, doing, s)
		}
		last = s
	next:
		for {
			select {
			case <-ctx.Done():
				break next
			case <-spin.C:
				if o.tty {
					frame = (frame + 1) % len(spinnerFrames)
					fmt.Fprintf(o.ErrOut, "\r\033[K%c %s: %s: %s (%s)", spinnerFrames[frame], ref, doing, last,
						short(time.Since(start)))
				}
			case <-poll.C:
				break next
			}
		}
		if ctx.Err() != nil {
			clear()
			break
		}
	}
	return nil, fmt.Errorf("%s is still %s after %v; `kubectl pim why %s` says why, `kubectl pim ls` shows it later",
		ref, last, timeout, obj.GetName())
}
