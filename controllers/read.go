package controllers

import (
	"context"
	"fmt"
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

// read reads what readFor asks for and folds into the status only what Graph shows to be this
// object's: the request, or — when Graph has purged it — its schedule; the removal request
// being followed; the schedule of live access; the triple's live schedules.
func (r *Reconciler) read(ctx context.Context, obj Object, facts *graphFacts, what graphRead) error {
	switch what {
	case readRemoval:
		return r.readRemoval(ctx, obj, facts)
	case readRequest:
		return r.readRequest(ctx, obj, facts)
	case readLive:
		if err := r.readRequest(ctx, obj, facts); err != nil || facts.Foreign != "" {
			return err
		}
		return r.checkSchedule(ctx, obj, facts)
	case readOwnSchedule:
		if err := r.readRequest(ctx, obj, facts); err != nil || facts.Foreign != "" {
			return err
		}
		return r.findOwnSchedule(ctx, obj, facts)
	case readWitness:
		return r.witness(ctx, obj, facts)
	}
	return nil
}

// readRequest reads the request; it is folded only when it is this object's (foreign says
// why not). A 404 falls back to the schedule (the durable handle) of a sealed status; a 404
// for both means ended only when the triple's live schedules, an independent read, hold
// nothing of this object's — and never while the request is so new that Graph may not have
// replicated it.
func (r *Reconciler) readRequest(ctx context.Context, obj Object, facts *graphFacts) error {
	st := obj.GetRequestStatus()
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	req, err := r.graph.GetRequest(cctx, st.RequestID)
	if err == nil {
		why := foreign(obj, req)
		if why == "" || obj.GetRequestSpec().RequestID != "" {
			// An adopted request is folded even when another object manages it, so that the
			// guard rails judge its group first; run takes back what a refusal must not keep.
			foldRequest(st, req)
		}
		facts.Foreign, facts.Proven = why, why == ""
		return nil
	}
	if !pim.IsClass(err, pim.ClassNotFound) {
		return err
	}
	sealed := r.seals.statusSealed(r.kind, obj)
	if sealed && st.TargetScheduleID != "" {
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
	if sealed {
		if werr := r.witness(ctx, obj, facts); werr != nil {
			return werr
		}
		if facts.OwnLive {
			return nil
		}
	}
	facts.Gone = true
	return nil
}

// foreign says why req is not obj's request, or "" when it is: a created object's request
// carries its marker and is for the triple its spec asks; an adopted one is the request its
// spec names and carries no other object's marker.
func foreign(obj Object, req *pim.Request) string {
	spec := obj.GetRequestSpec()
	owner, uid, marked := pim.MarkerOwner(req.Justification)
	if spec.RequestID != "" {
		if !strings.EqualFold(req.ID, spec.RequestID) {
			return fmt.Sprintf("Graph answered with request %s for spec.requestId %s", req.ID, spec.RequestID)
		}
		if marked && uid != string(obj.GetUID()) {
			return fmt.Sprintf("request %s is managed by the object %s (uid %s)", req.ID, owner, uid)
		}
		return ""
	}
	switch {
	case !marked:
		return fmt.Sprintf("request %s carries no marker of this object: it was made elsewhere", req.ID)
	case uid != string(obj.GetUID()):
		return fmt.Sprintf("request %s was made for the object %s (uid %s)", req.ID, owner, uid)
	case !sameTriple(req.Triple, specTriple(spec)):
		return fmt.Sprintf("request %s is for principal %s, group %s, %s — not what this object's spec asks",
			req.ID, req.Triple.PrincipalID, req.Triple.GroupID, req.Triple.AccessID)
	}
	return ""
}

func sameTriple(a, b pim.Triple) bool {
	return strings.EqualFold(a.PrincipalID, b.PrincipalID) && strings.EqualFold(a.GroupID, b.GroupID) &&
		(a.AccessID == "" || a.AccessID == b.AccessID)
}

// checkSchedule reads the schedule of access its request still reports live. Near or past its
// end, the schedule says when the access really ends (Graph, not the local clock: an extension
// made in the portal moves it). Otherwise a 404 means the access may have been removed outside
// this object — but one answer proves nothing: the first 404 is recorded
// (status.scheduleMissingSince), and only a second one, a poll interval later and confirmed by
// the triple's live schedules, makes it "removed elsewhere". A read that finds it clears it.
func (r *Reconciler) checkSchedule(ctx context.Context, obj Object, facts *graphFacts) error {
	st := obj.GetRequestStatus()
	switch {
	case facts.Gone, facts.ScheduleRead, st.TargetScheduleID == "":
		return nil
	}
	switch pim.Status(st.GraphStatus) {
	case pim.StatusProvisioned, pim.StatusScheduleCreated, pim.StatusGranted:
	default:
		return nil
	}
	now := r.now()
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	s, err := r.graph.GetSchedule(cctx, st.TargetScheduleID)
	ended := st.EndDateTime != nil && !now.Before(st.EndDateTime.Time)
	switch {
	case err == nil:
		foldSchedule(st, s)
		facts.ScheduleRead = true
		st.ScheduleMissingSince = nil
		return nil
	case !pim.IsClass(err, pim.ClassNotFound):
		return err
	case ended, r.withinReplicationGrace(st):
		return nil // past its end Graph serves no schedule: that is the expiry
	case st.ScheduleMissingSince == nil:
		st.ScheduleMissingSince = metaTime(&now)
		facts.ScheduleSuspect = true
		return nil
	case now.Sub(st.ScheduleMissingSince.Time) < r.cfg.Options.PollInterval:
		facts.ScheduleSuspect = true
		return nil
	}
	if err := r.witness(ctx, obj, facts); err != nil {
		return err
	}
	if !facts.OwnLive {
		facts.ScheduleGone = true
	}
	return nil
}

// findOwnSchedule looks for the schedule this object's request created, among the triple's
// live ones (createdUsing is the request id), when Graph did not name it in targetScheduleId.
func (r *Reconciler) findOwnSchedule(ctx context.Context, obj Object, facts *graphFacts) error {
	st := obj.GetRequestStatus()
	if st.TargetScheduleID != "" || facts.Gone {
		return nil
	}
	if err := r.witness(ctx, obj, facts); err != nil {
		return err
	}
	if !facts.OwnLive {
		facts.NoOwnSchedule = true
	}
	return nil
}

// witness lists the triple's live schedules: the independent read that must confirm that
// nothing of this object's is live before an ending finishes, or before a verdict of "gone"
// or "removed elsewhere". A live schedule this object's request created is folded into the
// status.
func (r *Reconciler) witness(ctx context.Context, obj Object, facts *graphFacts) error {
	st := obj.GetRequestStatus()
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	live, err := r.graph.FindLiveSchedules(cctx, r.triple(obj))
	if err != nil {
		return err
	}
	facts.Witnessed, facts.AnyLive = true, len(live) > 0
	for i := range live {
		s := &live[i]
		if (st.TargetScheduleID != "" && strings.EqualFold(s.ID, st.TargetScheduleID)) ||
			(st.RequestID != "" && strings.EqualFold(s.CreatedUsing, st.RequestID)) {
			if st.TargetScheduleID == "" {
				st.TargetScheduleID = s.ID
			}
			foldSchedule(st, s)
			st.ScheduleMissingSince = nil
			facts.OwnLive = true
			return nil
		}
	}
	return nil
}

// readRemoval follows the adminRemove request this object sent. Graph purges old requests:
// when it no longer knows the removal, the triple's live schedules say whether the access is
// gone (the removal is done) or still there (it is removed again).
func (r *Reconciler) readRemoval(ctx context.Context, obj Object, facts *graphFacts) error {
	st := obj.GetRequestStatus()
	cctx, cancel := r.graphCtx(ctx)
	defer cancel()
	req, err := r.graph.GetRequest(cctx, st.RemovalRequestID)
	if err == nil {
		st.RemovalStatus = string(req.Status)
		return nil
	}
	if !pim.IsClass(err, pim.ClassNotFound) {
		return err
	}
	if err := r.witness(ctx, obj, facts); err != nil {
		return err
	}
	facts.RemovalGone = true
	if facts.OwnLive {
		st.RemovalRequestID, st.RemovalStatus = "", ""
		return nil
	}
	st.RemovalStatus = string(pim.StatusRevoked)
	return nil
}

// triple is the (principal, group, access) the object's access is: the spec's for a created
// request (what the policy judged), what Graph reported for an adopted one.
func (r *Reconciler) triple(obj Object) pim.Triple {
	if spec := obj.GetRequestSpec(); spec.RequestID == "" {
		return specTriple(spec)
	}
	return statusTriple(obj.GetRequestStatus())
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

// foldSchedule records what the schedule says: the durable truth of when the access starts and
// ends, when Graph has purged the request or moved the end.
func foldSchedule(st *v1.RequestStatus, s *pim.Schedule) {
	foldTriple(st, s.Triple)
	if s.Status != "" {
		st.GraphStatus = string(s.Status)
	}
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
