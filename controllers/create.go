package controllers

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// create makes the object's one Graph request: it records the intent in the create-pending
// annotation with a conflict-checked Update (so two workers, or a stale cache, cannot both
// post), then POSTs adminAssign with the marker in the justification. The request is folded
// into the status, which the deferred patch writes at once.
func (r *Reconciler) create(ctx context.Context, obj *v1.PIMAssignmentRequest, g *graphView) error {
	if err := r.setCreatePending(ctx, obj, true); err != nil {
		return err
	}
	in := createInput(obj)
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	req, err := r.Graph.CreateAssignment(cctx, in)
	if err == nil {
		foldRequest(&obj.Status, req)
		return nil
	}
	if pim.IsClass(err, pim.ClassAssignmentExists) {
		// Ours (a create whose answer was lost, listed late) → adopt; else someone else's.
		mine, ferr := r.findMine(ctx, obj)
		switch {
		case ferr != nil:
			return ferr
		case len(mine) == 1:
			foldRequest(&obj.Status, &mine[0])
			return nil
		case len(mine) > 1:
			g.searched, g.matches = true, mine
			return nil
		}
		return &errDuplicate{err: err, triple: in.Triple}
	}
	if definitelyNotApplied(err) {
		// Graph answered and refused: nothing was created, so the next attempt need not wait
		// out the settle period. Best effort: a marker left behind only costs a list call.
		_ = r.setCreatePending(ctx, obj, false)
	}
	return err
}

// definitelyNotApplied: Graph answered with a 4xx (throttled or refused), so the POST created
// nothing. A 5xx, a timeout or a dropped connection may have applied.
func definitelyNotApplied(err error) bool {
	e := pim.AsError(err)
	return e != nil && e.HTTPStatus >= 400 && e.HTTPStatus < 500 && e.Class != pim.ClassAssignmentExists
}

// setCreatePending writes (or removes) the create-pending annotation with a patch that carries
// the object's resourceVersion: a conflict means someone else moved first. A merge patch of the
// annotation only: the spec stays byte for byte as the user wrote it.
func (r *Reconciler) setCreatePending(ctx context.Context, obj *v1.PIMAssignmentRequest, on bool) error {
	base := obj.DeepCopy()
	cp := obj.DeepCopy()
	if on {
		if cp.Annotations == nil {
			cp.Annotations = map[string]string{}
		}
		cp.Annotations[v1.AnnotationCreatePending] = r.now().UTC().Format(time.RFC3339)
	} else {
		if _, ok := cp.Annotations[v1.AnnotationCreatePending]; !ok {
			return nil
		}
		delete(cp.Annotations, v1.AnnotationCreatePending)
	}
	if err := r.Patch(ctx, cp, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return err
	}
	// Keep the in-memory status (the patch's answer carries the stored one).
	obj.Annotations = cp.Annotations
	obj.ResourceVersion = cp.ResourceVersion
	return nil
}

// find is find-my-request: one match becomes the object's request, several stall.
func (r *Reconciler) find(ctx context.Context, obj *v1.PIMAssignmentRequest, g *graphView) error {
	mine, err := r.findMine(ctx, obj)
	if err != nil {
		return err
	}
	g.searched, g.matches = true, mine
	if len(mine) == 1 {
		foldRequest(&obj.Status, &mine[0])
	}
	return nil
}

// findMine lists the requests for the principal in the group and keeps the adminAssign ones
// carrying this object's marker (its UID).
func (r *Reconciler) findMine(ctx context.Context, obj *v1.PIMAssignmentRequest) ([]pim.Request, error) {
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	all, err := r.Graph.FindRequests(cctx, obj.Spec.PrincipalID, obj.Spec.GroupID)
	if err != nil {
		return nil, err
	}
	var mine []pim.Request
	for _, req := range all {
		if (req.Action == "" || req.Action == pim.ActionAdminAssign) && pim.HasMarker(req.Justification, string(obj.UID)) {
			mine = append(mine, req)
		}
	}
	return mine, nil
}

func accessOf(obj *v1.PIMAssignmentRequest) pim.AccessID {
	if obj.Spec.AccessID == "" {
		return pim.AccessMember
	}
	return pim.AccessID(obj.Spec.AccessID)
}

func timePtr(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

// createInput is the adminAssign request for the spec, the marker appended.
func createInput(obj *v1.PIMAssignmentRequest) pim.CreateInput {
	in := pim.CreateInput{
		Triple:        pim.Triple{PrincipalID: obj.Spec.PrincipalID, GroupID: obj.Spec.GroupID, AccessID: accessOf(obj)},
		Justification: pim.AppendMarker(obj.Spec.Justification, obj.Namespace, obj.Name, string(obj.UID)),
	}
	if t := obj.Spec.Ticket; t != nil {
		in.Ticket = &pim.Ticket{System: t.System, Number: t.Number}
	}
	if s := obj.Spec.Schedule; s != nil {
		in.Schedule.Start = timePtr(s.StartDateTime)
		in.Schedule.Expiration.Type = pim.ExpirationType(s.Expiration.Type)
		in.Schedule.Expiration.EndDateTime = timePtr(s.Expiration.EndDateTime)
		if s.Expiration.Duration != nil {
			in.Schedule.Expiration.Duration = s.Expiration.Duration.Duration
		}
	}
	return in
}
