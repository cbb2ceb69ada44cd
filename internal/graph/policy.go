package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/policies"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// A group's PIM settings: Graph's role management policy for the group and access, read with
// the documented query of policyroot-list-rolemanagementpolicyassignments (example 4):
//
//	GET /policies/roleManagementPolicyAssignments?$filter=scopeId eq '{group}' and scopeType eq 'Group'
//	    and roleDefinitionId eq '{member|owner}'&$expand=policy($expand=rules)
//
// One call answers the policy assignment of the access with its policy and every rule.

// OpGetGroupPolicy names the read of a group's PIM settings (pim.Error.Op, the operation
// metric label).
const OpGetGroupPolicy = "getGroupPolicy"

// MetricsKindPolicy is the kind label of the policy read: the policy serves both kinds.
const MetricsKindPolicy = "policy"

// PolicyForbiddenHint is added to a 403 of the policy read.
const PolicyForbiddenHint = "reading a group's PIM settings needs the Microsoft Graph application permission " +
	pim.PermissionPolicyRead + " with admin consent; without it requests cannot be checked against the " +
	"group's policy before they are sent (Graph still enforces it)"

// policyExpand is the documented expansion: the policy, and in it the rules.
const policyExpand = "policy($expand=rules)"

var _ pim.PolicyReader = (*Client)(nil)

// GroupPolicy reads the PIM settings of a group for one access kind. A group for which Graph
// lists no policy assignment of that access reads as a policy without rules.
func (c *Client) GroupPolicy(ctx context.Context, groupID string, access pim.AccessID) (*pim.GroupPolicy, error) {
	if strings.TrimSpace(groupID) == "" {
		return nil, invalid(OpGetGroupPolicy, errors.New("groupId is required"))
	}
	if _, err := accessOf(pim.Triple{AccessID: access}); err != nil {
		return nil, invalid(OpGetGroupPolicy, err)
	}
	var out *pim.GroupPolicy
	err := c.call(ctx, MetricsKindPolicy, OpGetGroupPolicy, func(ctx context.Context) error {
		all, err := listAll[wirePolicyAssignment](ctx, c, "role management policy assignment", policyFilter(groupID, access),
			c.listPolicyAssignments, c.nextPolicyAssignments)
		out = groupPolicyOf(all, groupID, access)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listPolicyAssignments builds the first page's request with the SDK's builders.
func (c *Client) listPolicyAssignments(ctx context.Context, filter string) (*info, error) {
	return policies.NewRoleManagementPolicyAssignmentsRequestBuilderInternal(c.rootPath(), c.adapter).ToGetRequestInformation(ctx,
		&policies.RoleManagementPolicyAssignmentsRequestBuilderGetRequestConfiguration{
			QueryParameters: &policies.RoleManagementPolicyAssignmentsRequestBuilderGetQueryParameters{
				Filter: &filter, Expand: []string{policyExpand},
			},
		})
}

func (c *Client) nextPolicyAssignments(ctx context.Context, next string) (*info, error) {
	return policies.NewRoleManagementPolicyAssignmentsRequestBuilderInternal(c.rootPath(), c.adapter).WithUrl(next).ToGetRequestInformation(ctx, nil)
}

// policyFilter is the documented scope (scopeId and scopeType are required) and the access.
func policyFilter(groupID string, access pim.AccessID) string {
	return fmt.Sprintf("scopeId eq '%s' and scopeType eq 'Group' and roleDefinitionId eq '%s'", odataString(groupID), odataString(string(access)))
}

// groupPolicyOf picks the assignment of the access, preferring the group's own scope, and
// turns it into the operator's terms.
func groupPolicyOf(all []*wirePolicyAssignment, groupID string, access pim.AccessID) *pim.GroupPolicy {
	var pick *wirePolicyAssignment
	for _, a := range all {
		if !strings.EqualFold(a.RoleDefinitionID, string(access)) {
			continue
		}
		if pick == nil || strings.EqualFold(a.ScopeID, groupID) && !strings.EqualFold(pick.ScopeID, groupID) {
			pick = a
		}
	}
	if pick == nil {
		return &pim.GroupPolicy{GroupID: groupID, AccessID: access}
	}
	p := pick.groupPolicy()
	return &p
}

// ruleTypes are the @odata.type of the rules read, by rule id.
var ruleTypes = map[string]string{
	pim.RuleExpirationAdminAssignment:  "unifiedRoleManagementPolicyExpirationRule",
	pim.RuleExpirationAdminEligibility: "unifiedRoleManagementPolicyExpirationRule",
	pim.RuleEnablementAdminAssignment:  "unifiedRoleManagementPolicyEnablementRule",
	pim.RuleEnablementAdminEligibility: "unifiedRoleManagementPolicyEnablementRule",
}

var (
	// ruleOperations is the CSDL enum unifiedRoleManagementPolicyRuleTargetOperations; the
	// group examples spell its members "All", the metadata "all".
	ruleOperations = enum{"all", "activate", "deactivate", "assign", "update", "remove", "extend", "renew"}
	// enabledRules are the values the enablement rule's page lists (a string collection, not
	// an enum in the metadata).
	enabledRules = enum{pim.EnabledJustification, pim.EnabledMFA, pim.EnabledTicketing}
)

// groupPolicy is a policy assignment, with its expanded policy, in the operator's terms.
func (w *wirePolicyAssignment) groupPolicy() pim.GroupPolicy {
	p := pim.GroupPolicy{}
	if w.Policy != nil {
		p = w.Policy.groupPolicy()
	}
	p.AccessID = pim.AccessID(accessIDs.normalize(w.RoleDefinitionID))
	if w.ScopeID != "" {
		p.GroupID = w.ScopeID
	}
	if w.PolicyID != "" {
		p.PolicyID = w.PolicyID
	}
	return p
}

// groupPolicy is a policy with its rules; a policy does not say which access it governs.
func (w *wirePolicy) groupPolicy() pim.GroupPolicy {
	p := pim.GroupPolicy{GroupID: w.ScopeID, PolicyID: w.ID}
	p.Assignment, p.Eligibility = levelRules(w.Rules)
	return p
}

// levelRules picks the administrator's expiration and enablement rules of each level by their
// ids (without regard to case). A rule whose @odata.type names another type is not the rule
// the id suggests and is left out; the first of two rules with one id counts.
func levelRules(rules []*wirePolicyRule) (assignment, eligibility pim.LevelRules) {
	for _, w := range rules {
		if w == nil {
			continue
		}
		id, ok := ruleID(w.ID)
		if !ok || !isType(w.ODataType, ruleTypes[id]) {
			continue
		}
		level := &assignment
		if id == pim.RuleExpirationAdminEligibility || id == pim.RuleEnablementAdminEligibility {
			level = &eligibility
		}
		switch {
		case ruleTypes[id] == "unifiedRoleManagementPolicyExpirationRule" && level.Expiration == nil:
			level.Expiration = w.expiration(id)
		case ruleTypes[id] == "unifiedRoleManagementPolicyEnablementRule" && level.Enablement == nil:
			level.Enablement = w.enablement(id)
		}
	}
	return assignment, eligibility
}

// ruleID is the known rule id that s spells in any case.
func ruleID(s string) (string, bool) {
	for id := range ruleTypes {
		if strings.EqualFold(s, id) {
			return id, true
		}
	}
	return "", false
}

// isType reports whether an @odata.type ("#microsoft.graph.X") names X; none names any type.
func isType(odataType, name string) bool {
	if odataType == "" {
		return true
	}
	t := strings.TrimPrefix(odataType, "#")
	t = strings.TrimPrefix(t, "microsoft.graph.")
	return strings.EqualFold(t, name)
}

func (w *wirePolicyRule) expiration(id string) *pim.ExpirationRule {
	r := &pim.ExpirationRule{ID: id, MaximumDuration: strings.TrimSpace(w.MaximumDuration), Operations: w.Target.operations()}
	if w.IsExpirationRequired != nil {
		r.Required = *w.IsExpirationRequired
	}
	if d, err := parseDuration(r.MaximumDuration); err == nil && d > 0 {
		r.Maximum = d
	}
	return r
}

func (w *wirePolicyRule) enablement(id string) *pim.EnablementRule {
	r := &pim.EnablementRule{ID: id, Enabled: []string{}, Operations: w.Target.operations()}
	for _, e := range w.EnabledRules {
		if v := enabledRules.normalize(strings.TrimSpace(e)); v != "" {
			r.Enabled = append(r.Enabled, v)
		}
	}
	return r
}

// operations are the target's operations in the metadata's spelling.
func (t *wireRuleTarget) operations() []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, op := range t.Operations {
		if v := ruleOperations.normalize(strings.TrimSpace(op)); v != "" {
			out = append(out, v)
		}
	}
	return out
}
