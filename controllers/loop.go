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
// verdict from the cache first — an object no policy permits, and that has nothing proven of
// its own in Graph, makes no Graph call at all — then what Graph must be read, then decide,
// then act, until the decision is to wait or to finish, with at most one successful Graph
// write. It records the final decision and seals what Graph proved.
func (r *Reconciler) run(ctx context.Context, obj Object) decision {
	spec, st := obj.GetRequestSpec(), obj.GetRequestStatus()
	st.DeletionPolicy = effectiveDeletionPolicy(spec)
	if spec.RequestID != "" && st.RequestID != spec.RequestID {
		// An adopted object's request is the one its spec names, whatever the status says.
		*st = v1RequestStatusFor(spec, st)
	}
	sealedAtStart := r.seals.statusSealed(r.kind, obj)
	guardIn, err := r.readGuardInputs(ctx, obj)
	if err != nil {
		return r.fail(ctx, obj, decision{}, "read the PIMAccessPolicies", err)
	}
	facts := &graphFacts{}
	o := r.observe(obj, facts, guardIn)
	what := readFor(o)
	deferred := r.startup.deferral(o, what, obj.GetUID(), obj.GetGeneration() == st.ObservedGeneration)
	if deferred > 0 {
		what = readNothing // its turn comes within the start-up spread (startup.go)
	}
	if what != readNothing && mayCallGraph(o) && !r.adoptionDenied(obj) {
		before := st.DeepCopy()
		if err := r.read(ctx, obj, facts, what); err != nil {
			return r.fail(ctx, obj, decision{}, "observe", err)
		}
		switch {
		case r.denyAdoption(obj, guardIn, before):
			*facts = graphFacts{}
		case facts.Foreign != "":
			*st = *before // nothing Graph said about another object's request stays here
		}
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
			policyDecisions.WithLabelValues(string(r.kind.Graph), d.Gate).Inc()
			counted = true
		}
		do := r.actFor(d.Step)
		if do == nil {
			if deferred > 0 && (d.After <= 0 || d.After > deferred) {
				d.After = deferred
			}
			r.seal(obj, facts, sealedAtStart)
			d.events = r.record(ctx, obj, d)
			return d
		}
		done[d.Step] = true
		if err := do(ctx, obj, facts); err != nil {
			r.seal(obj, facts, sealedAtStart)
			return r.fail(ctx, obj, d, string(d.Step), err)
		}
		wrote = wrote || d.Step.mutates()
	}
}

// seal signs the status when Graph proved it this object's in this reconcile, or it was sealed
// before and only proven steps changed it since.
func (r *Reconciler) seal(obj Object, facts *graphFacts, sealedAtStart bool) {
	st := obj.GetRequestStatus()
	switch {
	case st.RequestID == "" || facts.Foreign != "":
		st.Seal = ""
	case facts.Proven || sealedAtStart:
		r.seals.sealStatus(r.kind, obj)
	default:
		st.Seal = "" // one that does not verify (copied, forged, an old key's) proves nothing
	}
}

// observe is the observation of obj now, with this reconcile's facts and the verdict.
func (r *Reconciler) observe(obj Object, facts *graphFacts, in *guardInputs) observation {
	o := newObservation(r.kind, r.seals, obj, *facts, in.verdict(r.kind, obj), r.now())
	o.NamespaceSelected = in.selected()
	if r.adoptionDenied(obj) {
		o.Verdict = r.adoptionDeniedVerdict(obj)
	}
	return o
}

func (r *Reconciler) fail(ctx context.Context, obj Object, pre decision, op string, err error) decision {
	d := failed(pre, op, err, newObservation(r.kind, r.seals, obj, graphFacts{}, nil, r.now()), r.cfg.Options)
	d.events = r.record(ctx, obj, d)
	return d
}
