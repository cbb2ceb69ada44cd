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
	// groupId is the object id (GUID) of the PIM-governed Entra group, as in a request's
	// spec.groupId.
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

	// Bounded so that a policy with every list full stays well inside an object's size limit;
	// more people than this are better named by one Entra group as the principal.

	// principals, when set, are the only principals (object ids of users, groups or service
	// principals) that may be given this group's access under this policy: a request's
	// spec.principalId, or the principal Graph reports for an adopted request. Unset means any
	// principal. An owner of a PIM group can make anyone a member or owner of it in Entra, so
	// owner access without a principals list is as strong as membership for anyone.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=36
	// +kubebuilder:validation:items:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	// +listType=set
	// +optional
	Principals []string `json:"principals,omitempty"`
}

// EligibilityGrant says which eligibility the selected namespaces may request through
// PIMEligibilityRequests. It is separate from the active assignments a policy grants because
// eligibility runs for months where active access runs for hours, and because a policy written
// before eligibility existed must not grant it.
type EligibilityGrant struct {
	// groups are the PIM-governed groups the selected namespaces may request eligibility for,
	// each with the kinds of access allowed and, optionally, the principals.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=groupId
	// +required
	Groups []AllowedGroup `json:"groups"`

	// maxDuration is the longest eligibility that may be requested, as a Kubernetes duration
	// ("2160h" is 90 days), at least 5m. It bounds afterDuration's duration and, for
	// afterDateTime, the time from the start (or from the object's creation, when no start is
	// set) to endDateTime. Activating an eligibility is governed by Entra's PIM policy for the
	// group, not by this one.
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]{1,5}h([0-9]{1,7}m)?([0-9]{1,9}s)?|[0-9]{1,7}m([0-9]{1,9}s)?|[0-9]{1,9}s)$') || duration(self) >= duration('5m')",message="eligibility.maxDuration must be at least 5m, Graph's shortest access: write 5m or longer, such as 2160h (90 days)"
	// +required
	MaxDuration Duration `json:"maxDuration"`

	// allowNoExpiration allows eligibility requests whose expiration type is noExpiration
	// (eligibility that never ends). Default false.
	// +kubebuilder:default=false
	// +optional
	AllowNoExpiration bool `json:"allowNoExpiration,omitempty"`

	// maxStartDelay is the furthest ahead of the object's creation that an eligibility
	// request's startDateTime may be, as a Kubernetes duration ("168h"). Unset means no limit.
	// +optional
	MaxStartDelay *Duration `json:"maxStartDelay,omitempty"`
}

// PIMAccessPolicySpec says which namespaces may request which access. It grants active
// assignments (PIMAssignmentRequests) with groups and maxDuration, eligibility
// (PIMEligibilityRequests) with eligibility, or both. A request is permitted when at least one
// policy selects its namespace, grants its kind for its group with its access and principal,
// and allows its schedule, justification and ticket. Without such a policy it is not.
// +kubebuilder:validation:XValidation:rule="has(self.namespaces) || has(self.namespaceSelector)",message="select namespaces: set namespaces (a list of names), namespaceSelector (labels), or both"
// +kubebuilder:validation:XValidation:rule="has(self.groups) || has(self.eligibility)",message="grant something: set groups and maxDuration (active assignments), eligibility (eligibility requests), or both"
// +kubebuilder:validation:XValidation:rule="has(self.groups) == has(self.maxDuration)",message="groups and maxDuration go together: set both to grant active assignments (maxDuration is the longest one may last), or neither"
// +kubebuilder:validation:XValidation:rule="has(self.groups) || !has(self.maxStartDelay)",message="maxStartDelay bounds active assignments, which this policy does not grant (it has no groups): remove it, or set eligibility.maxStartDelay"
// +kubebuilder:validation:XValidation:rule="has(self.groups) || !has(self.allowNoExpiration) || !self.allowNoExpiration",message="allowNoExpiration applies to active assignments, which this policy does not grant (it has no groups): remove it, or set eligibility.allowNoExpiration"
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

	// groups are the PIM-governed groups the selected namespaces may request active
	// assignments (PIMAssignmentRequests) to, each with the kinds of access allowed and,
	// optionally, the principals. A group not listed here cannot be assigned under this
	// policy. Set together with maxDuration; leave both out for a policy that grants only
	// eligibility.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=groupId
	// +optional
	Groups []AllowedGroup `json:"groups,omitempty"`

	// maxDuration is the longest active assignment that may be requested, as a Kubernetes
	// duration ("8h", "720h"), at least 5m. It bounds afterDuration's duration and, for
	// afterDateTime, the time from the start (or from the object's creation, when no start is
	// set) to endDateTime. Required with groups.
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]{1,5}h([0-9]{1,7}m)?([0-9]{1,9}s)?|[0-9]{1,7}m([0-9]{1,9}s)?|[0-9]{1,9}s)$') || duration(self) >= duration('5m')",message="maxDuration must be at least 5m, Graph's shortest access: write 5m or longer, such as 8h"
	// +optional
	MaxDuration Duration `json:"maxDuration,omitzero"`

	// allowNoExpiration allows active assignments whose expiration type is noExpiration
	// (access that never ends). Default false.
	// +kubebuilder:default=false
	// +optional
	AllowNoExpiration bool `json:"allowNoExpiration,omitempty"`

	// maxStartDelay is the furthest ahead of the object's creation that an active
	// assignment's startDateTime may be, as a Kubernetes duration ("72h"). Unset means no
	// limit.
	// +optional
	MaxStartDelay *Duration `json:"maxStartDelay,omitempty"`

	// eligibility grants eligibility (PIMEligibilityRequests): its groups, and for how long.
	// Without it, this policy grants no eligibility.
	// +optional
	Eligibility *EligibilityGrant `json:"eligibility,omitempty"`

	// requireJustification requires requests of either kind to carry a justification that is
	// not blank. Default false.
	// +kubebuilder:default=false
	// +optional
	RequireJustification bool `json:"requireJustification,omitempty"`

	// requireTicket requires requests of either kind to carry a ticket (system and number).
	// Default false.
	// +kubebuilder:default=false
	// +optional
	RequireTicket bool `json:"requireTicket,omitempty"`
}

// PIMAccessPolicy is a guard rail, edited by cluster administrators: it says which namespaces
// may request which PIM-for-Groups access, active (PIMAssignmentRequests) or eligible
// (PIMEligibilityRequests). Access is denied by default; a request is permitted when at least
// one PIMAccessPolicy selects its namespace and grants its kind for its group, access and
// principal, and allows its schedule, justification and ticket. Adopting an existing request
// needs a policy that grants its kind, group, access and principal.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=pimpol,categories=pim
// +kubebuilder:printcolumn:name="Namespaces",type=string,JSONPath=`.spec.namespaces`
// +kubebuilder:printcolumn:name="Groups",type=string,JSONPath=`.spec.groups[*].groupId`
// +kubebuilder:printcolumn:name="Max Duration",type=string,JSONPath=`.spec.maxDuration`
// +kubebuilder:printcolumn:name="Eligible Groups",type=string,JSONPath=`.spec.eligibility.groups[*].groupId`,priority=1
// +kubebuilder:printcolumn:name="Max Eligibility",type=string,JSONPath=`.spec.eligibility.maxDuration`
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
