// Package policy decides whether a PIMAssignmentRequest may ask for what it asks, from the
// PIMAccessPolicies in the cluster. It is a pure function of its inputs: no client, no clock,
// no Graph. Access is denied by default: a request is permitted when at least one policy
// selects its namespace and allows its group, its access, its schedule, and carries the
// justification and ticket the policy requires.
//
// When nothing permits a request, the decision names what is missing, from the policy that
// came closest: a namespace no policy selects, then a group no policy for that namespace
// lists, then an access the group is not allowed, then the rules (duration, noExpiration,
// justification, ticket) of the policy with the fewest unmet rules.
package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// NamespaceNameLabel is the label Kubernetes puts on every namespace with its name. Selection
// adds it when the labels passed in lack it, so a selector on it works the same either way.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// Namespace is the namespace of the object being decided: its name and labels.
type Namespace struct {
	Name   string
	Labels map[string]string
}

// Request is what an object asks for.
type Request struct {
	// GroupID is the group's object id. Compared without regard to case.
	GroupID string
	// AccessID is member or owner; empty means member (what the operator sends when unset).
	AccessID accessv1alpha1.AccessID
	// Start is when the access starts; the zero time means when it is submitted (now).
	Start time.Time
	// Expiration is noExpiration, afterDateTime or afterDuration.
	Expiration accessv1alpha1.ExpirationType
	// Duration is the access's length, for afterDuration.
	Duration time.Duration
	// End is when the access ends, for afterDateTime.
	End time.Time
	// HasJustification says the request carries a justification.
	HasJustification bool
	// HasTicket says the request carries a ticket.
	HasTicket bool
}

// RequestFromSpec is the Request a request object's spec makes. For an adopted request
// (spec.requestId set) the spec says nothing about group or access: use EvaluateAdopt with what
// Graph reports instead.
func RequestFromSpec(spec *accessv1alpha1.RequestSpec) Request {
	r := Request{
		GroupID:          spec.GroupID,
		AccessID:         spec.AccessID,
		HasJustification: strings.TrimSpace(spec.Justification) != "",
		HasTicket:        spec.Ticket != nil && spec.Ticket.System != "" && spec.Ticket.Number != "",
	}
	if s := spec.Schedule; s != nil {
		// An unreadable time or duration counts as unset: the operator refuses such a spec before
		// it asks the policies (the CRD rejects it; only an object stored before that can have one).
		if s.StartDateTime != nil {
			r.Start, _ = s.StartDateTime.Get()
		}
		r.Expiration = s.Expiration.Type
		if s.Expiration.Duration != nil {
			r.Duration, _ = s.Expiration.Duration.Get()
		}
		if s.Expiration.EndDateTime != nil {
			r.End, _ = s.Expiration.EndDateTime.Get()
		}
	}
	return r
}

// Denial says at which step a request was denied.
type Denial string

const (
	// DeniedNamespace: no policy selects the namespace.
	DeniedNamespace Denial = "Namespace"
	// DeniedGroup: policies select the namespace, but none lists the group.
	DeniedGroup Denial = "Group"
	// DeniedAccess: policies list the group for the namespace, but not with this access.
	DeniedAccess Denial = "Access"
	// DeniedRules: policies allow the group and access, but each has an unmet rule (duration,
	// noExpiration, justification, ticket). Missing lists those of the closest policy.
	DeniedRules Denial = "Rules"
)

// Decision is the outcome of an evaluation.
type Decision struct {
	// Permitted is true when a policy permits the request.
	Permitted bool
	// Policy is the name of the policy that permits the request; when denied at DeniedRules,
	// the policy that came closest (the one Missing and Message speak of). Empty otherwise.
	Policy string
	// Denial is the step at which the request was denied; empty when permitted.
	Denial Denial
	// Missing lists the unmet rules of the closest policy, when Denial is DeniedRules, each as
	// a short sentence ("a ticket is required").
	Missing []string
	// Message says, for people, which policy permits the request, or exactly what is missing.
	Message string
}

// Evaluate decides whether a request from namespace ns is permitted by policies. now is the
// time the access would start when the request sets no start: the duration of an
// afterDateTime request is its end minus its start, or minus now.
func Evaluate(policies []accessv1alpha1.PIMAccessPolicy, ns Namespace, req Request, now time.Time) Decision {
	allowing, d := evaluateAccess(policies, ns, req.GroupID, req.AccessID)
	if d != nil {
		return *d
	}
	var best *accessv1alpha1.PIMAccessPolicy
	var bestMissing []string
	for _, p := range allowing {
		missing := unmetRules(&p.Spec, req, now)
		if len(missing) == 0 {
			return permitted(p.Name)
		}
		if best == nil || len(missing) < len(bestMissing) {
			best, bestMissing = p, missing
		}
	}
	msg := fmt.Sprintf("%s (policy %q", strings.Join(bestMissing, "; "), best.Name)
	if len(allowing) > 1 {
		msg += fmt.Sprintf(", the closest of %d policies that allow group %s as %s for namespace %q",
			len(allowing), req.GroupID, req.AccessID.OrMember(), ns.Name)
	}
	msg += ")"
	return Decision{Policy: best.Name, Denial: DeniedRules, Missing: bestMissing, Message: msg}
}

// EvaluateAdopt decides whether an object in namespace ns may adopt (and so end) an existing
// request for groupID with accessID, as Graph reports them: it needs a policy that selects the
// namespace and allows that group and access. Schedule, justification and ticket rules do not
// apply: the request was made elsewhere.
func EvaluateAdopt(policies []accessv1alpha1.PIMAccessPolicy, ns Namespace, groupID string, accessID accessv1alpha1.AccessID) Decision {
	allowing, d := evaluateAccess(policies, ns, groupID, accessID)
	if d != nil {
		return *d
	}
	return permitted(allowing[0].Name)
}

// Selects says whether policy p applies to namespace ns: its name is in spec.namespaces, or
// its labels match spec.namespaceSelector. An empty or invalid selector selects nothing.
func Selects(p *accessv1alpha1.PIMAccessPolicy, ns Namespace) bool {
	if slices.Contains(p.Spec.Namespaces, ns.Name) {
		return true
	}
	sel, ok := selector(p.Spec.NamespaceSelector)
	if !ok {
		return false
	}
	set := labels.Set(ns.Labels)
	if _, has := ns.Labels[NamespaceNameLabel]; !has && ns.Name != "" {
		set = labels.Merge(set, labels.Set{NamespaceNameLabel: ns.Name})
	}
	return sel.Matches(set)
}

// selector converts the policy's namespace selector; ok is false when it is unset, empty (which
// would select every namespace) or invalid.
func selector(s *accessv1alpha1.NamespaceSelector) (labels.Selector, bool) {
	if s == nil || (len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0) {
		return nil, false
	}
	ls := &metav1.LabelSelector{}
	if len(s.MatchLabels) > 0 {
		ls.MatchLabels = make(map[string]string, len(s.MatchLabels))
		for k, v := range s.MatchLabels {
			ls.MatchLabels[k] = string(v)
		}
	}
	for _, e := range s.MatchExpressions {
		values := make([]string, len(e.Values))
		for i, v := range e.Values {
			values[i] = string(v)
		}
		ls.MatchExpressions = append(ls.MatchExpressions, metav1.LabelSelectorRequirement{
			Key: e.Key, Operator: metav1.LabelSelectorOperator(e.Operator), Values: values,
		})
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil, false
	}
	return sel, true
}

// evaluateAccess returns the policies, in name order, that select ns and allow groupID with
// accessID; or, when there are none, the denial.
func evaluateAccess(policies []accessv1alpha1.PIMAccessPolicy, ns Namespace, groupID string, accessID accessv1alpha1.AccessID) ([]*accessv1alpha1.PIMAccessPolicy, *Decision) {
	access := accessID.OrMember()

	var selecting []*accessv1alpha1.PIMAccessPolicy
	for i := range policies {
		if Selects(&policies[i], ns) {
			selecting = append(selecting, &policies[i])
		}
	}
	slices.SortFunc(selecting, func(a, b *accessv1alpha1.PIMAccessPolicy) int { return strings.Compare(a.Name, b.Name) })
	if len(selecting) == 0 {
		return nil, &Decision{Denial: DeniedNamespace,
			Message: fmt.Sprintf("no PIMAccessPolicy selects namespace %q", ns.Name)}
	}

	var listing, allowing []*accessv1alpha1.PIMAccessPolicy
	var allowed []accessv1alpha1.AccessID
	for _, p := range selecting {
		g := findGroup(&p.Spec, groupID)
		if g == nil {
			continue
		}
		listing = append(listing, p)
		for _, a := range g.AccessIDs {
			if !slices.Contains(allowed, a) {
				allowed = append(allowed, a)
			}
		}
		if slices.Contains(g.AccessIDs, access) {
			allowing = append(allowing, p)
		}
	}
	if len(listing) == 0 {
		return nil, &Decision{Denial: DeniedGroup,
			Message: fmt.Sprintf("no PIMAccessPolicy for namespace %q allows group %s (policies selecting it: %s)",
				ns.Name, groupID, names(selecting))}
	}
	if len(allowing) == 0 {
		slices.Sort(allowed)
		only := make([]string, len(allowed))
		for i, a := range allowed {
			only[i] = string(a)
		}
		return nil, &Decision{Denial: DeniedAccess,
			Message: fmt.Sprintf("group %s allows only %s for namespace %q, not %s (%s)",
				groupID, strings.Join(only, " and "), ns.Name, access, policyWord(listing))}
	}
	return allowing, nil
}

// unmetRules lists the rules of spec that req does not meet, in a fixed order.
func unmetRules(spec *accessv1alpha1.PIMAccessPolicySpec, req Request, now time.Time) []string {
	var missing []string
	// An unreadable maxDuration allows nothing: the policy fails closed.
	limit, _ := spec.MaxDuration.Get()
	switch req.Expiration {
	case accessv1alpha1.ExpirationNone:
		if !spec.AllowNoExpiration {
			missing = append(missing, fmt.Sprintf(
				"noExpiration is not allowed: set an expiration of at most %s", FormatDuration(limit)))
		}
	case accessv1alpha1.ExpirationAfterDuration:
		if req.Duration > limit {
			missing = append(missing, fmt.Sprintf("duration %s exceeds the longest allowed %s",
				FormatDuration(req.Duration), FormatDuration(limit)))
		}
	case accessv1alpha1.ExpirationAfterDateTime:
		start, from := req.Start, "start"
		if start.IsZero() {
			start, from = now, "now"
		}
		if d := req.End.Sub(start); d > limit {
			// Shown rounded up to the second, so that it never reads as equal to the limit.
			shown := d.Truncate(time.Second)
			if shown < d {
				shown += time.Second
			}
			missing = append(missing, fmt.Sprintf("duration %s (%s to endDateTime) exceeds the longest allowed %s",
				FormatDuration(shown), from, FormatDuration(limit)))
		}
	default:
		missing = append(missing, fmt.Sprintf("expiration type %q is not one of noExpiration, afterDateTime, afterDuration", req.Expiration))
	}
	if spec.RequireJustification && !req.HasJustification {
		missing = append(missing, "a justification is required")
	}
	if spec.RequireTicket && !req.HasTicket {
		missing = append(missing, "a ticket is required (ticket.system and ticket.number)")
	}
	return missing
}

func findGroup(spec *accessv1alpha1.PIMAccessPolicySpec, groupID string) *accessv1alpha1.AllowedGroup {
	for i := range spec.Groups {
		if strings.EqualFold(spec.Groups[i].GroupID, groupID) {
			return &spec.Groups[i]
		}
	}
	return nil
}

func permitted(name string) Decision {
	return Decision{Permitted: true, Policy: name, Message: fmt.Sprintf("permitted by PIMAccessPolicy %q", name)}
}

// maxNames bounds how many policy names a message lists.
const maxNames = 5

func names(ps []*accessv1alpha1.PIMAccessPolicy) string {
	var b strings.Builder
	for i, p := range ps {
		if i == maxNames {
			fmt.Fprintf(&b, " and %d more", len(ps)-maxNames)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", p.Name)
	}
	return b.String()
}

func policyWord(ps []*accessv1alpha1.PIMAccessPolicy) string {
	if len(ps) == 1 {
		return "policy " + names(ps)
	}
	return "policies " + names(ps)
}

// FormatDuration writes d the way people write Kubernetes durations: "8h", "720h", "1h30m",
// "45s", without Go's trailing zero units ("8h0m0s"). Sub-second parts are rounded away.
func FormatDuration(d time.Duration) string {
	if d > time.Second || d < -time.Second {
		d = d.Round(time.Second)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
