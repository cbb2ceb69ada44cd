package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
)

type requestOptions struct {
	*options
	duration, justification, ticket string
	owner, eligible                 bool
	start, principal, name          string
	noWait                          bool
	timeout                         time.Duration
}

func newRequestCommand(o *options) *cobra.Command {
	r := &requestOptions{options: o}
	cmd := &cobra.Command{
		Use:   "request GROUP --for DURATION --justification TEXT",
		Short: "Ask for access to a PIM-governed group, and wait until the operator has it or says why not",
		Long: `Creates a PIMAssignmentRequest (active access), or with --eligible a PIMEligibilityRequest,
for GROUP (the group's object id), then waits until the operator reports it Ready or Stalled
and prints the outcome in one line. Exits 0 only when the request is Ready.

The principal is --principal, or your own Entra object id when the cluster's authentication
reports it (AKS with Entra ID: the oid of your token).`,
		Example: `  kubectl pim request 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f --for 8h --justification "On-call, week 48" --ticket ServiceNow:CHG0012345
  kubectl pim request 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f --for 90d --eligible --owner --justification "Team lead"
  kubectl pim -n team-a request 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f --for 2h --start 2026-12-24T08:00:00Z --justification "Release"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return r.run(cmd.Context(), args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&r.duration, "for", "", "How long the access lasts: 8h, 90m, 1h30m, or whole days such as 90d. Required.")
	f.StringVar(&r.justification, "justification", "", "Why the access is needed; shown to approvers and in the Entra audit log. Required.")
	f.StringVar(&r.ticket, "ticket", "", "The change ticket, as SYSTEM:NUMBER (ServiceNow:CHG0012345).")
	f.BoolVar(&r.owner, "owner", false, "Ask for ownership of the group instead of membership.")
	f.BoolVar(&r.eligible, "eligible", false, "Ask for eligibility (a PIMEligibilityRequest), to activate later, instead of active access.")
	f.StringVar(&r.start, "start", "", "When the access starts: an RFC 3339 time (2026-12-24T08:00:00Z) or a delay (2h). Default: now.")
	f.StringVar(&r.principal, "principal", "", "The object id of the user, group or service principal that gets the access. Default: you.")
	f.StringVar(&r.name, "name", "", "The object's name. Default: generated from you, the access and the group.")
	f.BoolVar(&r.noWait, "no-wait", false, "Create the object and return without waiting for the operator.")
	f.DurationVar(&r.timeout, "timeout", 2*time.Minute, "How long to wait for Ready or Stalled.")
	_ = cmd.MarkFlagRequired("for")
	_ = cmd.MarkFlagRequired("justification")
	return cmd
}

var guid = regexp.MustCompile(v1.GUIDPattern)

func (r *requestOptions) run(ctx context.Context, groupID string) error {
	c, ns, err := r.connect("yaml", "json")
	if err != nil {
		return err
	}
	spec, err := r.spec(groupID, r.now())
	if err != nil {
		return err
	}
	who := ""
	if spec.PrincipalID == "" {
		user, err := whoAmI(ctx, c)
		if err != nil {
			return err
		}
		if spec.PrincipalID = user.oid; spec.PrincipalID == "" {
			return fmt.Errorf("cannot tell your Entra object id: the cluster says you are %q, with no oid; pass --principal", user.name)
		}
		who = user.name
	}

	k := controllers.AssignmentKind
	if r.eligible {
		k = controllers.EligibilityKind
	}
	obj := k.New()
	obj.SetNamespace(ns)
	if r.name != "" {
		obj.SetName(r.name)
	} else {
		obj.SetGenerateName(generateName(who, spec))
	}
	*obj.GetRequestSpec() = spec
	if err := c.Create(ctx, obj); err != nil {
		return explainAPIError(err, "creating the "+k.Name)
	}
	setKind(c.Scheme(), obj)
	if r.noWait {
		if structured(r.output) {
			return printAs(r.Out, r.output, obj)
		}
		fmt.Fprintf(r.Out, "%s created\n", resourceName(k, obj.GetName()))
		return nil
	}
	final, err := r.wait(ctx, c, k, obj, r.timeout, "waiting for the operator", func(o controllers.Object) bool {
		done, _ := settled(o)
		return done
	})
	if err != nil {
		return err
	}
	if structured(r.output) {
		if err := printAs(r.Out, r.output, final); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(r.Out, outcome(k, final, r.now()))
	}
	if _, ready := settled(final); !ready {
		return quiet{fmt.Errorf("%s is not Ready", obj.GetName())}
	}
	return nil
}

// spec is the RequestSpec the flags ask for; the principal stays empty when --principal is
// not set (the caller fills it in).
func (r *requestOptions) spec(groupID string, now time.Time) (v1.RequestSpec, error) {
	var spec v1.RequestSpec
	if !guid.MatchString(groupID) {
		return spec, fmt.Errorf("GROUP must be the group's object id, a GUID such as 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f; got %q", groupID)
	}
	if r.principal != "" && !guid.MatchString(r.principal) {
		return spec, fmt.Errorf("--principal must be an object id (a GUID); got %q", r.principal)
	}
	d, err := parseDuration(r.duration)
	if err != nil {
		return spec, fmt.Errorf("--for: %w", err)
	}
	if strings.TrimSpace(r.justification) == "" {
		return spec, fmt.Errorf("--justification must say why the access is needed")
	}
	if n := len([]rune(r.justification)); n > 400 {
		return spec, fmt.Errorf("--justification is %d characters; at most 400 fit (the operator adds its marker to Graph's 500)", n)
	}
	spec = v1.RequestSpec{
		GroupID:       strings.ToLower(groupID),
		PrincipalID:   strings.ToLower(r.principal),
		AccessID:      v1.AccessMember,
		Justification: r.justification,
		Schedule:      &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(d)}},
	}
	if r.owner {
		spec.AccessID = v1.AccessOwner
	}
	if r.ticket != "" {
		system, number, ok := strings.Cut(r.ticket, ":")
		if !ok || strings.TrimSpace(system) == "" || strings.TrimSpace(number) == "" {
			return spec, fmt.Errorf("--ticket must be SYSTEM:NUMBER, such as ServiceNow:CHG0012345; got %q", r.ticket)
		}
		spec.Ticket = &v1.Ticket{System: strings.TrimSpace(system), Number: strings.TrimSpace(number)}
	}
	if r.start != "" {
		t, err := parseStart(r.start, now)
		if err != nil {
			return spec, fmt.Errorf("--start: %w", err)
		}
		spec.Schedule.StartDateTime = v1.TimeOf(t)
	}
	return spec, nil
}

var days = regexp.MustCompile(`^([0-9]{1,4})d$`)

// parseDuration reads --for: a Go duration in whole seconds (8h, 1h30m) or whole days (90d),
// which the API stores in hours: it takes no days, Graph's PnD does.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("say how long the access lasts, such as 8h")
	}
	var d time.Duration
	if m := days.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration: write 8h, 90m, 1h30m or 90d", s)
		}
	}
	if d <= 0 || d%time.Second != 0 {
		return 0, fmt.Errorf("%q must be a positive whole number of seconds, such as 8h", s)
	}
	return d, nil
}

// parseStart reads --start: an RFC 3339 time, or a delay from now.
func parseStart(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "+")); err == nil && d > 0 {
		return now.Add(d).Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-12-24T08:00:00Z) nor a delay (2h)", s)
}

// user is who the API server says the caller is.
type user struct {
	name string
	oid  string // the Entra object id, when the authentication reports one
}

// whoAmI asks the API server (a SelfSubjectReview, as `kubectl auth whoami` does). With Entra
// ID authentication (AKS) the token's oid claim is the extra "oid"; a cluster that names users
// by their object id gives it as the user name.
func whoAmI(ctx context.Context, c client.Client) (user, error) {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		return user{}, fmt.Errorf("asking the API server who you are (or pass --principal): %w", err)
	}
	info := review.Status.UserInfo
	u := user{name: info.Username}
	for _, key := range []string{"oid", "http://schemas.microsoft.com/identity/claims/objectidentifier"} {
		for _, v := range info.Extra[key] {
			if guid.MatchString(v) {
				u.oid = strings.ToLower(v)
				return u, nil
			}
		}
	}
	if guid.MatchString(info.Username) {
		u.oid = strings.ToLower(info.Username)
	}
	return u, nil
}

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// generateName is a readable prefix for the object's name — who, which access, which group —
// to which the API server adds five random characters: alice-member-6b1f3c9e-x7k2p.
func generateName(who string, spec v1.RequestSpec) string {
	who, _, _ = strings.Cut(strings.ToLower(who), "@")
	if i := strings.LastIndexAny(who, ":\\/"); i >= 0 { // system:serviceaccount:ns:name, DOMAIN\user
		who = who[i+1:]
	}
	if guid.MatchString(who) || who == "" {
		who = spec.PrincipalID
	}
	who = strings.Trim(notDNS.ReplaceAllString(who, "-"), "-")
	if len(who) > 20 {
		who = strings.TrimRight(who[:20], "-")
	}
	if len(who) > 8 && guid.MatchString(spec.PrincipalID) && strings.HasPrefix(spec.PrincipalID, who) {
		who = who[:8]
	}
	if who == "" {
		who = "request"
	}
	group := spec.GroupID
	if len(group) > 8 {
		group = group[:8]
	}
	return fmt.Sprintf("%s-%s-%s-", who, spec.AccessID.OrMember(), group)
}
