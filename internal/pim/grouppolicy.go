package pim

import (
	"context"
	"strings"
	"time"
)

// A group's PIM settings, as far as an adminAssign request depends on them. Graph keeps them
// in a role management policy per group and access (member, owner): a list of rules, each with
// a fixed id. The operator reads the four rules an administrator's request must satisfy — the
// expiration and the enablement rule, for active assignments and for eligibilities — so that it
// can tell the user which rule and which limit a request breaks before it is sent
// (internal/grouppolicy), instead of Graph's terse RoleAssignmentRequestPolicyValidationFailed
// after it.

// PolicyReader reads a group's PIM settings. Implementations return *Error for every failure;
// a missing permission (RoleManagementPolicy.Read.AzureADGroup) is ClassForbidden.
type PolicyReader interface {
	GroupPolicy(ctx context.Context, groupID string, access AccessID) (*GroupPolicy, error)
}

// PolicyReaderFunc is a PolicyReader made of a function, for unit tests.
type PolicyReaderFunc func(ctx context.Context, groupID string, access AccessID) (*GroupPolicy, error)

// GroupPolicy calls f.
func (f PolicyReaderFunc) GroupPolicy(ctx context.Context, groupID string, access AccessID) (*GroupPolicy, error) {
	return f(ctx, groupID, access)
}

// PermissionPolicyRead is the Graph application permission that reading a group's PIM settings
// needs (documented on policyroot-list-rolemanagementpolicyassignments).
const PermissionPolicyRead = "RoleManagementPolicy.Read.AzureADGroup"

// The ids of the rules the check reads (unifiedRoleManagementPolicyRule.id), as Graph names
// them: what an administrator's assignment (caller Admin) must satisfy, per level.
const (
	RuleExpirationAdminAssignment  = "Expiration_Admin_Assignment"
	RuleExpirationAdminEligibility = "Expiration_Admin_Eligibility"
	RuleEnablementAdminAssignment  = "Enablement_Admin_Assignment"
	RuleEnablementAdminEligibility = "Enablement_Admin_Eligibility"
)

// The values of an enablement rule's enabledRules, in Graph's spelling.
const (
	EnabledJustification = "Justification"
	EnabledMFA           = "MultiFactorAuthentication"
	EnabledTicketing     = "Ticketing"
)

// GroupPolicy is the part of a group's PIM policy for one access kind that constrains an
// adminAssign request, for active assignments and eligibilities separately. A rule Graph did
// not send is nil and constrains nothing; so does a group for which Graph lists no policy.
type GroupPolicy struct {
	// GroupID is the policy's scope as Graph reported it; AccessID the access it governs.
	GroupID  string
	AccessID AccessID
	// PolicyID is Graph's id of the policy ("Group_{groupId}_{guid}"), for logs.
	PolicyID string
	// Assignment are the rules of active assignments, Eligibility those of eligibilities.
	Assignment  LevelRules
	Eligibility LevelRules
}

// For returns the rules of the kind's requests; an unknown kind has none.
func (p *GroupPolicy) For(k Kind) LevelRules {
	switch {
	case p == nil:
		return LevelRules{}
	case k == KindAssignment:
		return p.Assignment
	case k == KindEligibility:
		return p.Eligibility
	}
	return LevelRules{}
}

// LevelRules are an administrator's rules for one level (active assignment or eligibility).
type LevelRules struct {
	Expiration *ExpirationRule
	Enablement *EnablementRule
}

// ExpirationRule is a unifiedRoleManagementPolicyExpirationRule: whether the access must end,
// and how long it may last. Graph's documentation: maximumDuration bounds any eligibility or
// assignment that is not permanent, and must be set when isExpirationRequired is true.
type ExpirationRule struct {
	// ID is the rule's id, e.g. RuleExpirationAdminAssignment.
	ID string
	// Required is isExpirationRequired: noExpiration is refused.
	Required bool
	// MaximumDuration is the ISO 8601 duration as Graph sent it ("P180D", "PT8H"); "" for none.
	MaximumDuration string
	// Maximum is MaximumDuration as Graph counts it: a day is 24 hours, a month 30 days, a year
	// 365 days (.NET's XmlConvert, behind OData's Edm.Duration). It is 0 when there is no
	// maximum or Graph's text could not be read; then no length is checked.
	Maximum time.Duration
	// Operations are the target's operations in the metadata's spelling ("all", "assign", …);
	// empty when Graph sent none.
	Operations []string
}

// EnablementRule is a unifiedRoleManagementPolicyEnablementRule: what a request must carry.
type EnablementRule struct {
	// ID is the rule's id, e.g. RuleEnablementAdminAssignment.
	ID string
	// Enabled are the enabledRules, each in Graph's spelling when it is a known value
	// (EnabledJustification, EnabledMFA, EnabledTicketing), otherwise as sent.
	Enabled []string
	// Operations are the target's operations in the metadata's spelling; see ExpirationRule.
	Operations []string
}

// Requires reports whether the rule enables name (compared without regard to case).
func (r *EnablementRule) Requires(name string) bool {
	if r == nil {
		return false
	}
	for _, e := range r.Enabled {
		if strings.EqualFold(e, name) {
			return true
		}
	}
	return false
}

// OperationsApplyToAssign reports whether a rule with these target operations governs an
// adminAssign request: no operations listed, "all", or "assign" (without regard to case).
func OperationsApplyToAssign(ops []string) bool {
	if len(ops) == 0 {
		return true
	}
	for _, op := range ops {
		if strings.EqualFold(op, "all") || strings.EqualFold(op, "assign") {
			return true
		}
	}
	return false
}

// UserJustification is the justification without the operator's marker (see AppendMarker):
// what the user wrote, trimmed. A group that requires a justification is not satisfied by the
// marker alone, although Graph would accept it.
func UserJustification(justification string) string {
	if i := strings.LastIndex(justification, markerPrefix); i >= 0 && strings.HasSuffix(justification, "]") {
		justification = justification[:i]
	}
	return strings.TrimSpace(justification)
}
