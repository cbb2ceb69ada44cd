package controllers

import (
	"context"
	"strings"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// cancel POSTs cancel. 204 → Canceled. A 400 (the request can no longer be cancelled: it was
// provisioned or ended meanwhile) or a 404 → read the request again, once, and decide again.
func (r *Reconciler) cancel(ctx context.Context, obj *v1.PIMAssignmentRequest, g *graphView) error {
	st := &obj.Status
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	err := r.Graph.CancelRequest(cctx, st.RequestID)
	if err == nil {
		st.GraphStatus = string(pim.StatusCanceled)
		g.outcome = outcomeCancelled
		return nil
	}
	if g.reread || !(pim.IsClass(err, pim.ClassNotCancellable) || pim.IsClass(err, pim.ClassNotFound)) {
		return err
	}
	g.reread = true
	if rerr := r.readRequest(ctx, obj, g); rerr != nil {
		return rerr
	}
	switch pim.Status(st.GraphStatus) {
	case pim.StatusGranted, pim.StatusPendingApproval, pim.StatusPendingAdminDecision:
		if !g.gone {
			return err // still looks cancellable: Graph's refusal stands
		}
	}
	return nil
}

// remove is the guarded adminRemove: it is sent only when the triple's live schedule is this
// object's targetScheduleId, so deleting an object can never end access that another object
// (or person) holds for the same triple.
func (r *Reconciler) remove(ctx context.Context, obj *v1.PIMAssignmentRequest, g *graphView) error {
	st := &obj.Status
	t := pim.Triple{PrincipalID: st.PrincipalID, GroupID: st.GroupID, AccessID: pim.AccessID(st.AccessID)}
	if t.AccessID == "" {
		t.AccessID = pim.AccessMember
	}
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	live, err := r.Graph.FindLiveSchedule(cctx, t)
	if err != nil {
		return err
	}
	switch {
	case live == nil:
		g.outcome = outcomeNoLive
		return nil
	case st.TargetScheduleID == "" || !strings.EqualFold(live.ID, st.TargetScheduleID):
		g.outcome, g.liveScheduleID = outcomeNotOwned, live.ID
		return nil
	}
	why := "spec.cancelled is true"
	if !obj.DeletionTimestamp.IsZero() {
		why = "the object was deleted (deletionPolicy Cancel)"
	}
	req, err := r.Graph.RemoveAssignment(cctx, t, pim.AppendMarker("pim-operator: "+why, obj.Namespace, obj.Name, string(obj.UID)))
	if pim.IsClass(err, pim.ClassAlreadyGone) {
		g.outcome = outcomeAlreadyGone
		return nil
	}
	if err != nil {
		return err
	}
	st.RemovalRequestID = req.ID
	st.RemovalStatus = string(req.Status)
	return nil
}
