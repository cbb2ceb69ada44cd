// Package v1alpha1 contains the API of pim-operator: PIMAssignmentRequest and
// PIMEligibilityRequest, one Microsoft Entra PIM-for-Groups assignment or eligibility request
// declared as a Kubernetes object, and PIMAccessPolicy, the guard rails.
// +kubebuilder:object:generate=true
// +groupName=access.pim-operator.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "access.pim-operator.dev", Version: "v1alpha1"}

	// SchemeBuilder registers this API's types with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
