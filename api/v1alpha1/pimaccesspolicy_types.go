package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LabelValue is the value of a Kubernetes label: at most 63 characters, alphanumeric at both
// ends, with '-', '_' and '.' between.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
type LabelValue string

// LabelSelectorOperator is how a label selector requirement relates a key to its values.
// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist
type LabelSelectorOperator string

// The operators of a label selector requirement, as in Kubernetes label selectors.
const (
	LabelSelectorOpIn           LabelSelectorOperator = "In"
	LabelSelectorOpNotIn        LabelSelectorOperator = "NotIn"
	LabelSelectorOpExists       LabelSelectorOperator = "Exists"
	LabelSelectorOpDoesNotExist LabelSelectorOperator = "DoesNotExist"
)

// NamespaceSelectorRequirement is one requirement of a namespace label selector, as in a
// Kubernetes label selector's matchExpressions.
// +kubebuilder:validation:XValidation:rule="!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",message="operator In and NotIn need at least one value: list them in values"
// +kubebuilder:validation:XValidation:rule="!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",message="operator Exists and DoesNotExist take no values: remove values"
type NamespaceSelectorRequirement struct {
	// key is the label key, for example "pim-operator.dev/team" or "environment".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`
	// +required
	Key string `json:"key"`

	// operator is In, NotIn, Exists or DoesNotExist.
	// +required
	Operator LabelSelectorOperator `json:"operator"`

	// values are the label values for In and NotIn; Exists and DoesNotExist take none.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	Values []LabelValue `json:"values,omitempty"`
}

// NamespaceSelector selects namespaces by their labels. It has the shape of a Kubernetes label
// selector (matchLabels, matchExpressions; all of them must match), with bounds, and it must
// not be empty: an empty selector would select every namespace by accident.
// +kubebuilder:validation:XValidation:rule="has(self.matchLabels) || has(self.matchExpressions)",message="namespaceSelector is empty, which would select every namespace: set matchLabels or matchExpressions (to select every namespace on purpose, write matchExpressions: [{key: kubernetes.io/metadata.name, operator: Exists}])"
type NamespaceSelector struct {
	// matchLabels selects namespaces that have all of these labels with these values.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="matchLabels keys must be label keys: an optional DNS prefix and '/', then up to 63 characters of letters, digits, '-', '_' and '.', alphanumeric at both ends"
	// +optional
	MatchLabels map[string]LabelValue `json:"matchLabels,omitempty"`

	// matchExpressions selects namespaces whose labels meet all of these requirements.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	MatchExpressions []NamespaceSelectorRequirement `json:"matchExpressions,omitempty"`
}

// AllowedGroup is one PIM-governed group the selected namespaces may request access to.
type AllowedGroup struct {
	// groupId is the object id (GUID) of the PIM-governed Entra group, as in a
	// PIMAssignmentRequest's spec.groupId.
	// +kubebuilder:validation:MaxLength=36
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +required
	GroupID string `json:"groupId"`

	// accessIds are the kinds of access that may be requested to this group: member, owner,
	// or both. A request without accessId asks for member.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	// +listType=set
	// +required
	AccessIDs []AccessID `json:"accessIds"`
}

// PIMAccessPolicySpec says which namespaces may request which access. A PIMAssignmentRequest
// is permitted when at least one policy selects its namespace, lists its group with its access,
// and allows its schedule, justification and ticket. Without such a policy it is not.
// +kubebuilder:validation:XValidation:rule="has(self.namespaces) || has(self.namespaceSelector)",message="select namespaces: set namespaces (a list of names), namespaceSelector (labels), or both"
type PIMAccessPolicySpec struct {
	// namespaces are the names of the namespaces this policy applies to. A namespace is
	// selected when its name is listed here or its labels match namespaceSelector.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +listType=set
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`

	// namespaceSelector selects the namespaces this policy applies to by their labels, in
	// addition to those listed in namespaces. It must not be empty.
	// +optional
	NamespaceSelector *NamespaceSelector `json:"namespaceSelector,omitempty"`

	// groups are the PIM-governed groups the selected namespaces may request access to, each
	// with the kinds of access allowed. A group not listed here cannot be requested under this
	// policy.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=groupId
	// +required
	Groups []AllowedGroup `json:"groups"`

	// maxDuration is the longest access that may be requested, as a Kubernetes duration
	// ("8h", "720h"). It bounds afterDuration's duration and, for afterDateTime, the time from
	// the start (or from now, when no start is set) to endDateTime.
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="maxDuration must be longer than zero, e.g. 8h"
	// +required
	MaxDuration Duration `json:"maxDuration"`

	// allowNoExpiration allows requests whose expiration type is noExpiration (access that
	// never ends). Default false.
	// +kubebuilder:default=false
	// +optional
	AllowNoExpiration bool `json:"allowNoExpiration,omitempty"`

	// requireJustification requires requests to carry a justification. Default false.
	// +kubebuilder:default=false
	// +optional
	RequireJustification bool `json:"requireJustification,omitempty"`

	// requireTicket requires requests to carry a ticket (system and number). Default false.
	// +kubebuilder:default=false
	// +optional
	RequireTicket bool `json:"requireTicket,omitempty"`
}

// PIMAccessPolicy is a guard rail, edited by cluster administrators: it says which namespaces
// may request which PIM-for-Groups access through PIMAssignmentRequests. Access is denied by
// default; a request is permitted when at least one PIMAccessPolicy selects its namespace and
// allows its group, access, schedule, justification and ticket. Adopting an existing request
// needs a policy that allows its group and access.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=pimpol,categories=pim
// +kubebuilder:printcolumn:name="Namespaces",type=string,JSONPath=`.spec.namespaces`
// +kubebuilder:printcolumn:name="Groups",type=string,JSONPath=`.spec.groups[*].groupId`
// +kubebuilder:printcolumn:name="Max Duration",type=string,JSONPath=`.spec.maxDuration`
// +kubebuilder:printcolumn:name="No Expiration",type=boolean,JSONPath=`.spec.allowNoExpiration`,priority=1
// +kubebuilder:printcolumn:name="Justification",type=boolean,JSONPath=`.spec.requireJustification`,priority=1
// +kubebuilder:printcolumn:name="Ticket",type=boolean,JSONPath=`.spec.requireTicket`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PIMAccessPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which namespaces may request which access.
	// +required
	Spec PIMAccessPolicySpec `json:"spec"`
}

// PIMAccessPolicyList is a list of PIMAccessPolicy.
// +kubebuilder:object:root=true
type PIMAccessPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PIMAccessPolicy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&PIMAccessPolicy{}, &PIMAccessPolicyList{})
}
