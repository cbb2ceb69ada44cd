package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// create makes the object's one Graph request: it records the intent in the create-pending
// annotation with a conflict-checked patch (so two workers, or a stale cache, cannot both
// post), then POSTs adminAssign with the marker in the justification. The request is folded
// into the status, which the deferred patch writes at once.
func (r *Reconciler) create(ctx context.Context, obj Object, facts *graphFacts) error {
	in := createInput(obj)
	if err := r.checkGroupPolicy(ctx, in, facts); err != nil {
		return err
	}
	if err := r.setCreatePending(ctx, obj, true); err != nil {
		return err
	}
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	req, err := r.graph.Assign(cctx, in)
	r.refusedForPolicy(in, err)
	if err == nil {
		foldRequest(obj.GetRequestStatus(), req)
		facts.Proven = true
		return nil
	}
	if pim.IsClass(err, pim.ClassAssignmentExists) {
		// Ours (a create whose answer was lost, listed late) → adopt; else someone else's.
		mine, ferr := r.findMine(ctx, obj)
		switch {
		case ferr != nil:
			return ferr
		case len(mine) == 1:
			foldRequest(obj.GetRequestStatus(), &mine[0])
			facts.Proven = true
			return nil
		case len(mine) > 1:
			facts.Searched, facts.Matches = true, mine
			return nil
		}
		// Someone else's: this POST was refused, so nothing of this object's waits to be found.
		r.releaseCreatePending(ctx, obj)
		return &errDuplicate{err: err, triple: in.Triple}
	}
	if notApplied(err) {
		r.releaseCreatePending(ctx, obj)
	}
	return err
}

// notApplied: the POST created nothing — it never left the process (the write limiter, an
// input refused before sending), or Graph answered with a 4xx (throttled or refused). A 5xx, a
// timeout or a dropped connection may have applied.
func notApplied(err error) bool {
	e := pim.AsError(err)
	return e != nil && (e.NotSent || e.HTTPStatus >= 400 && e.HTTPStatus < 500 && e.Class != pim.ClassAssignmentExists)
}

// releaseCreatePending drops the create-pending marker after a create that created nothing, so
// that neither the next attempt nor a delete waits out the settle period. Best effort: a
// marker left behind only costs a list call and a wait.
func (r *Reconciler) releaseCreatePending(ctx context.Context, obj Object) {
	_ = r.setCreatePending(ctx, obj, false)
}

// setCreatePending writes (or removes) the create-pending annotation with a patch that carries
// the object's resourceVersion: a conflict means someone else moved first. A merge patch of the
// annotation only: the spec stays byte for byte as the user wrote it.
func (r *Reconciler) setCreatePending(ctx context.Context, obj Object, on bool) error {
	base := obj.DeepCopyObject().(Object)
	cp := obj.DeepCopyObject().(Object)
	annotations := cp.GetAnnotations()
	if on {
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[v1.AnnotationCreatePending] = r.seals.createPendingValue(r.kind, obj, r.now())
	} else {
		if _, ok := annotations[v1.AnnotationCreatePending]; !ok {
			return nil
		}
		delete(annotations, v1.AnnotationCreatePending)
	}
	cp.SetAnnotations(annotations)
	if err := r.Patch(ctx, cp, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return err
	}
	// Keep the in-memory status (the patch's answer carries the stored one).
	obj.SetAnnotations(cp.GetAnnotations())
	obj.SetResourceVersion(cp.GetResourceVersion())
	return nil
}

// find is find-my-request: one match becomes the object's request (in place of a status that
// named another object's), several stall.
func (r *Reconciler) find(ctx context.Context, obj Object, facts *graphFacts) error {
	mine, err := r.findMine(ctx, obj)
	if err != nil {
		return err
	}
	facts.Searched, facts.Matches = true, mine
	if len(mine) == 1 {
		st := obj.GetRequestStatus()
		if facts.Foreign != "" {
			*st = v1.RequestStatus{DeletionPolicy: st.DeletionPolicy, Failures: st.Failures,
				ObservedGeneration: st.ObservedGeneration, Conditions: st.Conditions}
			facts.Foreign = ""
		}
		foldRequest(st, &mine[0])
		facts.Proven = true
	}
	return nil
}

// findMine lists the requests for the principal in the group and keeps the adminAssign ones
// carrying this object's marker (its UID).
func (r *Reconciler) findMine(ctx context.Context, obj Object) ([]pim.Request, error) {
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	spec := obj.GetRequestSpec()
	all, err := r.graph.FindRequests(cctx, spec.PrincipalID, spec.GroupID)
	if err != nil {
		return nil, err
	}
	var mine []pim.Request
	for _, req := range all {
		if (req.Action == "" || req.Action == pim.ActionAdminAssign) && pim.HasMarker(req.Justification, string(obj.GetUID())) &&
			sameTriple(req.Triple, specTriple(spec)) {
			mine = append(mine, req)
		}
	}
	return mine, nil
}
