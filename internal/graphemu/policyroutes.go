package graphemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
)

// The role management policy reads of a group's PIM settings, under /v1.0/policies/:
//
//	GET roleManagementPolicyAssignments?$filter=scopeId eq '{g}' and scopeType eq 'Group'[ and roleDefinitionId eq '{a}']
//	    [&$expand=policy[($expand=rules)]]                        listPolicyAssignments
//	GET roleManagementPolicies?$filter=…[&$expand=rules[($select=…)]]  listPolicies
//	GET roleManagementPolicies/{id}[?$expand=rules]                    getPolicy
//	GET roleManagementPolicies/{id}/rules                              listPolicyRules
//
// Every group has a policy for member and one for owner (the default one unless set); the
// policies of directory roles are not modelled (501).

// KindPolicy is the Call.Kind and Fault.Kind of the policy reads.
const KindPolicy = "policy"

// The policy reads' operation names.
const (
	OpListPolicyAssignments = "listPolicyAssignments"
	OpListPolicies          = "listPolicies"
	OpGetPolicy             = "getPolicy"
	OpListPolicyRules       = "listPolicyRules"
)

// Entity type names, for messages and @odata.type.
const (
	entityPolicyAssignment = "unifiedRoleManagementPolicyAssignment"
	entityPolicy           = "unifiedRoleManagementPolicy"
	entityPolicyRule       = "unifiedRoleManagementPolicyRule"
)

// navTree is which navigation properties $expand may name, and under each what it may expand.
type navTree map[string]navTree

var (
	policyNavigation     = navTree{"rules": nil, "effectiveRules": nil}
	assignmentNavigation = navTree{"policy": policyNavigation}
)

// routePolicies routes /v1.0/policies/…; segs follow "policies".
func routePolicies(method string, segs []string, query url.Values) route {
	rt := route{kindName: KindPolicy, entityName: entityPolicy}
	var nav navTree
	switch {
	case len(segs) == 0:
		return route{err: badRequest(CodeBadRequest, "Resource not found for the segment '%s'.", "policies")}
	case strings.EqualFold(segs[0], "roleManagementPolicyAssignments") && len(segs) == 1:
		rt.op, rt.entityName, nav = OpListPolicyAssignments, entityPolicyAssignment, assignmentNavigation
	case strings.EqualFold(segs[0], "roleManagementPolicyAssignments"):
		return route{kindName: KindPolicy, err: notModelled("The Graph emulator does not model reading a policy assignment by id; list them with $filter.")}
	case strings.EqualFold(segs[0], "roleManagementPolicies") && len(segs) == 1:
		rt.op, nav = OpListPolicies, policyNavigation
	case strings.EqualFold(segs[0], "roleManagementPolicies") && len(segs) == 2:
		rt.op, rt.id, nav = OpGetPolicy, segs[1], policyNavigation
	case strings.EqualFold(segs[0], "roleManagementPolicies") && len(segs) == 3 && strings.EqualFold(segs[2], "rules"):
		rt.op, rt.id, rt.entityName = OpListPolicyRules, segs[1], entityPolicyRule
	case strings.EqualFold(segs[0], "roleManagementPolicies") && len(segs) >= 3:
		return route{kindName: KindPolicy, err: notModelled("The Graph emulator models a policy's rules as a list only.")}
	default:
		return route{err: badRequest(CodeBadRequest, "Resource not found for the segment '%s'.", segs[0])}
	}
	if rt.id != "" && !strings.HasPrefix(strings.ToLower(rt.id), "group_") {
		return route{kindName: KindPolicy, err: notModelled("The Graph emulator models the policies of PIM for Groups (ids Group_…), not those of directory roles.")}
	}
	if method != http.MethodGet {
		rt.err = &apiError{status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed, message: "The HTTP method '" + method + "' is not allowed on this resource."}
		return rt
	}
	for k, v := range query {
		switch {
		case strings.EqualFold(k, "$filter") || strings.EqualFold(k, "filter"):
			if rt.op != OpListPolicyAssignments && rt.op != OpListPolicies {
				rt.err = badRequest(CodeBadRequest, "The query option '%s' is not allowed here.", k)
				return rt
			}
		case strings.EqualFold(k, "$expand") && len(v) > 0:
			var err *apiError
			if rt.expand, err = parseExpand(v[0], nav); err != nil {
				rt.err = err
				return rt
			}
		default:
			for _, opt := range unmodelledQueryOptions {
				if strings.EqualFold(k, opt) {
					rt.err = notModelled("The Graph emulator does not model the query option '%s' on policies.", k)
					return rt
				}
			}
		}
	}
	return rt
}

// expandItem is one navigation property of $expand, with its nested $expand and $select.
type expandItem struct {
	name    string
	expand  []expandItem
	selects []string // nil: every property
}

// parseExpand reads "policy($expand=rules)", "rules($select=id,target)" and the like against
// the navigation properties allowed.
func parseExpand(text string, allowed navTree) ([]expandItem, *apiError) {
	var out []expandItem
	for _, part := range splitTop(text, ',') {
		name, opts, hasOpts := strings.Cut(strings.TrimSpace(part), "(")
		name = strings.TrimSpace(name)
		canon := ""
		for nav := range allowed {
			if strings.EqualFold(nav, name) {
				canon = nav
			}
		}
		if canon == "" {
			return nil, badRequest(CodeBadRequest, "Could not find a navigation property named '%s' to expand.", name)
		}
		it := expandItem{name: canon}
		if hasOpts {
			if !strings.HasSuffix(opts, ")") {
				return nil, badRequest(CodeBadRequest, "Invalid $expand '%s': missing ')'.", part)
			}
			for _, opt := range splitTop(strings.TrimSuffix(opts, ")"), ';') {
				k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
				switch {
				case strings.EqualFold(k, "$expand"):
					nested, err := parseExpand(v, allowed[canon])
					if err != nil {
						return nil, err
					}
					it.expand = nested
				case strings.EqualFold(k, "$select"):
					it.selects = []string{}
					for _, s := range strings.Split(v, ",") {
						it.selects = append(it.selects, strings.TrimSpace(s))
					}
				default:
					return nil, notModelled("The Graph emulator does not model the option '%s' inside $expand.", k)
				}
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// splitTop splits s at sep outside parentheses.
func splitTop(s string, sep rune) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// The JSON of the policy types: exactly their CSDL properties, with explicit nulls as the
// examples show them.

type policyAssignmentJSON struct {
	ID               string `json:"id"`
	PolicyID         string `json:"policyId"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	ScopeID          string `json:"scopeId"`
	ScopeType        string `json:"scopeType"`
}

type policyJSON struct {
	ID                    string             `json:"id"`
	Description           string             `json:"description"`
	DisplayName           string             `json:"displayName"`
	IsOrganizationDefault bool               `json:"isOrganizationDefault"`
	LastModifiedBy        policyIdentityJSON `json:"lastModifiedBy"`
	LastModifiedDateTime  *string            `json:"lastModifiedDateTime"`
	ScopeID               string             `json:"scopeId"`
	ScopeType             string             `json:"scopeType"`
}

type policyIdentityJSON struct {
	DisplayName *string `json:"displayName"`
	ID          *string `json:"id"`
}

type ruleTargetJSON struct {
	Caller              string   `json:"caller"`
	EnforcedSettings    []string `json:"enforcedSettings"`
	InheritableSettings []string `json:"inheritableSettings"`
	Level               string   `json:"level"`
	Operations          []string `json:"operations"`
}

type ruleJSON struct {
	ODataType string         `json:"@odata.type"`
	ID        string         `json:"id"`
	Target    ruleTargetJSON `json:"target"`
}

type expirationRuleJSON struct {
	ruleJSON
	IsExpirationRequired bool    `json:"isExpirationRequired"`
	MaximumDuration      *string `json:"maximumDuration"`
}

type enablementRuleJSON struct {
	ruleJSON
	EnabledRules []string `json:"enabledRules"`
}

type notificationRuleJSON struct {
	ruleJSON
	IsDefaultRecipientsEnabled bool     `json:"isDefaultRecipientsEnabled"`
	NotificationLevel          string   `json:"notificationLevel"`
	NotificationRecipients     []string `json:"notificationRecipients"`
	NotificationType           string   `json:"notificationType"`
	RecipientType              string   `json:"recipientType"`
}

type approvalRuleJSON struct {
	ruleJSON
	Setting approvalSettingsJSON `json:"setting"`
}

type approvalSettingsJSON struct {
	ApprovalMode                     string              `json:"approvalMode"`
	ApprovalStages                   []approvalStageJSON `json:"approvalStages"`
	IsApprovalRequired               bool                `json:"isApprovalRequired"`
	IsApprovalRequiredForExtension   bool                `json:"isApprovalRequiredForExtension"`
	IsRequestorJustificationRequired bool                `json:"isRequestorJustificationRequired"`
}

type approvalStageJSON struct {
	ApprovalStageTimeOutInDays      int   `json:"approvalStageTimeOutInDays"`
	EscalationApprovers             []any `json:"escalationApprovers"`
	EscalationTimeInMinutes         int   `json:"escalationTimeInMinutes"`
	IsApproverJustificationRequired bool  `json:"isApproverJustificationRequired"`
	IsEscalationEnabled             bool  `json:"isEscalationEnabled"`
	PrimaryApprovers                []any `json:"primaryApprovers"`
}

type authenticationContextRuleJSON struct {
	ruleJSON
	ClaimValue *string `json:"claimValue"`
	IsEnabled  bool    `json:"isEnabled"`
}

// The rule levels and callers, as Graph spells them.
const (
	levelAssignment  = "Assignment"
	levelEligibility = "Eligibility"
	callerAdmin      = "Admin"
	callerEndUser    = "EndUser"
	// endUserMaximum is the activation length the group examples show.
	endUserMaximum = "PT8H"
)

func rule(typ, id, caller, level string) ruleJSON {
	return ruleJSON{ODataType: "#microsoft.graph." + typ, ID: id, Target: ruleTargetJSON{Caller: caller, Level: level,
		Operations: []string{"all"}, EnforcedSettings: []string{}, InheritableSettings: []string{}}}
}

// notifications are the three notification rules of a caller and level.
func notifications(caller, level string) []any {
	var out []any
	for _, to := range []string{"Admin", "Requestor", "Approver"} {
		out = append(out, notificationRuleJSON{
			ruleJSON:                   rule("unifiedRoleManagementPolicyNotificationRule", "Notification_"+to+"_"+caller+"_"+level, caller, level),
			IsDefaultRecipientsEnabled: true, NotificationLevel: "All", NotificationRecipients: []string{}, NotificationType: "Email", RecipientType: to,
		})
	}
	return out
}

// adminRules are the expiration and enablement rule of one level, then its notifications.
func adminRules(l PolicyLevel, level string) []any {
	return append([]any{
		expirationRuleJSON{ruleJSON: rule("unifiedRoleManagementPolicyExpirationRule", "Expiration_Admin_"+level, callerAdmin, level),
			IsExpirationRequired: l.ExpirationRequired, MaximumDuration: optString(l.MaximumDuration)},
		enablementRuleJSON{ruleJSON: rule("unifiedRoleManagementPolicyEnablementRule", "Enablement_Admin_"+level, callerAdmin, level),
			EnabledRules: append([]string{}, l.EnabledRules...)},
	}, notifications(callerAdmin, level)...)
}

// policyRules are the 17 rules of a group policy, in the order of the documented expansion.
func policyRules(p GroupPolicy, approval bool) []any {
	out := adminRules(p.Eligibility, levelEligibility)
	out = append(out, adminRules(p.Assignment, levelAssignment)...)
	out = append(out,
		expirationRuleJSON{ruleJSON: rule("unifiedRoleManagementPolicyExpirationRule", "Expiration_EndUser_Assignment", callerEndUser, levelAssignment),
			IsExpirationRequired: true, MaximumDuration: optString(endUserMaximum)},
		enablementRuleJSON{ruleJSON: rule("unifiedRoleManagementPolicyEnablementRule", "Enablement_EndUser_Assignment", callerEndUser, levelAssignment),
			EnabledRules: []string{EnabledJustification}},
		approvalRuleJSON{ruleJSON: rule("unifiedRoleManagementPolicyApprovalRule", "Approval_EndUser_Assignment", callerEndUser, levelAssignment),
			Setting: approvalSettingsJSON{ApprovalMode: "SingleStage", IsApprovalRequired: approval, IsRequestorJustificationRequired: true,
				ApprovalStages: []approvalStageJSON{{ApprovalStageTimeOutInDays: 1, IsApproverJustificationRequired: true,
					EscalationApprovers: []any{}, PrimaryApprovers: []any{}}}}},
		authenticationContextRuleJSON{ruleJSON: rule("unifiedRoleManagementPolicyAuthenticationContextRule", "AuthenticationContext_EndUser_Assignment", callerEndUser, levelAssignment)},
	)
	return append(out, notifications(callerEndUser, levelAssignment)...)
}

// policyEntity is one group's policy for one access, as the policy reads serve it.
type policyEntity struct {
	groupID, accessID string
	rec               *policyRecord
	approval          bool
}

func (e *Emulator) policyEntityLocked(groupID, accessID string) policyEntity {
	g := strings.ToLower(groupID)
	return policyEntity{groupID: g, accessID: accessID, rec: e.policyLocked(g, accessID), approval: e.approval[g]}
}

// property is what $filter compares, for the assignment and the policy alike.
func (p policyEntity) property(name string) string {
	switch name {
	case "id":
		return GroupPolicyID(p.groupID, p.accessID) + "_" + p.accessID
	case "policyId":
		return GroupPolicyID(p.groupID, p.accessID)
	case "roleDefinitionId":
		return p.accessID
	case "scopeId":
		return p.groupID
	case "scopeType":
		return "Group"
	}
	return ""
}

func (p policyEntity) assignment(expand []expandItem) map[string]any {
	m := toMap(policyAssignmentJSON{ID: p.property("id"), PolicyID: p.property("policyId"), RoleDefinitionID: p.accessID,
		ScopeID: p.groupID, ScopeType: "Group"})
	for _, it := range expand {
		m[it.name] = p.policy(it)
	}
	return m
}

// policy is the policy with the expansions and selection it asks for.
func (p policyEntity) policy(it expandItem) map[string]any {
	out := policyJSON{ID: p.property("policyId"), Description: "Group", DisplayName: "Group", ScopeID: p.groupID, ScopeType: "Group"}
	if !p.rec.modified.IsZero() {
		out.LastModifiedDateTime = optTime(&p.rec.modified)
		out.LastModifiedBy.ID = optString(PortalAdminID)
	}
	m := selectProperties(toMap(out), it.selects)
	for _, nested := range it.expand {
		var rules []any
		for _, r := range p.rules() {
			rules = append(rules, selectProperties(r, nested.selects))
		}
		m[nested.name] = rules
	}
	return m
}

func (p policyEntity) rules() []map[string]any {
	var out []map[string]any
	for _, r := range policyRules(p.rec.GroupPolicy, p.approval) {
		out = append(out, toMap(r))
	}
	return out
}

// toMap is v's JSON as a map, so that expansions and $select can change it.
func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// selectProperties keeps the selected properties (any case) and the @odata.type; nil keeps all.
func selectProperties(m map[string]any, selects []string) map[string]any {
	if selects == nil {
		return m
	}
	out := map[string]any{}
	for k, v := range m {
		if k == "@odata.type" || slices.ContainsFunc(selects, func(s string) bool { return strings.EqualFold(s, k) }) {
			out[k] = v
		}
	}
	return out
}

// handlePolicies answers the policy reads.
func (e *Emulator) handlePolicies(w http.ResponseWriter, r *http.Request, rt route) {
	e.mu.Lock()
	now := e.clock.now()
	var out any
	var err *apiError
	switch rt.op {
	case OpListPolicyAssignments, OpListPolicies:
		out, err = e.listPoliciesLocked(r, rt)
	case OpGetPolicy, OpListPolicyRules:
		groupID, accessID, perr := parseGroupPolicyID(rt.id)
		if perr != nil {
			err = notFound(entityPolicy, rt.id)
			break
		}
		p := e.policyEntityLocked(groupID, accessID)
		if rt.op == OpGetPolicy {
			out = p.policy(expandItem{expand: rt.expand})
			break
		}
		rules := collectionJSON{Context: odataContext(r, "policies/roleManagementPolicies('"+rt.id+"')/rules"), Value: []any{}}
		for _, rl := range p.rules() {
			rules.Value = append(rules.Value, rl)
		}
		out = rules
	}
	e.mu.Unlock()
	switch {
	case err != nil:
		writeGraphError(w, now, err)
	case rt.op == OpGetPolicy:
		writeEntity(w, http.StatusOK, odataContext(r, "policies/roleManagementPolicies/$entity"), out)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// policyFilters are the $filter operators of the policy lists: the eq on scopeId and scopeType
// the list pages require, and the eq on roleDefinitionId the assignment page documents.
var (
	policyAssignmentFilters = filterRules{"scopeId": {"eq"}, "scopeType": {"eq"}, "roleDefinitionId": {"eq"}}
	policyFilters           = filterRules{"scopeId": {"eq"}, "scopeType": {"eq"}}
)

// listPoliciesLocked lists the policy assignments, or the policies, of the group the filter
// scopes to: one each for member and owner.
func (e *Emulator) listPoliciesLocked(r *http.Request, rt route) (any, *apiError) {
	wire, rules, set := reflect.TypeFor[policyAssignmentJSON](), policyAssignmentFilters, "roleManagementPolicyAssignments"
	if rt.op == OpListPolicies {
		wire, rules, set = reflect.TypeFor[policyJSON](), policyFilters, "roleManagementPolicies"
	}
	q := r.URL.Query()
	text := q.Get("$filter")
	if text == "" {
		text = q.Get("filter")
	}
	var names []string
	for name := range jsonFields(wire) {
		names = append(names, name)
	}
	f, ferr := parseFilter(text, newFilterTarget(rt.entityName, names, rules))
	if ferr != nil {
		return nil, badRequest(CodeBadRequest, "%s", ferr.Error())
	}
	scopeID, scopeType := f.eq("scopeId"), f.eq("scopeType")
	switch {
	case scopeID == "" || scopeType == "":
		return nil, badRequest(CodeBadRequest, "The request must be scoped: use $filter with an 'eq' on scopeId and scopeType.")
	case strings.EqualFold(scopeType, "Directory") || strings.EqualFold(scopeType, "DirectoryRole"):
		return nil, notModelled("The Graph emulator models the policies of PIM for Groups (scopeType 'Group'), not those of directory roles.")
	case !strings.EqualFold(scopeType, "Group"):
		return nil, badRequest(CodeBadRequest, "The scopeType '%s' is none of Directory, DirectoryRole, Group.", scopeType)
	case !isGUID(scopeID):
		return nil, badRequest(CodeBadRequest, "The scopeId '%s' is not a group id.", scopeID)
	}
	out := collectionJSON{Context: odataContext(r, "policies/"+set), Value: []any{}}
	for _, a := range []string{AccessMember, AccessOwner} {
		p := e.policyEntityLocked(scopeID, a)
		if !f.match(p.property) {
			continue
		}
		if rt.op == OpListPolicies {
			out.Value = append(out.Value, p.policy(expandItem{expand: rt.expand}))
		} else {
			out.Value = append(out.Value, p.assignment(rt.expand))
		}
	}
	return out, nil
}

// eq is the value of the filter's eq comparison on property, or "".
func (f filter) eq(property string) string {
	for _, c := range f {
		if c.property == property && c.op == "eq" && !c.isNull {
			return c.value
		}
	}
	return ""
}
