// Package policy decides whether a PIM request object (PIMAssignmentRequest,
// PIMEligibilityRequest) may ask for what it asks, from the PIMAccessPolicies in the cluster.
// It is a pure function of its inputs: no client, no clock, no Graph. Access is denied by
// default: a request is permitted when at least one policy selects its namespace, grants its
// kind (active assignment or eligibility — each granted separately) for its group with its
// access and principal, allows its schedule, and carries the justification and ticket the
// policy requires.
//
// When nothing permits a request, the decision names what is missing, from the policy that
// came closest: a namespace no policy selects, then a group no policy for that namespace grants
// for the kind, then an access or a principal the group is not granted, then the rules
// (duration, noExpiration, start delay, justification, ticket) of the policy with the fewest
// unmet rules.
//
// It fails closed on anything it cannot read: a policy with a duration that does not parse
// grants nothing, and a request whose times or duration do not parse is not permitted. Only
// objects stored before the CRD checked those values can hold them.
package policy

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/pim"
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
	// Kind is what is asked for: pim.KindAssignment (active access) or pim.KindEligibility.
	// A policy grants each separately; any other value is never permitted.
	Kind pim.Kind
	// GroupID is the group's object id. Compared without regard to case.
	GroupID string
	// PrincipalID is who gets the access. Compared without regard to case.
	PrincipalID string
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
	// Justification is the user's justification as written; blank text is no justification.
	Justification string
	// TicketSystem and TicketNumber are the ticket as written; blank text is no ticket.
	TicketSystem, TicketNumber string
	// Unreadable says, for each time or duration of the spec that does not parse, what is
	// wrong with it. A request with any is never permitted: its schedule cannot be judged.
	Unreadable []string
}

// RequestFromSpec is the Request of kind that a request object's spec makes. For an adopted
// request (spec.requestId set) the spec says nothing about group, principal or access: use
// EvaluateAdopt with what Graph reports instead.
func RequestFromSpec(kind pim.Kind, spec *accessv1alpha1.RequestSpec) Request {
	r := Request{
		Kind:          kind,
		GroupID:       spec.GroupID,
		PrincipalID:   spec.PrincipalID,
		AccessID:      spec.AccessID,
		Justification: spec.Justification,
	}
	if t := spec.Ticket; t != nil {
		r.TicketSystem, r.TicketNumber = t.System, t.Number
	}
	s := spec.Schedule
	if s == nil {
		return r
	}
	r.Expiration = s.Expiration.Type
	unreadable := func(field string, err error) {
		r.Unreadable = append(r.Unreadable, field+" "+err.Error())
	}
	if s.StartDateTime != nil {
		v, err := s.StartDateTime.Get()
		if err != nil {
			unreadable("startDateTime", err)
		}
		r.Start = v
	}
	if s.Expiration.Duration != nil {
		v, err := s.Expiration.Duration.Get()
		if err != nil {
			unreadable("expiration.duration", err)
		}
		r.Duration = v
	}
	if s.Expiration.EndDateTime != nil {
		v, err := s.Expiration.EndDateTime.Get()
		if err != nil {
			unreadable("expiration.endDateTime", err)
		}
		r.End = v
	}
	return r
}

// Adoption is a request made elsewhere that an object adopts (spec.requestId), as Graph
// reports it.
type Adoption struct {
	// Kind is the Graph collection the request lives in: pim.KindAssignment or
	// pim.KindEligibility.
	Kind pim.Kind
	// GroupID, PrincipalID and AccessID are the request's, as Graph reports them.
	GroupID     string
	PrincipalID string
	AccessID    accessv1alpha1.AccessID
}

// Denial says at which step a request was denied.
type Denial string

const (
	// DeniedNamespace: no policy selects the namespace.
	DeniedNamespace Denial = "Namespace"
	// DeniedGroup: policies select the namespace, but none grants the request's kind (active
	// assignment, eligibility) for the group.
	DeniedGroup Denial = "Group"
	// DeniedAccess: policies grant the kind for the group to the namespace, but not with this
	// access, or not to this principal.
	DeniedAccess Denial = "Access"
	// DeniedRules: policies grant the kind, group, access and principal, but each has an unmet
	// rule (duration, noExpiration, start delay, justification, ticket, or a value that cannot
	// be read). Missing lists those of the closest policy.
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
// moment the request is measured from (the caller passes the object's creation, so that the
// verdict does not drift with the clock): the time the access would start when the request
// sets no start, so the duration of an afterDateTime request is its end minus its start, or
// minus now; and the moment a start delay is counted from.
func Evaluate(policies []accessv1alpha1.PIMAccessPolicy, ns Namespace, req Request, now time.Time) Decision {
	if d := unknownKind(req.Kind); d != nil {
		return *d
	}
	candidates, d := evaluateAccess(policies, ns, req.Kind, req.GroupID, req.AccessID, req.PrincipalID)
	if d != nil {
		return *d
	}
	var best *grant
	var bestMissing []string
	bestRank := math.MaxInt
	for _, g := range candidates {
		missing, rank := g.unmetRules(req, now)
		if len(missing) == 0 {
			return permitted(g.policy.Name)
		}
		if best == nil || rank < bestRank {
			best, bestMissing, bestRank = g, missing, rank
		}
	}
	msg := fmt.Sprintf("%s (%s", strings.Join(bestMissing, "; "), best.in())
	if len(candidates) > 1 {
		if req.Kind == pim.KindEligibility {
			msg += fmt.Sprintf(", the closest of %d policies that grant eligibility for group %s as %s to namespace %q",
				len(candidates), req.GroupID, req.AccessID.OrMember(), ns.Name)
		} else {
			msg += fmt.Sprintf(", the closest of %d policies that allow group %s as %s for namespace %q",
				len(candidates), req.GroupID, req.AccessID.OrMember(), ns.Name)
		}
	}
	msg += ")"
	return Decision{Policy: best.policy.Name, Denial: DeniedRules, Missing: bestMissing, Message: msg}
}

// EvaluateAdopt decides whether an object in namespace ns may adopt (and so end) an existing
// request, as Graph reports it: it needs a policy that selects the namespace and grants the
// request's kind for its group, access and principal. Schedule, justification and ticket rules
// do not apply: the request was made elsewhere. A policy with a value it cannot read grants
// nothing, adoption included.
func EvaluateAdopt(policies []accessv1alpha1.PIMAccessPolicy, ns Namespace, a Adoption) Decision {
	if d := unknownKind(a.Kind); d != nil {
		return *d
	}
	candidates, d := evaluateAccess(policies, ns, a.Kind, a.GroupID, a.AccessID, a.PrincipalID)
	if d != nil {
		return *d
	}
	for _, g := range candidates {
		if g.unreadable == "" {
			return permitted(g.policy.Name)
		}
	}
	g := candidates[0]
	return Decision{Policy: g.policy.Name, Denial: DeniedRules, Missing: []string{g.unreadable},
		Message: fmt.Sprintf("%s (%s)", g.unreadable, g.in())}
}

func unknownKind(k pim.Kind) *Decision {
	if k == pim.KindAssignment || k == pim.KindEligibility {
		return nil
	}
	return &Decision{Denial: DeniedGroup,
		Message: fmt.Sprintf("no PIMAccessPolicy grants requests of kind %q: a policy grants %s or %s",
			k, pim.KindAssignment, pim.KindEligibility)}
}

// grant is what one policy grants for one kind of request.
type grant struct {
	policy            *accessv1alpha1.PIMAccessPolicy
	kind              pim.Kind
	groups            []accessv1alpha1.AllowedGroup
	maxDuration       accessv1alpha1.Duration
	maxStartDelay     *accessv1alpha1.Duration
	allowNoExpiration bool
	// unreadable says why the policy grants nothing: one of its durations does not parse.
	unreadable string
}

// grantOf is what p grants for kind; nil when it grants nothing of that kind. An existing
// policy's top-level groups grant active assignments only: eligibility needs its own block.
func grantOf(p *accessv1alpha1.PIMAccessPolicy, kind pim.Kind) *grant {
	g := &grant{policy: p, kind: kind}
	switch kind {
	case pim.KindAssignment:
		if len(p.Spec.Groups) == 0 {
			return nil
		}
		g.groups, g.maxDuration, g.maxStartDelay, g.allowNoExpiration =
			p.Spec.Groups, p.Spec.MaxDuration, p.Spec.MaxStartDelay, p.Spec.AllowNoExpiration
	case pim.KindEligibility:
		e := p.Spec.Eligibility
		if e == nil || len(e.Groups) == 0 {
			return nil
		}
		g.groups, g.maxDuration, g.maxStartDelay, g.allowNoExpiration =
			e.Groups, e.MaxDuration, e.MaxStartDelay, e.AllowNoExpiration
	default:
		return nil
	}
	return g
}

// unreadable says what makes a policy grant nothing: a duration, of either grant, that does
// not parse. The whole policy fails closed, not just the grant that holds the value: an
// administrator's statement that cannot be read in full is not one to act on in part.
func unreadable(spec *accessv1alpha1.PIMAccessPolicySpec) string {
	check := func(field string, d *accessv1alpha1.Duration) string {
		if d.Text == "" {
			return fmt.Sprintf("%s is not set, so the policy grants nothing until it is corrected", field)
		}
		if _, err := d.Get(); err != nil {
			return fmt.Sprintf("%s %v, so the policy grants nothing until it is corrected", field, err)
		}
		return ""
	}
	type field struct {
		name string
		d    *accessv1alpha1.Duration
	}
	var fields []field
	if len(spec.Groups) > 0 || spec.MaxDuration.Text != "" {
		fields = append(fields, field{"maxDuration", &spec.MaxDuration})
	}
	if spec.MaxStartDelay != nil {
		fields = append(fields, field{"maxStartDelay", spec.MaxStartDelay})
	}
	if e := spec.Eligibility; e != nil {
		fields = append(fields, field{"eligibility.maxDuration", &e.MaxDuration})
		if e.MaxStartDelay != nil {
			fields = append(fields, field{"eligibility.maxStartDelay", e.MaxStartDelay})
		}
	}
	for _, f := range fields {
		if problem := check(f.name, f.d); problem != "" {
			return problem
		}
	}
	return ""
}

// in names the grant in a message: "policy "x"", or "eligibility in policy "x"" so that a
// denial of an eligibility never reads as one about the policy's active assignments.
func (g *grant) in() string {
	if g.kind == pim.KindEligibility {
		return fmt.Sprintf("eligibility in policy %q", g.policy.Name)
	}
	return fmt.Sprintf("policy %q", g.policy.Name)
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

// evaluateAccess returns the grants of kind, in policy name order, of the policies that select
// ns and grant groupID with accessID to principalID; or, when there are none, the denial.
func evaluateAccess(policies []accessv1alpha1.PIMAccessPolicy, ns Namespace, kind pim.Kind, groupID string, accessID accessv1alpha1.AccessID, principalID string) ([]*grant, *Decision) {
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

	var listing, allowing, permitting []*grant
	var allowed []accessv1alpha1.AccessID
	for _, p := range selecting {
		g := grantOf(p, kind)
		if g == nil {
			continue
		}
		e := findGroup(g.groups, groupID)
		if e == nil {
			continue
		}
		listing = append(listing, g)
		for _, a := range e.AccessIDs {
			if !slices.Contains(allowed, a) {
				allowed = append(allowed, a)
			}
		}
		if !slices.Contains(e.AccessIDs, access) {
			continue
		}
		allowing = append(allowing, g)
		if len(e.Principals) == 0 || slices.ContainsFunc(e.Principals, func(p string) bool { return strings.EqualFold(p, principalID) }) {
			// Read only for the candidates: every object is judged again on every policy change.
			g.unreadable = unreadable(&p.Spec)
			permitting = append(permitting, g)
		}
	}
	if len(listing) == 0 {
		return nil, &Decision{Denial: DeniedGroup, Message: groupDenial(selecting, ns, kind, groupID)}
	}
	subject := "group " + groupID
	if kind == pim.KindEligibility {
		subject = "eligibility for group " + groupID
	}
	if len(allowing) == 0 {
		slices.Sort(allowed)
		only := make([]string, len(allowed))
		for i, a := range allowed {
			only[i] = string(a)
		}
		return nil, &Decision{Denial: DeniedAccess,
			Message: fmt.Sprintf("%s allows only %s for namespace %q, not %s (%s)",
				subject, strings.Join(only, " and "), ns.Name, access, policyWord(policiesOf(listing)))}
	}
	if len(permitting) == 0 {
		who := principalID
		if who == "" {
			who = "a request that names no principal"
		}
		verb := "lists"
		if len(allowing) > 1 {
			verb = "list"
		}
		return nil, &Decision{Denial: DeniedAccess,
			Message: fmt.Sprintf("%s allows %s for namespace %q only to the principals %s %s, not to %s",
				subject, access, ns.Name, policyWord(policiesOf(allowing)), verb, who)}
	}
	return permitting, nil
}

// groupDenial says that no selecting policy grants kind for groupID to ns, and, when some
// grant the group for the other kind, which: an eligibility asked of a policy written for
// active assignments is the mistake it most likely is.
func groupDenial(selecting []*accessv1alpha1.PIMAccessPolicy, ns Namespace, kind pim.Kind, groupID string) string {
	other, otherOnly := pim.KindEligibility, "only eligibility for it"
	msg := fmt.Sprintf("no PIMAccessPolicy for namespace %q allows group %s (policies selecting it: %s",
		ns.Name, groupID, names(selecting))
	if kind == pim.KindEligibility {
		other, otherOnly = pim.KindAssignment, "only active assignment of it"
		msg = fmt.Sprintf("no PIMAccessPolicy grants eligibility for group %s to namespace %q (policies selecting it: %s",
			groupID, ns.Name, names(selecting))
	}
	var granting []*accessv1alpha1.PIMAccessPolicy
	for _, p := range selecting {
		if g := grantOf(p, other); g != nil && findGroup(g.groups, groupID) != nil {
			granting = append(granting, p)
		}
	}
	switch len(granting) {
	case 0:
	case 1:
		msg += fmt.Sprintf("; %s grants %s", names(granting), otherOnly)
	default:
		msg += fmt.Sprintf("; %s grant %s", names(granting), otherOnly)
	}
	return msg + ")"
}

// unmetRules lists the rules of g that req does not meet, in a fixed order, and ranks them for
// choosing the closest policy: fewer is closer, and a policy that grants nothing because it
// cannot be read comes after every other, since no change to the request would satisfy it.
func (g *grant) unmetRules(req Request, now time.Time) ([]string, int) {
	if g.unreadable != "" {
		return []string{g.unreadable}, math.MaxInt
	}
	missing := slices.Clone(req.Unreadable)
	if len(req.Unreadable) == 0 {
		missing = append(missing, g.scheduleRules(req, now)...)
	}
	if g.policy.Spec.RequireJustification && strings.TrimSpace(req.Justification) == "" {
		if req.Justification != "" {
			missing = append(missing, "a justification is required (spec.justification is blank)")
		} else {
			missing = append(missing, "a justification is required")
		}
	}
	if g.policy.Spec.RequireTicket && (strings.TrimSpace(req.TicketSystem) == "" || strings.TrimSpace(req.TicketNumber) == "") {
		missing = append(missing, "a ticket is required (ticket.system and ticket.number)")
	}
	return missing, len(missing)
}

// scheduleRules lists the schedule rules of g that req does not meet. The grant's durations
// have been read already (unreadable is empty).
func (g *grant) scheduleRules(req Request, now time.Time) []string {
	var missing []string
	limit, _ := g.maxDuration.Get()
	switch req.Expiration {
	case accessv1alpha1.ExpirationNone:
		if !g.allowNoExpiration {
			missing = append(missing, fmt.Sprintf(
				"noExpiration is not allowed: set an expiration of at most %s", FormatDuration(limit)))
		}
	case accessv1alpha1.ExpirationAfterDuration:
		switch {
		case req.Duration <= 0:
			missing = append(missing, "expiration type afterDuration needs a duration longer than zero")
		case req.Duration > limit:
			missing = append(missing, fmt.Sprintf("duration %s exceeds the longest allowed %s",
				FormatDuration(req.Duration), FormatDuration(limit)))
		}
	case accessv1alpha1.ExpirationAfterDateTime:
		start, from := req.Start, "start"
		if start.IsZero() {
			start, from = now, "now"
		}
		switch {
		case req.End.IsZero():
			missing = append(missing, "expiration type afterDateTime needs an endDateTime")
		case req.End.Sub(start) > limit:
			missing = append(missing, fmt.Sprintf("duration %s (%s to endDateTime) exceeds the longest allowed %s",
				FormatDuration(roundUp(req.End.Sub(start))), from, FormatDuration(limit)))
		}
	default:
		missing = append(missing, fmt.Sprintf("expiration type %q is not one of noExpiration, afterDateTime, afterDuration", req.Expiration))
	}
	if g.maxStartDelay != nil && !req.Start.IsZero() {
		delayLimit, _ := g.maxStartDelay.Get()
		if delay := req.Start.Sub(now); delay > delayLimit {
			missing = append(missing, fmt.Sprintf("start delay %s (now to startDateTime) exceeds the longest allowed %s",
				FormatDuration(roundUp(delay)), FormatDuration(delayLimit)))
		}
	}
	return missing
}

// roundUp rounds d up to the second, so that a value over a limit never reads as equal to it.
func roundUp(d time.Duration) time.Duration {
	shown := d.Truncate(time.Second)
	if shown < d {
		shown += time.Second
	}
	return shown
}

func findGroup(groups []accessv1alpha1.AllowedGroup, groupID string) *accessv1alpha1.AllowedGroup {
	for i := range groups {
		if strings.EqualFold(groups[i].GroupID, groupID) {
			return &groups[i]
		}
	}
	return nil
}

func policiesOf(gs []*grant) []*accessv1alpha1.PIMAccessPolicy {
	ps := make([]*accessv1alpha1.PIMAccessPolicy, len(gs))
	for i, g := range gs {
		ps[i] = g.policy
	}
	return ps
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
