package controllers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// outcome is what a write of this reconcile told the reconciler, fed back into decide.
type outcome string

const (
	outcomeNone outcome = ""
	// outcomeCancelled: cancel answered 204 No Content.
	outcomeCancelled outcome = "cancelled"
	// outcomeAlreadyGone: adminRemove answered RoleAssignmentDoesNotExist.
	outcomeAlreadyGone outcome = "alreadyGone"
	// outcomeNotOwned: the triple's live schedules are none of this object's.
	outcomeNotOwned outcome = "notOwned"
	// outcomeNoLive: the triple has no live schedule at all.
	outcomeNoLive outcome = "noLive"
)

// graphFacts is what Graph told this reconcile beyond what the status records. The reads and
// the act functions fill it in; decide reads it. It lives for one reconcile.
type graphFacts struct {
	// Gone: Graph answered 404 for the request and for its schedule (or it has none).
	Gone bool
	// Searched: find-my-request ran in this reconcile; Matches are the requests carrying this
	// object's marker. A single match is recorded as the object's request before deciding.
	Searched bool
	Matches  []pim.Request
	// Outcome is what this reconcile's write told us; LiveScheduleID goes with outcomeNotOwned.
	Outcome        outcome
	LiveScheduleID string
	// ScheduleRead: the schedule was read in place of a purged request.
	ScheduleRead bool
	// ScheduleGone: at the resync of live access, Graph answered 404 for its schedule
	// (targetScheduleId): the access was removed outside this object.
	ScheduleGone bool
	// Reread: a refused cancel already read the request again in this reconcile.
	Reread bool
	// NoOwnSchedule: the triple's live schedules were listed and none was created by this
	// object's request.
	NoOwnSchedule bool

	// Proven: Graph showed in this reconcile that the request is this object's — the marker
	// names this object and the triple is the spec's (created), or it is spec.requestId
	// (adopted).
	Proven bool
	// Foreign: the request recorded (or adopted) is not this object's; it names the object
	// whose marker it carries, or says why it is not this one's.
	Foreign string
	// Witnessed: the triple's live schedules were listed in this reconcile, an independent
	// witness of whether the access is live; OwnLive: one of them is this object's.
	Witnessed bool
	OwnLive   bool
	// AnyLive: the witness listed a live schedule of the triple, this object's or not.
	AnyLive bool
	// ScheduleSuspect: Graph answered 404 for the schedule of live access once; a later read
	// decides (status.scheduleMissingSince).
	ScheduleSuspect bool
	// RemovalGone: Graph no longer knows the adminRemove request this object sent.
	RemovalGone bool
	// PolicyUnchecked says why the group's PIM policy was not checked before the create that
	// was sent (--group-policy-check=enforce); "" when it was, or the check is off.
	PolicyUnchecked string
}

// observation is everything decide looks at: the spec, the status (with this reconcile's
// Graph reads folded in), the create-pending annotation, what Graph answered, and the kind.
type observation struct {
	Now  time.Time
	Kind *Kind
	// Adopted is spec.requestId being set.
	Adopted bool
	// Cancelled is spec.cancelled.
	Cancelled bool
	// Deleting is a deletionTimestamp being set.
	Deleting bool
	// Policy is the effective deletion policy.
	Policy v1.DeletionPolicy
	// CreatePending is the create-pending annotation's time, nil when absent.
	CreatePending *time.Time
	// Status is the recorded status with this reconcile's Graph reads folded in.
	Status v1.RequestStatus
	// Graph is what this reconcile's calls told us.
	Graph graphFacts
	// Verdict is what the PIMAccessPolicies say about the object (--policy-mode=enforce); nil
	// when they are not asked (--policy-mode=disabled).
	Verdict *verdict
	// Sealed: the status carries the operator's seal (seal.go) over its request: what it
	// records was proven this object's in an earlier reconcile.
	Sealed bool
	// CreatePendingSealed: the create-pending annotation was written by the operator, so a
	// create of this object's may have reached Graph.
	CreatePendingSealed bool
	// NamespaceSelected: some PIMAccessPolicy selects the object's namespace — enough to read
	// an adopted request, to learn whether a policy allows its group.
	NamespaceSelected bool
	// SpecError says why the spec cannot be read (a value stored before the CRD checked it);
	// empty when it can.
	SpecError string
}

// owned: the request recorded is this object's, proven by Graph in this reconcile or sealed
// by the operator earlier. A status written by anyone else is neither.
func (o observation) owned() bool { return o.Graph.Proven || o.Sealed }

// newObservation builds the observation of obj as it stands, with the facts Graph gave so far.
func newObservation(k *Kind, seals sealer, obj Object, facts graphFacts, v *verdict, now time.Time) observation {
	spec, st := obj.GetRequestSpec(), obj.GetRequestStatus()
	o := observation{
		Now:       now,
		Kind:      k,
		Adopted:   spec.RequestID != "",
		Cancelled: spec.Cancelled,
		Deleting:  !obj.GetDeletionTimestamp().IsZero(),
		Policy:    st.DeletionPolicy,
		Status:    *st,
		Graph:     facts,
		Verdict:   v,
		Sealed:    seals.statusSealed(k, obj),
		SpecError: specError(spec),
	}
	if at, sealed, ok := seals.createPending(k, obj); ok {
		o.CreatePending, o.CreatePendingSealed = &at, sealed
	}
	return o
}

// wantEnded is the right-hand column of DESIGN §4: cancelled, or deleted with policy Cancel.
func (o observation) wantEnded() bool {
	return o.Cancelled || (o.Deleting && o.Policy == v1.DeletionPolicyCancel)
}

func (o observation) finishOrNone() step {
	if o.Deleting {
		return stepFinish
	}
	return stepNone
}

// live is the kind's condition that says whether the access is in force (Active, Eligible).
func (o observation) live(s metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return cond(o.Kind.LiveCondition, s, reason, msg)
}

// submitted is Submitted=True, saying how the request came to be this object's.
func (o observation) submitted() metav1.Condition {
	reason, how := v1.ReasonCreated, "created by this object"
	if o.Adopted {
		reason, how = v1.ReasonAdopted, "adopted through spec.requestId"
	}
	msg := fmt.Sprintf("Graph request %s, %s", o.Status.RequestID, how)
	if o.Graph.PolicyUnchecked != "" {
		msg += "; " + o.Graph.PolicyUnchecked
	}
	return cond(v1.ConditionSubmitted, metav1.ConditionTrue, reason, msg)
}

// effectiveDeletionPolicy is spec.deletionPolicy, else Cancel for a created request and Orphan
// for an adopted one.
func effectiveDeletionPolicy(spec *v1.RequestSpec) v1.DeletionPolicy {
	switch {
	case spec.DeletionPolicy != "":
		return spec.DeletionPolicy
	case spec.RequestID != "":
		return v1.DeletionPolicyOrphan
	}
	return v1.DeletionPolicyCancel
}
