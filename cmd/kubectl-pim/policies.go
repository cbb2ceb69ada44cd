package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/policy"
)

func newPoliciesCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "policies",
		Short: "Show what this namespace may ask for: the PIMAccessPolicies that select it",
		Long: `Lists, for the namespace, every group and access the PIMAccessPolicies that select it grant,
active or eligible, for how long and with which paperwork. A request that fits none of them
stays Stalled/NotPermitted, and nothing reaches Graph (unless the operator runs with
--policy-mode=disabled). Reading policies needs the pimaccesspolicy-viewer-role.`,
		Example: `  kubectl pim policies
  kubectl pim -n team-a policies -o wide`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return policies(cmd.Context(), o) },
	}
}

func policies(ctx context.Context, o *options) error {
	c, name, err := o.connect("wide", "yaml", "json")
	if err != nil {
		return err
	}
	ns := policy.Namespace{Name: name}
	var nsObj corev1.Namespace
	switch err := c.Get(ctx, client.ObjectKey{Name: name}, &nsObj); {
	case err == nil:
		ns.Labels = nsObj.Labels
	case apierrors.IsForbidden(err):
		// Policies may select by label; without the labels only those that name it are found.
		fmt.Fprintf(o.ErrOut, "Warning: not allowed to read namespace %s: showing only the policies that list it by name.\n", name)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("namespace %q does not exist", name)
	default:
		return err
	}
	var list v1.PIMAccessPolicyList
	if err := c.List(ctx, &list); err != nil {
		if apierrors.IsForbidden(err) {
			return fmt.Errorf("reading PIMAccessPolicies: %v\n(ask for the pimaccesspolicy-viewer-role)", err)
		}
		return explainAPIError(err, "reading PIMAccessPolicies")
	}
	var selecting []v1.PIMAccessPolicy
	for i := range list.Items {
		if policy.Selects(&list.Items[i], ns) {
			selecting = append(selecting, list.Items[i])
		}
	}
	sort.Slice(selecting, func(i, j int) bool { return selecting[i].Name < selecting[j].Name })

	if structured(o.output) {
		items := make([]runtime.Object, 0, len(selecting))
		for i := range selecting {
			setKind(c.Scheme(), &selecting[i])
			items = append(items, &selecting[i])
		}
		return printAs(o.Out, o.output, newList(items))
	}
	if len(selecting) == 0 {
		fmt.Fprintf(o.Out, "No PIMAccessPolicy selects namespace %s: every request there stays Stalled/NotPermitted "+
			"(unless the operator runs with --policy-mode=disabled). Ask a cluster administrator for one.\n", name)
		return nil
	}
	wide := o.output == "wide"
	headers := []string{"POLICY", "TYPE", "GROUP", "ACCESS", "PRINCIPALS", "MAX DURATION", "NO EXPIRATION", "START WITHIN", "REQUIRES"}
	t := newTable(o.Out, headers...)
	for _, p := range selecting {
		s := p.Spec
		var requires []string
		if s.RequireJustification {
			requires = append(requires, "justification")
		}
		if s.RequireTicket {
			requires = append(requires, "ticket")
		}
		rows := func(typ string, groups []v1.AllowedGroup, max v1.Duration, noExpiration bool, startWithin *v1.Duration) {
			for _, g := range groups {
				accessIDs := make([]string, len(g.AccessIDs))
				for i, a := range g.AccessIDs {
					accessIDs[i] = string(a)
				}
				principals := "any"
				switch {
				case len(g.Principals) > 0 && wide:
					principals = strings.Join(g.Principals, ",")
				case len(g.Principals) == 1:
					principals = "1 principal"
				case len(g.Principals) > 1:
					principals = fmt.Sprintf("%d principals", len(g.Principals))
				}
				within := "any time"
				if startWithin != nil {
					within = startWithin.String()
				}
				t.row(p.Name, typ, g.GroupID, strings.Join(accessIDs, ","), principals, max.String(), yesNo(noExpiration),
					within, strings.Join(requires, ", "))
			}
		}
		rows("active", s.Groups, s.MaxDuration, s.AllowNoExpiration, s.MaxStartDelay)
		if e := s.Eligibility; e != nil {
			rows("eligible", e.Groups, e.MaxDuration, e.AllowNoExpiration, e.MaxStartDelay)
		}
	}
	return t.flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
