package controllers

import (
	"context"
	"fmt"

	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/pim-operator/pim-operator/internal/grouppolicy"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// Graph refuses a request that breaks the group's own PIM settings only after the POST, with a
// terse RoleAssignmentRequestPolicyValidationFailed. With --group-policy-check=enforce the
// operator reads the group's policy first and says which rule and which limit, before anything
// is sent.

// errGroupPolicy is a create the group's PIM policy would refuse; nothing was sent.
type errGroupPolicy struct {
	violations []grouppolicy.Violation
}

func (e *errGroupPolicy) Error() string { return grouppolicy.Summary(e.violations) }

// checkGroupPolicy checks in against the group's PIM policy. It returns errGroupPolicy for a
// violation, Graph's error when the policy could not be read for a reason worth waiting for
// (throttled, transient), and nil when the request may go — checked, or unchecked because the
// operator may not read the policy (the first such time is logged; Graph still enforces).
func (r *Reconciler) checkGroupPolicy(ctx context.Context, in pim.CreateInput, facts *graphFacts) error {
	if r.groupPolicies == nil {
		return nil
	}
	o := r.groupPolicies.Check(ctx, r.kind.Graph, in, r.now())
	switch {
	case len(o.Violations) > 0:
		return &errGroupPolicy{violations: o.Violations}
	case o.Forbidden:
		if o.FirstForbidden {
			logf.FromContext(ctx).Info("the operator may not read the groups' PIM policies: requests are sent "+
				"unchecked and Graph enforces the policy", "permission", pim.PermissionPolicyRead, "error", o.Err.Error())
		}
		facts.PolicyUnchecked = fmt.Sprintf("the group's PIM policy was not checked: the operator lacks the Graph "+
			"permission %s", pim.PermissionPolicyRead)
	case pim.IsClass(o.Err, pim.ClassThrottled), pim.IsClass(o.Err, pim.ClassTransient):
		return o.Err
	case o.Err != nil:
		logf.FromContext(ctx).Info("reading the group's PIM policy failed: the request is sent unchecked",
			"groupId", in.GroupID, "error", o.Err.Error())
		facts.PolicyUnchecked = "the group's PIM policy was not checked: " + o.Err.Error()
	}
	return nil
}

// refusedForPolicy: Graph refused a request for a policy reason, so the policy it was checked
// against, if any, is stale.
func (r *Reconciler) refusedForPolicy(in pim.CreateInput, err error) {
	if e := pim.AsError(err); r.groupPolicies != nil && e != nil && e.Code == pim.CodePolicyValidationFailed {
		r.groupPolicies.Invalidate(in.GroupID, in.AccessID)
	}
}
