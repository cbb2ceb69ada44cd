package controllers

import (
	"fmt"

	"github.com/go-logr/logr"
)

// PolicyMode is --policy-mode: whether the reconciler asks the PIMAccessPolicies (the guard
// rails) before it writes to Graph. The zero value enforces (access is denied by default).
type PolicyMode string

// The values of --policy-mode.
const (
	// PolicyModeEnforce: a Graph write happens only when a PIMAccessPolicy permits it.
	PolicyModeEnforce PolicyMode = "enforce"
	// PolicyModeDisabled: no policy is read; Kubernetes RBAC alone decides (single-team clusters).
	PolicyModeDisabled PolicyMode = "disabled"
)

// PolicyModes are the accepted values of --policy-mode, the default first.
func PolicyModes() []PolicyMode { return []PolicyMode{PolicyModeEnforce, PolicyModeDisabled} }

// ParsePolicyMode reads --policy-mode.
func ParsePolicyMode(s string) (PolicyMode, error) {
	for _, m := range PolicyModes() {
		if s == string(m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("invalid --policy-mode %q: must be %s or %s", s, PolicyModeEnforce, PolicyModeDisabled)
}

func (m PolicyMode) enforces() bool { return m != PolicyModeDisabled }

// String is the flag value; the zero value is enforce.
func (m PolicyMode) String() string {
	if m.enforces() {
		return string(PolicyModeEnforce)
	}
	return string(PolicyModeDisabled)
}

// Describe says, for the start-up log, which mode is on and what it means.
func (m PolicyMode) Describe() string {
	if m.enforces() {
		return "--policy-mode=enforce: guard rails are on. A PIMAssignmentRequest is sent to Graph only when a " +
			"PIMAccessPolicy selecting its namespace allows its group, access and schedule; without one it is Stalled " +
			"(NotPermitted) and nothing reaches Graph. Adopting or ending a request made elsewhere (spec.requestId) " +
			"needs a policy allowing that request's group and access. Access is denied by default."
	}
	return "--policy-mode=disabled: guard rails are off. No PIMAccessPolicy is read: whoever Kubernetes RBAC lets " +
		"create a PIMAssignmentRequest can obtain any PIM-for-Groups access the operator's Graph permission reaches. " +
		"Use this only on a single-team cluster that relies on RBAC alone."
}

// LogPolicyMode writes the start-up line for the mode.
func LogPolicyMode(log logr.Logger, m PolicyMode) {
	log.Info(m.Describe(), "policyMode", m.String())
}
