package controllers

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// graphCtx bounds one Graph call.
func (r *Reconciler) graphCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.Options.GraphTimeout)
}

// observe reads what whatToRead asks for and folds it into the status: the request, or —
// when Graph has purged it — its schedule; or the removal request being followed. At the
// resync of an active assignment it also reads the schedule, which is how access removed
// outside this object shows: its request stays Provisioned.
func (r *Reconciler) observe(ctx context.Context, obj *v1.PIMAssignmentRequest, g *graphView, what graphRead) error {
	st := &obj.Status
	switch what {
	case readRemoval:
		cctx, cancel := r.graphCtx(ctx)
		defer cancel()
		req, err := r.Graph.GetRequest(cctx, st.RemovalRequestID)
		if err != nil {
			return err
		}
		st.RemovalStatus = string(req.Status)
		return nil
	case readRequest:
		return r.readRequest(ctx, obj, g)
	case readActive:
		if err := r.readRequest(ctx, obj, g); err != nil {
			return err
		}
		return r.checkSchedule(ctx, obj, g)
	}
	return nil
}

// checkSchedule reads the schedule of an assignment that is still Provisioned by its request: a
// 404 means the access was removed (or cancelled) outside this object. One GET per active
// object per resync. A 404 within the replication grace of the request's creation is not
// trusted.
func (r *Reconciler) checkSchedule(ctx context.Context, obj *v1.PIMAssignmentRequest, g *graphView) error {
	st := &obj.Status
	switch {
	case g.gone, g.scheduleRead, st.TargetScheduleID == "":
		return nil
	}
	switch pim.Status(st.GraphStatus) {
	case pim.StatusProvisioned, pim.StatusScheduleCreated:
	default:
		return nil
	}
	if st.EndDateTime != nil && !r.now().Before(st.EndDateTime.Time) {
		return nil
	}
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	_, err := r.Graph.GetSchedule(cctx, st.TargetScheduleID)
	switch {
	case err == nil:
		return nil
	case !pim.IsClass(err, pim.ClassNotFound):
		return err
	case st.CreatedDateTime != nil && r.now().Sub(st.CreatedDateTime.Time) < r.Options.ReplicationGrace:
		return nil
	}
	g.scheduleGone = true
	return nil
}

// readRequest reads the request; a 404 falls back to the schedule (the durable handle), and a
// 404 for both means ended — unless the request is so new that Graph may not have replicated it.
func (r *Reconciler) readRequest(ctx context.Context, obj *v1.PIMAssignmentRequest, g *graphView) error {
	st := &obj.Status
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	req, err := r.Graph.GetRequest(cctx, st.RequestID)
	if err == nil {
		foldRequest(st, req)
		return nil
	}
	if !pim.IsClass(err, pim.ClassNotFound) {
		return err
	}
	if st.TargetScheduleID != "" {
		s, serr := r.Graph.GetSchedule(cctx, st.TargetScheduleID)
		if serr == nil {
			foldSchedule(st, s)
			g.scheduleRead = true
			return nil
		}
		if !pim.IsClass(serr, pim.ClassNotFound) {
			return serr
		}
	}
	if st.CreatedDateTime != nil && r.now().Sub(st.CreatedDateTime.Time) < r.Options.ReplicationGrace {
		return err // a replication 404 right after create: transient
	}
	g.gone = true
	return nil
}

func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	mt := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &mt
}

// metaTimeCeil is metaTime rounded up to the second: an end time recorded early would report
// access as ended while Graph still grants it.
func metaTimeCeil(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	c := t.UTC().Truncate(time.Second)
	if c.Before(t.UTC()) {
		c = c.Add(time.Second)
	}
	return metaTime(&c)
}

// foldRequest records what Graph reports of the request.
func foldRequest(st *v1.PIMAssignmentRequestStatus, req *pim.Request) {
	if st.RequestID == "" {
		st.RequestID = req.ID
	}
	if req.TargetScheduleID != "" {
		st.TargetScheduleID = req.TargetScheduleID
	}
	foldTriple(st, req.Triple)
	st.GraphStatus = string(req.Status)
	st.CreatedDateTime = metaTime(req.Created)
	st.CompletedDateTime = metaTime(req.Completed)
	st.StartDateTime = metaTime(req.Start)
	st.EndDateTime = metaTimeCeil(req.End)
}

// foldSchedule records what the schedule says when Graph has purged the request.
func foldSchedule(st *v1.PIMAssignmentRequestStatus, s *pim.Schedule) {
	foldTriple(st, s.Triple)
	st.GraphStatus = string(s.Status)
	if s.Start != nil {
		st.StartDateTime = metaTime(s.Start)
	}
	st.EndDateTime = metaTimeCeil(s.End)
}

func foldTriple(st *v1.PIMAssignmentRequestStatus, t pim.Triple) {
	if t.GroupID != "" {
		st.GroupID = t.GroupID
	}
	if t.PrincipalID != "" {
		st.PrincipalID = t.PrincipalID
	}
	if t.AccessID != "" {
		st.AccessID = v1.AccessID(t.AccessID)
	}
}
