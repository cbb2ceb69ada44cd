// Package grouppolicy checks an adminAssign request against the group's own PIM policy
// before it is sent. Graph refuses a request that breaks the group's PIM settings only after
// the POST, with a terse RoleAssignmentRequestPolicyValidationFailed ("The following policy
// rules failed: ["ExpirationRule"]"); Check says which rule and which limit, and what the
// request asks instead. Cache reads each group's policy once for many requests.
//
// Check is a pure function of the policy, the kind, the request and the time. It reads the
// rules the way Graph documents them (docs/graph.md, "A group's PIM policy"):
//
//   - Expiration_Admin_{Assignment,Eligibility}: isExpirationRequired refuses noExpiration;
//     maximumDuration bounds every request that ends. Lengths are compared exactly as Graph
//     counts them: afterDuration as sent (whole seconds: the client drops fractions),
//     afterDateTime from the start (now, or a start in the future) to the end. Graph's
//     maximum is an xsd:duration: a day is 24 hours, a month 30 days and a year 365 days
//     (.NET's XmlConvert, behind OData's Edm.Duration), so P365D is 8760h. Asking for exactly
//     the maximum passes.
//   - Enablement_Admin_{Assignment,Eligibility}: Justification needs the user's own
//     justification (the operator's marker alone does not count, although Graph would take
//     it); Ticketing needs a ticket with system and number; MultiFactorAuthentication can
//     never be satisfied by an application's token.
//
// A rule Graph did not send, or whose target operations do not include adminAssign's
// ("all" or "assign"), constrains nothing; so does a maximum Graph wrote in a form that could
// not be read. Where the reading is uncertain the check lets the request through: Graph
// still enforces its policy, so a miss costs the terse error, never a lost request.
package grouppolicy

import (
	"fmt"
	"strings"
	"time"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// Setting is the part of a rule a request breaks.
type Setting string

// The settings the check knows.
const (
	// SettingExpirationRequired: isExpirationRequired, and the request has no end.
	SettingExpirationRequired Setting = "isExpirationRequired"
	// SettingMaximumDuration: the request lasts longer than maximumDuration.
	SettingMaximumDuration Setting = "maximumDuration"
	// SettingMFA, SettingJustification, SettingTicketing: an enabledRules value.
	SettingMFA           Setting = pim.EnabledMFA
	SettingJustification Setting = pim.EnabledJustification
	SettingTicketing     Setting = pim.EnabledTicketing
)

// Violation is one rule of the group's policy that a request breaks.
type Violation struct {
	// RuleID is the rule's id, e.g. pim.RuleExpirationAdminAssignment.
	RuleID  string
	Setting Setting
	// Limit is what the rule allows or requires, in Graph's terms: the maximumDuration as
	// Graph wrote it ("PT8H"), "an end", or the enabled rule ("Justification").
	Limit string
	// Asked is what the request asks: a length ("12h"), "noExpiration", or "none".
	Asked string
	// UserFixable is false when no change to the object can satisfy the rule (multifactor
	// authentication): only the group's policy, or an assignment made in the portal, can.
	UserFixable bool
	// Message says it all in one sentence, for a condition, an event and the log.
	Message string
}

func (v Violation) String() string { return v.Message }

// Check returns the violations of the policy's rules for the kind's request, in a fixed order:
// expiration, multifactor authentication, justification, ticket. now is the time the request
// would be sent: a start before it counts as now, as Graph serves it.
func Check(p *pim.GroupPolicy, kind pim.Kind, in pim.CreateInput, now time.Time) []Violation {
	w, ok := wordings[kind]
	if p == nil || !ok {
		return nil
	}
	c := checker{group: in.GroupID, w: w}
	rules := p.For(kind)
	var out []Violation
	if r := rules.Expiration; r != nil && pim.OperationsApplyToAssign(r.Operations) {
		out = append(out, c.expiration(r, in.Schedule, now)...)
	}
	if r := rules.Enablement; r != nil && pim.OperationsApplyToAssign(r.Operations) {
		out = append(out, c.enablement(r, in)...)
	}
	return out
}

// Summary joins the violations' messages, for one condition message.
func Summary(vs []Violation) string {
	msgs := make([]string, 0, len(vs))
	for _, v := range vs {
		msgs = append(msgs, v.Message)
	}
	return strings.Join(msgs, "; ")
}

// wording names a kind's access in messages.
type wording struct{ one, many string }

var wordings = map[pim.Kind]wording{
	pim.KindAssignment:  {one: "active assignment", many: "active assignments"},
	pim.KindEligibility: {one: "eligibility", many: "eligibilities"},
}

type checker struct {
	group string
	w     wording
}

func (c checker) expiration(r *pim.ExpirationRule, s pim.ScheduleInfo, now time.Time) []Violation {
	length, until, ends := askedLength(s, now)
	limit := ""
	if r.Maximum > 0 {
		limit = fmt.Sprintf("%s (%s)", Human(r.Maximum), r.MaximumDuration)
	}
	switch {
	case !ends && r.Required:
		hint := "set an expiration"
		if limit != "" {
			hint += " of at most " + limit
		}
		return []Violation{{RuleID: r.ID, Setting: SettingExpirationRequired, Limit: "an end", Asked: string(pim.ExpirationNone), UserFixable: true,
			Message: fmt.Sprintf("group %s requires an end on %s: noExpiration is not allowed, %s (rule %s)", c.group, c.w.many, hint, r.ID)}}
	case ends && r.Maximum > 0 && length > r.Maximum:
		asked := Human(length)
		if until != nil {
			asked += " (until " + until.UTC().Format(time.RFC3339) + ")"
		}
		return []Violation{{RuleID: r.ID, Setting: SettingMaximumDuration, Limit: r.MaximumDuration, Asked: Human(length), UserFixable: true,
			Message: fmt.Sprintf("group %s allows %s of at most %s; this asks for %s (rule %s)", c.group, c.w.many, limit, asked, r.ID)}}
	}
	return nil
}

func (c checker) enablement(r *pim.EnablementRule, in pim.CreateInput) []Violation {
	var out []Violation
	if r.Requires(pim.EnabledMFA) {
		out = append(out, Violation{RuleID: r.ID, Setting: SettingMFA, Limit: pim.EnabledMFA, Asked: "none",
			Message: fmt.Sprintf("group %s requires multifactor authentication on %s, which an application can never satisfy: "+
				"relax the rule for this group or assign in the portal (rule %s)", c.group, c.w.one, r.ID)})
	}
	if r.Requires(pim.EnabledJustification) && pim.UserJustification(in.Justification) == "" {
		out = append(out, Violation{RuleID: r.ID, Setting: SettingJustification, Limit: pim.EnabledJustification, Asked: "none", UserFixable: true,
			Message: fmt.Sprintf("group %s requires a justification on %s; this request has none (the operator's marker does not count): "+
				"set spec.justification (rule %s)", c.group, c.w.one, r.ID)})
	}
	if r.Requires(pim.EnabledTicketing) && !hasTicket(in.Ticket) {
		out = append(out, Violation{RuleID: r.ID, Setting: SettingTicketing, Limit: pim.EnabledTicketing, Asked: "none", UserFixable: true,
			Message: fmt.Sprintf("group %s requires ticket information on %s; this request has none: "+
				"set spec.ticket (system and number) (rule %s)", c.group, c.w.one, r.ID)})
	}
	return out
}

func hasTicket(t *pim.Ticket) bool {
	return t != nil && strings.TrimSpace(t.System) != "" && strings.TrimSpace(t.Number) != ""
}

// askedLength is how long the request's access lasts as Graph counts it, and whether it ends
// at all. An afterDuration is sent in whole seconds; an afterDateTime lasts from the start
// (now, or a start in the future) to its end, which until returns.
func askedLength(s pim.ScheduleInfo, now time.Time) (length time.Duration, until *time.Time, ends bool) {
	switch x := s.Expiration; x.Type {
	case pim.ExpirationAfterDuration:
		return x.Duration.Truncate(time.Second), nil, true
	case pim.ExpirationAfterDateTime:
		if x.EndDateTime == nil {
			return 0, nil, true // refused by the client before sending, not a policy matter
		}
		start := now
		if s.Start != nil && s.Start.After(now) {
			start = *s.Start
		}
		return x.EndDateTime.Sub(start), x.EndDateTime, true
	}
	return 0, nil, false
}

// Human writes a length the way a Kubernetes duration is written: "8h", "1h30m", "4320h",
// "90s".
func Human(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return strings.TrimSuffix(d.String(), "0s")
	}
	return d.String()
}
