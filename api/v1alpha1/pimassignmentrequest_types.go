package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PIMAssignmentRequest is one Microsoft Entra PIM-for-Groups assignment request: the operator
// submits it to Microsoft Graph (or adopts an existing one), follows its state, and ends it
// when spec.cancelled becomes true or the object is deleted.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=pimar,categories=pim
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.status.groupId`
// +kubebuilder:printcolumn:name="Principal",type=string,JSONPath=`.status.principalId`
// +kubebuilder:printcolumn:name="Access",type=string,JSONPath=`.status.accessId`
// +kubebuilder:printcolumn:name="Graph Status",type=string,JSONPath=`.status.graphStatus`
// +kubebuilder:printcolumn:name="Active",type=string,JSONPath=`.status.conditions[?(@.type=="Active")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PIMAssignmentRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the request the user wants.
	// +required
	Spec RequestSpec `json:"spec"`

	// status is what the operator observed in Graph.
	// +optional
	Status RequestStatus `json:"status,omitempty"`
}

// PIMAssignmentRequestList is a list of PIMAssignmentRequest.
// +kubebuilder:object:root=true
type PIMAssignmentRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PIMAssignmentRequest `json:"items"`
}

// GetRequestSpec is the request the user wants.
func (r *PIMAssignmentRequest) GetRequestSpec() *RequestSpec { return &r.Spec }

// GetRequestStatus is what the operator observed.
func (r *PIMAssignmentRequest) GetRequestStatus() *RequestStatus { return &r.Status }

func init() {
	SchemeBuilder.Register(&PIMAssignmentRequest{}, &PIMAssignmentRequestList{})
}
