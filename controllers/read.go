package controllers

import (
	"context"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// graphCtx bounds one Graph call.
func (r *Reconciler) graphCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.cfg.Options.GraphTimeout)
}

// read reads what readFor asks for and folds it into the status: the request, or — when Graph
// has purged it — its schedule; or the removal request being followed. At the resync of live
// access it also reads the schedule, which is how access removed outside this object shows:
// its request stays Provisioned.
func (r *Reconciler) read(ctx context.Context, obj Object, facts *graphFacts, what graphRead) error {
	st := obj.GetRequestStatus()
	switch what {
	case readRemoval:
		cctx, cancel := r.graphCtx(ctx)
		defer cancel()
		req, err := r.graph.GetRequest(cctx, st.RemovalRequestID)
		if err != nil {
			return err
		}
		st.RemovalStatus = string(req.Status)
		return nil
	case readRequest:
		return r.readRequest(ctx, st, facts)
	case readLive:
		if err := r.readRequest(ctx, st, facts); err != nil {
			return err
		}
		return r.checkSchedule(ctx, st, facts)
	case readOwnSchedule:
		if err := r.readRequest(ctx, st, facts); err != nil {
			return err
		}
		return r.findOwnSchedule(ctx, st, facts)
	}
	return nil
}

// findOwnSchedule looks for the schedule this object's request created, among the triple's
// live ones (createdUsing is the request id), when Graph did not name it in targetScheduleId.
func (r *Reconciler) findOwnSchedule(ctx context.Context, st *v1.RequestStatus, facts *graphFacts) error {
	if st.TargetScheduleID != "" || facts.Gone {
		return nil
	}
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	live, err := r.graph.FindLiveSchedules(cctx, statusTriple(st))
	if err != nil {
		return err
	}
	for _, s := range live {
		if strings.EqualFold(s.CreatedUsing, st.RequestID) {
			st.TargetScheduleID = s.ID
			return nil
		}
	}
	facts.NoOwnSchedule = true
	return nil
}

// checkSchedule reads the schedule of access that is still Provisioned by its request: a 404
// means the access was removed (or cancelled) outside this object. One GET per live object per
// resync. A 404 within the replication grace of the request's creation is not trusted.
func (r *Reconciler) checkSchedule(ctx context.Context, st *v1.RequestStatus, facts *graphFacts) error {
	switch {
	case facts.Gone, facts.ScheduleRead, st.TargetScheduleID == "":
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
	_, err := r.graph.GetSchedule(cctx, st.TargetScheduleID)
	switch {
	case err == nil:
		return nil
	case !pim.IsClass(err, pim.ClassNotFound):
		return err
	case r.withinReplicationGrace(st):
		return nil
	}
	facts.ScheduleGone = true
	return nil
}

// readRequest reads the request; a 404 falls back to the schedule (the durable handle), and a
// 404 for both means ended — unless the request is so new that Graph may not have replicated it.
func (r *Reconciler) readRequest(ctx context.Context, st *v1.RequestStatus, facts *graphFacts) error {
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	req, err := r.graph.GetRequest(cctx, st.RequestID)
	if err == nil {
		foldRequest(st, req)
		return nil
	}
	if !pim.IsClass(err, pim.ClassNotFound) {
		return err
	}
	if st.TargetScheduleID != "" {
		s, serr := r.graph.GetSchedule(cctx, st.TargetScheduleID)
		if serr == nil {
			foldSchedule(st, s)
			facts.ScheduleRead = true
			return nil
		}
		if !pim.IsClass(serr, pim.ClassNotFound) {
			return serr
		}
	}
	if r.withinReplicationGrace(st) {
		return err // a replication 404 right after create: transient
	}
	facts.Gone = true
	return nil
}

// withinReplicationGrace: the request is so new that a 404 may only mean Graph has not
// replicated it yet.
func (r *Reconciler) withinReplicationGrace(st *v1.RequestStatus) bool {
	return st.CreatedDateTime != nil && r.now().Sub(st.CreatedDateTime.Time) < r.cfg.Options.ReplicationGrace
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
func foldRequest(st *v1.RequestStatus, req *pim.Request) {
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
func foldSchedule(st *v1.RequestStatus, s *pim.Schedule) {
	foldTriple(st, s.Triple)
	st.GraphStatus = string(s.Status)
	if s.Start != nil {
		st.StartDateTime = metaTime(s.Start)
	}
	st.EndDateTime = metaTimeCeil(s.End)
}

func foldTriple(st *v1.RequestStatus, t pim.Triple) {
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
