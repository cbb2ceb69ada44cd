package graphemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// A group's PIM settings: one policy per group and access (member, owner), which the emulator
// both serves (policies/roleManagementPolicyAssignments, roleManagementPolicies and their
// rules) and enforces on adminAssign (400 RoleAssignmentRequestPolicyValidationFailed), so the
// two cannot disagree. A group whose policy was never set has the default policy: unrestricted
// (nothing required, no maximum), so that requests that ignore policies are accepted as before;
// Options.DocumentedGroupPolicies makes the default the one Graph's group examples show
// (DocumentedGroupPolicy). Only the administrator's rules (caller Admin) of both levels are
// settable and enforced; the end-user rules (activation) are served as the examples show, with
// the group's approval setting (SetApprovalRequired), and are not enforced: activations are
// seeded, as a user's portal activation.

// The enabledRules values an enablement rule takes, as Graph spells them.
const (
	EnabledJustification = "Justification"
	EnabledMFA           = "MultiFactorAuthentication"
	EnabledTicketing     = "Ticketing"
)

// The rule names of Graph's RoleAssignmentRequestPolicyValidationFailed message ("The following
// policy rules failed: ["ExpirationRule"]"), in the order the emulator lists them.
const (
	FailedExpirationRule    = "ExpirationRule"
	FailedJustificationRule = "JustificationRule"
	FailedMfaRule           = "MfaRule"
	FailedTicketingRule     = "TicketingRule"
)

// CodePolicyValidationFailed is Graph's code for a request that breaks the group's policy.
const CodePolicyValidationFailed = "RoleAssignmentRequestPolicyValidationFailed"

var enabledNames = canonicalNames(EnabledJustification, EnabledMFA, EnabledTicketing)

// GroupPolicy is what the emulator models of a group's PIM policy for one access: an
// administrator's rules for active assignments and for eligibilities.
type GroupPolicy struct {
	Assignment  PolicyLevel `json:"assignment"`
	Eligibility PolicyLevel `json:"eligibility"`
}

// PolicyLevel is an administrator's expiration and enablement rule of one level
// (Expiration_Admin_Assignment and Enablement_Admin_Assignment, or the Eligibility ones).
type PolicyLevel struct {
	// ExpirationRequired is isExpirationRequired: noExpiration is refused.
	ExpirationRequired bool `json:"expirationRequired"`
	// MaximumDuration is maximumDuration as Graph writes it (xsd:duration: "P180D", "PT8H";
	// a month counts 30 days, a year 365); "" for none. It bounds every request that ends,
	// and Graph's documentation requires it when ExpirationRequired is set.
	MaximumDuration string `json:"maximumDuration,omitempty"`
	// EnabledRules are the enablement rule's enabledRules: EnabledJustification, EnabledMFA,
	// EnabledTicketing.
	EnabledRules []string `json:"enabledRules"`
}

// DocumentedGroupPolicy is the policy Graph's group examples show for a group whose settings
// nobody changed (lastModifiedDateTime null): an end required, eligibilities of at most
// P365D, active assignments of at most P180D with a justification.
func DocumentedGroupPolicy() GroupPolicy {
	return GroupPolicy{
		Assignment:  PolicyLevel{ExpirationRequired: true, MaximumDuration: "P180D", EnabledRules: []string{EnabledJustification}},
		Eligibility: PolicyLevel{ExpirationRequired: true, MaximumDuration: "P365D", EnabledRules: []string{}},
	}
}

// UnrestrictedGroupPolicy requires nothing and bounds nothing: the emulator's default for a
// group whose policy was not set (unless Options.DocumentedGroupPolicies).
func UnrestrictedGroupPolicy() GroupPolicy {
	return GroupPolicy{
		Assignment:  PolicyLevel{EnabledRules: []string{}},
		Eligibility: PolicyLevel{EnabledRules: []string{}},
	}
}

// GroupPolicyFromJSON reads a policy as the control API and hack/graph-emulator take it:
// DocumentedGroupPolicy with what b sets, e.g. {"assignment":{"maximumDuration":"PT8H",
// "enabledRules":["MultiFactorAuthentication"]}}. Empty input is the documented policy.
func GroupPolicyFromJSON(b []byte) (GroupPolicy, error) {
	p := DocumentedGroupPolicy()
	if len(bytes.TrimSpace(b)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return GroupPolicy{}, fmt.Errorf("group policy: %w", err)
		}
	}
	return p.normalized()
}

// normalized checks p and spells its enabled rules as Graph does.
func (p GroupPolicy) normalized() (GroupPolicy, error) {
	for _, l := range []struct {
		name  string
		level *PolicyLevel
	}{{"assignment", &p.Assignment}, {"eligibility", &p.Eligibility}} {
		lv := l.level
		if lv.MaximumDuration != "" {
			if d, err := parseISODuration(lv.MaximumDuration); err != nil || d <= 0 {
				return GroupPolicy{}, fmt.Errorf("%s.maximumDuration %q: want a positive ISO 8601 duration such as P30D or PT8H", l.name, lv.MaximumDuration)
			}
		}
		if lv.ExpirationRequired && lv.MaximumDuration == "" {
			return GroupPolicy{}, fmt.Errorf("%s: maximumDuration is required when an expiration is required", l.name)
		}
		rules := []string{}
		for _, r := range lv.EnabledRules {
			name, ok := enabledNames[strings.ToLower(r)]
			if !ok {
				return GroupPolicy{}, fmt.Errorf("%s.enabledRules: %q is none of %s, %s, %s", l.name, r, EnabledJustification, EnabledMFA, EnabledTicketing)
			}
			rules = append(rules, name)
		}
		lv.EnabledRules = rules
	}
	return p, nil
}

// level is the policy's rules of a request kind.
func (p GroupPolicy) level(kind string) PolicyLevel {
	if kind == KindEligibility {
		return p.Eligibility
	}
	return p.Assignment
}

func (l PolicyLevel) enables(name string) bool {
	for _, r := range l.EnabledRules {
		if r == name {
			return true
		}
	}
	return false
}

// policyRecord is a policy set explicitly, and when.
type policyRecord struct {
	GroupPolicy
	modified time.Time
}

type policyKey struct{ groupID, accessID string }

// accessesOf is the accesses an accessID names: one, or both for "".
func accessesOf(accessID string) ([]string, error) {
	if accessID == "" {
		return []string{AccessMember, AccessOwner}, nil
	}
	a, ok := accessNames[strings.ToLower(accessID)]
	if !ok {
		return nil, fmt.Errorf("accessId %q: want member or owner", accessID)
	}
	return []string{a}, nil
}

// SetGroupPolicy sets the policy of the group for an access ("" for both). It is served and
// enforced from now on, for requests made after it.
func (e *Emulator) SetGroupPolicy(groupID, accessID string, p GroupPolicy) error {
	if !isGUID(groupID) {
		return fmt.Errorf("groupId %q is not a GUID", groupID)
	}
	accesses, err := accessesOf(accessID)
	if err != nil {
		return err
	}
	if p, err = p.normalized(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range accesses {
		e.policies[policyKey{strings.ToLower(groupID), a}] = &policyRecord{GroupPolicy: p, modified: e.clock.now()}
	}
	return nil
}

// ClearGroupPolicy gives the group its default policy again, for an access ("" for both).
func (e *Emulator) ClearGroupPolicy(groupID, accessID string) {
	accesses, err := accessesOf(accessID)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range accesses {
		delete(e.policies, policyKey{strings.ToLower(groupID), a})
	}
}

// GroupPolicy returns the policy in force for the group and access, and whether it was set
// explicitly (otherwise it is the default).
func (e *Emulator) GroupPolicy(groupID, accessID string) (GroupPolicy, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.policyLocked(groupID, canonicalAccess(accessID))
	return rec.GroupPolicy, !rec.modified.IsZero()
}

// SetDocumentedGroupPolicies changes Options.DocumentedGroupPolicies.
func (e *Emulator) SetDocumentedGroupPolicies(documented bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.documentedGroupPolicies = documented
}

// policyLocked is the policy in force; a default one has a zero modified time.
func (e *Emulator) policyLocked(groupID, accessID string) *policyRecord {
	if rec := e.policies[policyKey{strings.ToLower(groupID), accessID}]; rec != nil {
		return rec
	}
	if e.documentedGroupPolicies {
		return &policyRecord{GroupPolicy: DocumentedGroupPolicy()}
	}
	return &policyRecord{GroupPolicy: UnrestrictedGroupPolicy()}
}

// checkPolicyLocked is Graph's policy validation of an adminAssign request: the rules of the
// request's kind in the group's policy for its access.
func (e *Emulator) checkPolicyLocked(kind string, in *createInput, now time.Time) *apiError {
	l := e.policyLocked(in.groupID, in.accessID).level(kind)
	var failed []string
	if l.breaksExpiration(in, now) {
		failed = append(failed, FailedExpirationRule)
	}
	if l.enables(EnabledJustification) && strings.TrimSpace(in.justification) == "" {
		failed = append(failed, FailedJustificationRule)
	}
	if l.enables(EnabledMFA) {
		// The caller is an application: its token never carries multifactor authentication.
		failed = append(failed, FailedMfaRule)
	}
	if l.enables(EnabledTicketing) && (in.ticket == nil || strings.TrimSpace(in.ticket.Number) == "" || strings.TrimSpace(in.ticket.System) == "") {
		failed = append(failed, FailedTicketingRule)
	}
	if len(failed) == 0 {
		return nil
	}
	names, _ := json.Marshal(failed)
	return badRequest(CodePolicyValidationFailed, "The following policy rules failed: %s", names)
}

// breaksExpiration: no end where one is required, or longer than the maximum. The length of
// an afterDateTime runs from the effective start (now, or a start in the future).
func (l PolicyLevel) breaksExpiration(in *createInput, now time.Time) bool {
	var length time.Duration
	switch in.exp.Type {
	case ExpirationAfterDuration:
		length = in.length
	case ExpirationAfterDateTime:
		start := now
		if in.start != nil && in.start.After(now) {
			start = *in.start
		}
		length = in.exp.EndDateTime.Sub(start)
	default: // noExpiration, notSpecified: no end
		return l.ExpirationRequired
	}
	maximum, err := parseISODuration(l.MaximumDuration)
	return err == nil && maximum > 0 && length > maximum
}

// policyNamespace makes the emulator's policy ids stable: the same group and access always
// have the same policy id, as in Graph.
var policyNamespace = uuid.MustParse("5f0e7a3c-4b1d-4c2e-9a8f-6d7c5b4a3e21")

// GroupPolicyID is the id of the group's policy for the access, in Graph's form
// Group_{groupId}_{guid}; the policy assignment's id adds _{access}.
func GroupPolicyID(groupID, accessID string) string {
	g := strings.ToLower(groupID)
	return "Group_" + g + "_" + uuid.NewSHA1(policyNamespace, []byte(g+"/"+canonicalAccess(accessID))).String()
}

// errNoPolicy: an id that names no policy of a group.
var errNoPolicy = errors.New("no such policy")

// parseGroupPolicyID reads Group_{groupId}_{guid} back into its group and access.
func parseGroupPolicyID(id string) (groupID, accessID string, err error) {
	const prefix = "group_"
	if len(id) < len(prefix)+38 || !strings.EqualFold(id[:len(prefix)], prefix) {
		return "", "", errNoPolicy
	}
	groupID = strings.ToLower(id[len(prefix) : len(prefix)+36])
	for _, a := range []string{AccessMember, AccessOwner} {
		if strings.EqualFold(GroupPolicyID(groupID, a), id) {
			return groupID, a, nil
		}
	}
	return "", "", errNoPolicy
}
