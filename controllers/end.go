package controllers

import (
	"context"
	"strings"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// cancel POSTs cancel for a request proven this object's. 204 → Canceled. A 400 (the request
// can no longer be cancelled: it was provisioned or ended meanwhile) or a 404 → read the
// request again, once, and decide again.
func (r *Reconciler) cancel(ctx context.Context, obj Object, facts *graphFacts) error {
	st := obj.GetRequestStatus()
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	err := r.graph.Cancel(cctx, st.RequestID)
	if err == nil {
		st.GraphStatus = string(pim.StatusCanceled)
		facts.Outcome = outcomeCancelled
		return nil
	}
	if facts.Reread || !(pim.IsClass(err, pim.ClassNotCancellable) || pim.IsClass(err, pim.ClassNotFound)) {
		return err
	}
	facts.Reread = true
	if rerr := r.readRequest(ctx, obj, facts); rerr != nil {
		return rerr
	}
	switch pim.Status(st.GraphStatus) {
	case pim.StatusGranted, pim.StatusPendingApproval, pim.StatusPendingAdminDecision:
		if !facts.Gone {
			return err // still looks cancellable: Graph's refusal stands
		}
	}
	return nil
}

// remove is the guarded adminRemove: it is sent only when one of the triple's live schedules is
// this object's (its targetScheduleId, proven or sealed), so deleting an object can never end
// access that another object (or person) holds for the same triple.
func (r *Reconciler) remove(ctx context.Context, obj Object, facts *graphFacts) error {
	st := obj.GetRequestStatus()
	t := r.triple(obj)
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	live, err := r.graph.FindLiveSchedules(cctx, t)
	if err != nil {
		return err
	}
	switch {
	case len(live) == 0:
		facts.Outcome = outcomeNoLive
		return nil
	case !ownsOneOf(st.TargetScheduleID, live):
		facts.Outcome, facts.LiveScheduleID = outcomeNotOwned, live[0].ID
		return nil
	}
	why := "spec.cancelled is true"
	if !obj.GetDeletionTimestamp().IsZero() {
		why = "the object was deleted (deletionPolicy Cancel)"
	}
	req, err := r.graph.Remove(cctx, t, pim.AppendMarker("pim-operator: "+why, obj.GetNamespace(), obj.GetName(), string(obj.GetUID())))
	if pim.IsClass(err, pim.ClassAlreadyGone) {
		// Graph says nothing is assigned, though it listed this object's schedule a moment ago:
		// its live schedules, read again, decide.
		if werr := r.witness(ctx, obj, facts); werr != nil {
			return werr
		}
		if facts.OwnLive {
			return err
		}
		facts.Outcome = outcomeAlreadyGone
		return nil
	}
	if err != nil {
		return err
	}
	st.RemovalRequestID = req.ID
	st.RemovalStatus = string(req.Status)
	return nil
}

// ownsOneOf: the object's schedule is among the live ones.
func ownsOneOf(targetScheduleID string, live []pim.Schedule) bool {
	if targetScheduleID == "" {
		return false
	}
	for _, s := range live {
		if strings.EqualFold(s.ID, targetScheduleID) {
			return true
		}
	}
	return false
}
