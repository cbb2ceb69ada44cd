package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GUIDPattern is the form of Entra object and request ids.
const GUIDPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// AccessID is the kind of group access.
// +kubebuilder:validation:Enum=member;owner
type AccessID string

// The two kinds of access PIM for Groups governs.
const (
	AccessMember AccessID = "member"
	AccessOwner  AccessID = "owner"
)

// OrMember is the access asked for: an unset accessId means member. The CRD has no default on
// purpose (it would also land on adopted objects), so this is the one place that says it.
func (a AccessID) OrMember() AccessID {
	if a == "" {
		return AccessMember
	}
	return a
}

// ExpirationType says how the access ends.
// +kubebuilder:validation:Enum=noExpiration;afterDateTime;afterDuration
type ExpirationType string

// The expiration types Graph accepts.
const (
	ExpirationNone          ExpirationType = "noExpiration"
	ExpirationAfterDateTime ExpirationType = "afterDateTime"
	ExpirationAfterDuration ExpirationType = "afterDuration"
)

// DeletionPolicy says what deleting the object does to its Graph request.
// +kubebuilder:validation:Enum=Cancel;Orphan
type DeletionPolicy string

const (
	// DeletionPolicyCancel ends the request (cancel, or adminRemove when active) before the
	// object goes away.
	DeletionPolicyCancel DeletionPolicy = "Cancel"
	// DeletionPolicyOrphan leaves the request and its access in place.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
)

// Ticket names the change ticket behind a request.
// +kubebuilder:validation:XValidation:rule="has(self.system) == has(self.number)",message="ticket needs both system and number, or neither: set ticket.system and ticket.number together"
type Ticket struct {
	// Blank text would satisfy a policy's requireTicket in form only.

	// system is the ticketing system, for example "ServiceNow". Not blank.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.trim() != ''",message="ticket.system must not be blank: name the ticketing system, such as ServiceNow"
	// +optional
	System string `json:"system,omitempty"`

	// number is the ticket's number in that system, for example "CHG0012345". Not blank.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.trim() != ''",message="ticket.number must not be blank: write the ticket's number, such as CHG0012345"
	// +optional
	Number string `json:"number,omitempty"`
}

// Expiration says when the access ends.
// +kubebuilder:validation:XValidation:rule="self.type != 'afterDateTime' || has(self.endDateTime)",message="expiration.type afterDateTime needs expiration.endDateTime (RFC 3339, e.g. 2026-12-31T18:00:00Z)"
// +kubebuilder:validation:XValidation:rule="self.type == 'afterDateTime' || !has(self.endDateTime)",message="expiration.endDateTime is only allowed with type afterDateTime: remove it or set type: afterDateTime"
// +kubebuilder:validation:XValidation:rule="self.type != 'afterDuration' || has(self.duration)",message="expiration.type afterDuration needs expiration.duration (e.g. 8h or 720h)"
// +kubebuilder:validation:XValidation:rule="self.type == 'afterDuration' || !has(self.duration)",message="expiration.duration is only allowed with type afterDuration: remove it or set type: afterDuration"
type Expiration struct {
	// type is how the access ends: noExpiration (never; Graph policy may forbid it),
	// afterDateTime (at endDateTime) or afterDuration (duration after the start).
	// +required
	Type ExpirationType `json:"type"`

	// endDateTime is when the access ends, for type afterDateTime (RFC 3339); with a
	// startDateTime, at least 5 minutes after it.
	// +optional
	EndDateTime *Time `json:"endDateTime,omitempty"`

	// The minimum skips a malformed duration: the format rule already reports it, and
	// duration() would only add an evaluation error.

	// duration is how long the access lasts after its start, for type afterDuration, as a
	// Kubernetes duration ("8h", "720h"): at least 5m, Graph's shortest access. Whole days are
	// sent to Graph as days.
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]{1,5}h([0-9]{1,7}m)?([0-9]{1,9}s)?|[0-9]{1,7}m([0-9]{1,9}s)?|[0-9]{1,9}s)$') || duration(self) >= duration('5m')",message="expiration.duration must be at least 5m, Graph's shortest access: write 5m or longer, such as 8h"
	// +optional
	Duration *Duration `json:"duration,omitempty"`
}

// Schedule says when the access starts and ends.
// The rule compares instants, never subtracts them: a difference of centuries would overflow
// CEL's durations. It skips malformed times, which the format rule already reports.
// +kubebuilder:validation:XValidation:rule="!has(self.startDateTime) || !has(self.expiration.endDateTime) || !self.startDateTime.matches('^(([1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$') || !self.expiration.endDateTime.matches('^(([1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)|([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)-02-29)T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$') || timestamp(self.expiration.endDateTime) >= timestamp(self.startDateTime) + duration('5m')",fieldPath=".expiration.endDateTime",message="expiration.endDateTime must be at least 5 minutes after startDateTime (Graph's shortest access): move endDateTime later or startDateTime earlier"
type Schedule struct {
	// startDateTime is when the access starts (RFC 3339). Unset means now; a time in the
	// future makes Graph answer Granted until then.
	// +optional
	StartDateTime *Time `json:"startDateTime,omitempty"`

	// expiration says when the access ends.
	// +required
	Expiration Expiration `json:"expiration"`
}

// RequestSpec is the PIM request the user wants, the same for every kind (an active
// assignment, an eligibility). Every field except cancelled and deletionPolicy is fixed at
// creation: to ask for something else, create a new object.
// +kubebuilder:validation:XValidation:rule="has(self.requestId) || (has(self.groupId) && has(self.principalId) && has(self.schedule))",message="set groupId, principalId and schedule to create a request, or requestId to adopt an existing one"
// +kubebuilder:validation:XValidation:rule="!has(self.requestId) || !(has(self.groupId) || has(self.principalId) || has(self.accessId) || has(self.schedule))",message="requestId adopts an existing request as it is: remove groupId, principalId, accessId and schedule"
// +kubebuilder:validation:XValidation:rule="has(self.groupId) == has(oldSelf.groupId) && (!has(self.groupId) || self.groupId == oldSelf.groupId)",message="groupId cannot be added, changed or removed after creation: create a new object instead"
// +kubebuilder:validation:XValidation:rule="has(self.principalId) == has(oldSelf.principalId) && (!has(self.principalId) || self.principalId == oldSelf.principalId)",message="principalId cannot be added, changed or removed after creation: create a new object instead"
// +kubebuilder:validation:XValidation:rule="has(self.accessId) == has(oldSelf.accessId) && (!has(self.accessId) || self.accessId == oldSelf.accessId)",message="accessId cannot be added, changed or removed after creation: create a new object instead"
// +kubebuilder:validation:XValidation:rule="has(self.justification) == has(oldSelf.justification) && (!has(self.justification) || self.justification == oldSelf.justification)",message="justification cannot be added, changed or removed after creation: create a new object instead"
// +kubebuilder:validation:XValidation:rule="has(self.ticket) == has(oldSelf.ticket) && (!has(self.ticket) || self.ticket == oldSelf.ticket)",message="ticket cannot be added, changed or removed after creation: create a new object instead"
// +kubebuilder:validation:XValidation:rule="has(self.schedule) == has(oldSelf.schedule) && (!has(self.schedule) || self.schedule == oldSelf.schedule)",message="schedule cannot be added, changed or removed after creation: create a new object instead"
// +kubebuilder:validation:XValidation:rule="has(self.requestId) == has(oldSelf.requestId) && (!has(self.requestId) || self.requestId == oldSelf.requestId)",message="requestId cannot be added, changed or removed after creation: create a new object instead"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.cancelled) || !oldSelf.cancelled || (has(self.cancelled) && self.cancelled)",message="cancelled cannot go back to false: a cancelled request stays cancelled; create a new object to ask again"
type RequestSpec struct {
	// groupId is the object id (GUID) of the PIM-governed Entra group. Required unless
	// requestId is set.
	// +kubebuilder:validation:MaxLength=36
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +optional
	GroupID string `json:"groupId,omitempty"`

	// principalId is the object id (GUID) of the user, group or service principal that gets
	// the access. Required unless requestId is set.
	// +kubebuilder:validation:MaxLength=36
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +optional
	PrincipalID string `json:"principalId,omitempty"`

	// accessId is the kind of access: member or owner. Unset means member.
	// +optional
	AccessID AccessID `json:"accessId,omitempty"`

	// justification is the reason shown to approvers and in the Entra audit log. The operator
	// appends a marker naming this object, so it is limited to 400 of Graph's 500 characters.
	// +kubebuilder:validation:MaxLength=400
	// +optional
	Justification string `json:"justification,omitempty"`

	// ticket is the change ticket behind the request.
	// +optional
	Ticket *Ticket `json:"ticket,omitempty"`

	// schedule says when the access starts and ends. Required unless requestId is set.
	// +optional
	Schedule *Schedule `json:"schedule,omitempty"`

	// requestId adopts an existing Graph request (made in the portal, by a script, or a
	// user's own activation) instead of creating one: the operator observes it and ends it
	// when asked. groupId, principalId, accessId and schedule must then be absent.
	// +kubebuilder:validation:MaxLength=36
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +optional
	RequestID string `json:"requestId,omitempty"`

	// cancelled ends the request when set to true: a pending or future request is cancelled,
	// an active assignment is removed. It can only go from false to true; in GitOps, make the
	// change in Git.
	// +optional
	Cancelled bool `json:"cancelled,omitempty"`

	// deletionPolicy says what deleting this object does: Cancel ends the request, Orphan
	// leaves it and its access in place. Unset means Cancel for a request the operator created
	// and Orphan for an adopted one.
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// RequestStatus is what the operator observed of the request in Graph, the same for every kind.
type RequestStatus struct {
	// requestId is the id of the Graph request this object stands for.
	// +optional
	RequestID string `json:"requestId,omitempty"`

	// targetScheduleId is the id of the schedule the request created, in Graph's form
	// {groupId}_{accessId}_{guid}. It outlives the request when Graph purges old requests.
	// +optional
	TargetScheduleID string `json:"targetScheduleId,omitempty"`

	// groupId is the group of the request, as Graph reports it.
	// +optional
	GroupID string `json:"groupId,omitempty"`

	// principalId is the principal of the request, as Graph reports it.
	// +optional
	PrincipalID string `json:"principalId,omitempty"`

	// accessId is the access of the request, as Graph reports it.
	// +optional
	AccessID AccessID `json:"accessId,omitempty"`

	// graphStatus is Graph's status of the request, verbatim (Graph spells it "Canceled").
	// +optional
	GraphStatus string `json:"graphStatus,omitempty"`

	// createdDateTime is when Graph created the request.
	// +optional
	CreatedDateTime *metav1.Time `json:"createdDateTime,omitempty"`

	// completedDateTime is when Graph completed the request.
	// +optional
	CompletedDateTime *metav1.Time `json:"completedDateTime,omitempty"`

	// startDateTime is when the access starts or started.
	// +optional
	StartDateTime *metav1.Time `json:"startDateTime,omitempty"`

	// endDateTime is when the access ends; unset for noExpiration.
	// +optional
	EndDateTime *metav1.Time `json:"endDateTime,omitempty"`

	// removalRequestId is the id of the adminRemove request the operator sent to end live
	// access.
	// +optional
	RemovalRequestID string `json:"removalRequestId,omitempty"`

	// removalStatus is Graph's status of the removal request (Revoked when done).
	// +optional
	RemovalStatus string `json:"removalStatus,omitempty"`

	// deletionPolicy is the effective deletion policy: the spec's, or the default for how the
	// request came to be (Cancel when created, Orphan when adopted).
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// failures counts consecutive user-fixable failures; it sets the growing backoff.
	// +optional
	Failures int32 `json:"failures,omitempty"`

	// scheduleMissingSince is when Graph first answered 404 for the schedule of access its
	// request still reports live. One answer proves nothing: a second 404, a poll interval
	// later, makes the access "removed elsewhere"; a read that finds the schedule clears it.
	// +optional
	ScheduleMissingSince *metav1.Time `json:"scheduleMissingSince,omitempty"`

	// seal is the operator's signature over this object's identity and the Graph request,
	// schedule and triple recorded here, written once Graph has shown the request is this
	// object's. A status written by anyone else does not carry a valid seal, so it never
	// makes the operator read, cancel or remove a request that is not this object's.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Seal string `json:"seal,omitempty"`

	// observedGeneration is the generation the conditions were computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Submitted, Active (Eligible for an eligibility), Cancelled, Ready,
	// Reconciling, Stalled and Permitted.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
