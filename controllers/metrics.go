package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The outcome label of pim_operator_policy_decisions_total.
const (
	OutcomePermitted       = "permitted"
	OutcomeDeniedNamespace = "denied_namespace"
	OutcomeDeniedGroup     = "denied_group"
	OutcomeDeniedAccess    = "denied_access"
	OutcomeDeniedRules     = "denied_rules"
	// OutcomeDisabled: --policy-mode=disabled, the write went ahead unchecked.
	OutcomeDisabled = "disabled"
)

// policyDecisions counts the guard-rail decisions taken before a Graph write that needs one
// (creating a request; adopting or ending a request made elsewhere), at most one per reconcile.
var policyDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "pim_operator_policy_decisions_total",
	Help: "Guard-rail (PIMAccessPolicy) decisions taken before a Graph write that needs one — creating a request, " +
		"adopting or ending a request made elsewhere — by kind (assignment, eligibility) and outcome: permitted, " +
		"denied_namespace, denied_group, denied_access, denied_rules, or disabled (--policy-mode=disabled).",
}, []string{"kind", "outcome"})

func init() {
	metrics.Registry.MustRegister(policyDecisions)
	for _, k := range Kinds {
		for _, o := range []string{OutcomePermitted, OutcomeDeniedNamespace, OutcomeDeniedGroup, OutcomeDeniedAccess,
			OutcomeDeniedRules, OutcomeDisabled} {
			policyDecisions.WithLabelValues(string(k.Graph), o) // every series exists from the start, at zero
		}
	}
}
