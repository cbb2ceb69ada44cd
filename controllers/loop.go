package controllers

import (
	"context"
)

// act is one of the Graph steps: it calls Graph and folds what Graph answered into the status
// and the reconcile's facts.
type act func(ctx context.Context, obj Object, facts *graphFacts) error

func (r *Reconciler) actFor(s step) act {
	switch s {
	case stepFind:
		return r.find
	case stepCreate:
		return r.create
	case stepCancel:
		return r.cancel
	case stepRemove:
		return r.remove
	}
	return nil
}

// run is one reconcile of the lifecycle, in the order the trust rules need: the guard rails'
// verdict from the cache first, then what Graph must be read, then decide, then act — until
// the decision is to wait or to finish, with at most one successful Graph write. It records
// the final decision.
func (r *Reconciler) run(ctx context.Context, obj Object) decision {
	spec, st := obj.GetRequestSpec(), obj.GetRequestStatus()
	st.DeletionPolicy = effectiveDeletionPolicy(spec)
	if spec.RequestID != "" && st.RequestID == "" {
		st.RequestID = spec.RequestID
	}
	guardIn, err := r.readGuardInputs(ctx, obj)
	if err != nil {
		return r.fail(ctx, obj, decision{}, "read the PIMAccessPolicies", err)
	}
	facts := &graphFacts{}
	if err := r.read(ctx, obj, facts, readFor(r.observe(obj, facts, guardIn))); err != nil {
		return r.fail(ctx, obj, decision{}, "observe", err)
	}
	done := map[step]bool{}
	wrote, counted := false, false
	for {
		d := decide(r.observe(obj, facts, guardIn), r.cfg.Options)
		if done[d.Step] || (wrote && d.Step.mutates()) {
			// Never the same step twice, nor a second write, in one reconcile: look again soon.
			d.Step, d.After, d.Gate = stepPoll, r.cfg.Options.PollInterval, ""
		}
		if d.Gate != "" && !counted {
			policyDecisions.WithLabelValues(d.Gate).Inc()
			counted = true
		}
		do := r.actFor(d.Step)
		if do == nil {
			r.record(ctx, obj, d)
			return d
		}
		done[d.Step] = true
		if err := do(ctx, obj, facts); err != nil {
			return r.fail(ctx, obj, d, string(d.Step), err)
		}
		wrote = wrote || d.Step.mutates()
	}
}

// observe is the observation of obj now, with this reconcile's facts and the verdict.
func (r *Reconciler) observe(obj Object, facts *graphFacts, in *guardInputs) observation {
	return newObservation(r.kind, obj, *facts, in.verdict(r.kind, obj), r.now())
}

func (r *Reconciler) fail(ctx context.Context, obj Object, pre decision, op string, err error) decision {
	d := failed(pre, op, err, newObservation(r.kind, obj, graphFacts{}, nil, r.now()), r.cfg.Options)
	r.record(ctx, obj, d)
	return d
}
