package controllers

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// Object is a PIM request object of any kind: the accessors give the spec and status that
// every kind shares (api/v1alpha1 RequestSpec, RequestStatus).
type Object interface {
	client.Object
	GetRequestSpec() *v1.RequestSpec
	GetRequestStatus() *v1.RequestStatus
}

// Kind is everything that differs between the PIM request kinds; the lifecycle is the same.
// Registering a kind is one value of this type in Kinds.
type Kind struct {
	// Name is the API kind, e.g. "PIMAssignmentRequest"; its lower case names the controller.
	Name string
	// New returns an empty object of the kind, NewList an empty list of them.
	New     func() Object
	NewList func() client.ObjectList
	// Graph is the Graph collection the kind's requests live in.
	Graph pim.Kind
	// LiveCondition is the condition type that says whether the access is in force now.
	LiveCondition string
	// Noun names the access in messages: "assignment", "eligibility".
	Noun string
	// Permission is the Graph application permission the kind's requests need.
	Permission string
	// RemovalWaitsMinActiveAge says that Graph refuses adminRemove until the access has been
	// in force for Options.MinActiveAge (ActiveDurationTooShort), so a refusal is retried at
	// that age rather than with a growing poll.
	RemovalWaitsMinActiveAge bool
}

// AssignmentKind is PIMAssignmentRequest: active access.
var AssignmentKind = Kind{
	Name:                     "PIMAssignmentRequest",
	New:                      func() Object { return &v1.PIMAssignmentRequest{} },
	NewList:                  func() client.ObjectList { return &v1.PIMAssignmentRequestList{} },
	Graph:                    pim.KindAssignment,
	LiveCondition:            v1.ConditionActive,
	Noun:                     "assignment",
	Permission:               "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
	RemovalWaitsMinActiveAge: true,
}

// EligibilityKind is PIMEligibilityRequest: eligible access, activated by the principal when
// needed. Graph documents no minimum age before an eligibility can be removed.
var EligibilityKind = Kind{
	Name:          "PIMEligibilityRequest",
	New:           func() Object { return &v1.PIMEligibilityRequest{} },
	NewList:       func() client.ObjectList { return &v1.PIMEligibilityRequestList{} },
	Graph:         pim.KindEligibility,
	LiveCondition: v1.ConditionEligible,
	Noun:          "eligibility",
	Permission:    "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
}

// Kinds are the kinds the manager reconciles, one controller each.
var Kinds = []Kind{AssignmentKind, EligibilityKind}
