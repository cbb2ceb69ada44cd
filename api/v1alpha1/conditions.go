package v1alpha1

// Condition types of the request kinds.
const (
	// ConditionSubmitted is True once a Graph request exists for the object (created or adopted).
	ConditionSubmitted = "Submitted"
	// ConditionActive is True while a PIMAssignmentRequest's access is live in Entra.
	ConditionActive = "Active"
	// ConditionEligible is True while a PIMEligibilityRequest's eligibility is in force in Entra.
	ConditionEligible = "Eligible"
	// ConditionCancelled is True once the request was ended as the spec asked.
	ConditionCancelled = "Cancelled"
	// ConditionReady is True when the operator has done what the spec asks.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator is still acting.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when only a person can move the object on.
	ConditionStalled = "Stalled"
	// ConditionPermitted is True when a PIMAccessPolicy permits what the object asks for, False
	// (reason NotPermitted) when none does; absent with --policy-mode=disabled. It is
	// informational: kstatus and the Argo CD health check do not read it. On an object whose
	// request was already submitted, False says the same request would no longer be permitted;
	// the access granted stays.
	ConditionPermitted = "Permitted"
)

// Condition reasons.
const (
	ReasonCreated             = "Created"
	ReasonAdopted             = "Adopted"
	ReasonCreatePending       = "CreatePending"
	ReasonNotSubmitted        = "NotSubmitted"
	ReasonProvisioned         = "Provisioned"
	ReasonExpired             = "Expired"
	ReasonRemoved             = "Removed"
	ReasonCancelled           = "Cancelled"
	ReasonNotStarted          = "NotStarted"
	ReasonPending             = "Pending"
	ReasonCancelSucceeded     = "CancelSucceeded"
	ReasonAlreadyEnded        = "AlreadyEnded"
	ReasonAssignmentNotOwned  = "AssignmentNotOwned"
	ReasonRemoving            = "Removing"
	ReasonCancelling          = "Cancelling"
	ReasonProgressing         = "Progressing"
	ReasonThrottled           = "Throttled"
	ReasonGraphUnavailable    = "GraphUnavailable"
	ReasonDenied              = "Denied"
	ReasonFailed              = "Failed"
	ReasonGraphRejected       = "GraphRejected"
	ReasonForbidden           = "Forbidden"
	ReasonUnauthenticated     = "Unauthenticated"
	ReasonDuplicateAssignment = "DuplicateAssignment"
	ReasonAmbiguousCreate     = "AmbiguousCreate"
	ReasonNotPermitted        = "NotPermitted"
	ReasonPermitted           = "Permitted"
	ReasonRequestGone         = "RequestGone"
	ReasonOrphaned            = "Orphaned"
	// ReasonInvalidSpec: the spec holds a value the operator cannot read (stored before the
	// CRD checked such values).
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonForeignRequest: the Graph request recorded or adopted is another object's (its
	// marker names another object, or it is not the one the spec asks for).
	ReasonForeignRequest = "ForeignRequest"
	// ReasonGroupPolicyViolation: the group's own PIM policy would refuse the request, so it
	// was not sent (--group-policy-check=enforce).
	ReasonGroupPolicyViolation = "GroupPolicyViolation"
)

// Annotations and finalizers.
const (
	// AnnotationCreatePending records, before the create POST, that one may be in flight: a
	// reconcile that finds it with no status.requestId looks for the request before posting.
	AnnotationCreatePending = "access.pim-operator.dev/create-pending"
	// Finalizer holds the object until its request has been ended or orphaned.
	Finalizer = "access.pim-operator.dev/finalizer"
)
