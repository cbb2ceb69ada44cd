package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PIMEligibilityRequest is one Microsoft Entra PIM-for-Groups eligibility request: it makes a
// principal eligible for membership or ownership of a group, which the principal then
// activates when needed. The operator submits it to Microsoft Graph (or adopts an existing
// one), follows its state, and ends it when spec.cancelled becomes true or the object is
// deleted — exactly as a PIMAssignmentRequest does for active access.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=pimer,categories=pim
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.status.groupId`
// +kubebuilder:printcolumn:name="Principal",type=string,JSONPath=`.status.principalId`
// +kubebuilder:printcolumn:name="Access",type=string,JSONPath=`.status.accessId`
// +kubebuilder:printcolumn:name="Graph Status",type=string,JSONPath=`.status.graphStatus`
// +kubebuilder:printcolumn:name="Eligible",type=string,JSONPath=`.status.conditions[?(@.type=="Eligible")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PIMEligibilityRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the request the user wants.
	// +required
	Spec RequestSpec `json:"spec"`

	// status is what the operator observed in Graph.
	// +optional
	Status RequestStatus `json:"status,omitempty"`
}

// PIMEligibilityRequestList is a list of PIMEligibilityRequest.
// +kubebuilder:object:root=true
type PIMEligibilityRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PIMEligibilityRequest `json:"items"`
}

// GetRequestSpec is the request the user wants.
func (r *PIMEligibilityRequest) GetRequestSpec() *RequestSpec { return &r.Spec }

// GetRequestStatus is what the operator observed.
func (r *PIMEligibilityRequest) GetRequestStatus() *RequestStatus { return &r.Status }

func init() {
	SchemeBuilder.Register(&PIMEligibilityRequest{}, &PIMEligibilityRequestList{})
}
