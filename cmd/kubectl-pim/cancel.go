package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
)

type cancelOptions struct {
	*options
	noWait  bool
	timeout time.Duration
}

func newCancelCommand(o *options) *cobra.Command {
	co := &cancelOptions{options: o}
	cmd := &cobra.Command{
		Use:   "cancel NAME",
		Short: "End a request: cancel it if it is not in force yet, remove the access if it is",
		Long: `Sets spec.cancelled to true on the request object NAME (pimar/NAME or pimer/NAME when both
kinds have one by that name) and waits until the operator has ended it: a pending or future
request is cancelled, live access is removed. The object stays, as the record of what happened;
delete it when you no longer need that.

In GitOps, make the same change in Git: the API refuses cancelled: false once it is true, so
the next sync of the old manifest would fail.`,
		Example: `  kubectl pim cancel alice-member-6b1f3c9e-x7k2p
  kubectl pim -n team-a cancel pimer/bob-owner-3e2d1c0b-q8r4t --no-wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return co.run(cmd.Context(), args[0]) },
	}
	cmd.Flags().BoolVar(&co.noWait, "no-wait", false, "Ask for the cancellation and return without waiting for the operator.")
	// Graph refuses to remove access younger than 5 minutes; the operator removes it as soon as
	// Graph allows, so the wait must be able to outlast that.
	cmd.Flags().DurationVar(&co.timeout, "timeout", 6*time.Minute, "How long to wait for the request to end.")
	return cmd
}

func (co *cancelOptions) run(ctx context.Context, name string) error {
	c, ns, err := co.connect("yaml", "json")
	if err != nil {
		return err
	}
	f, err := find(ctx, c, ns, name)
	if err != nil {
		return err
	}
	ref := resourceName(f.kind, f.obj.GetName())
	if tool := gitOpsManager(f.obj); tool != "" {
		fmt.Fprintf(co.ErrOut, "Warning: %s is managed by %s: set spec.cancelled: true in Git too, or its next sync fails "+
			"(cancelled cannot go back to false).\n", ref, tool)
	}
	if !f.obj.GetRequestSpec().Cancelled {
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"cancelled":true}}`))
		if err := c.Patch(ctx, f.obj, patch, client.FieldOwner("kubectl-pim")); err != nil {
			return explainAPIError(err, "cancelling "+ref)
		}
		setKind(c.Scheme(), f.obj)
	}
	if co.noWait {
		if structured(co.output) {
			return printAs(co.Out, co.output, f.obj)
		}
		fmt.Fprintf(co.Out, "%s cancellation asked for\n", ref)
		return nil
	}
	final, err := co.wait(ctx, c, f.kind, f.obj, co.timeout, "ending", func(o controllers.Object) bool {
		st := o.GetRequestStatus()
		if st.ObservedGeneration < o.GetGeneration() {
			return false
		}
		return meta.IsStatusConditionTrue(st.Conditions, v1.ConditionCancelled) ||
			meta.IsStatusConditionTrue(st.Conditions, v1.ConditionStalled)
	})
	if err != nil {
		return err
	}
	if structured(co.output) {
		return printAs(co.Out, co.output, final)
	}
	fmt.Fprintln(co.Out, outcome(f.kind, final, co.now()))
	if !meta.IsStatusConditionTrue(final.GetRequestStatus().Conditions, v1.ConditionCancelled) {
		return quiet{fmt.Errorf("%s has not ended", ref)}
	}
	return nil
}

// gitOpsManager names the GitOps tool that applies obj, if one does: its labels, annotations
// or the field managers that wrote it say so.
func gitOpsManager(obj client.Object) string {
	labels, annotations := obj.GetLabels(), obj.GetAnnotations()
	switch {
	case labels["kustomize.toolkit.fluxcd.io/name"] != "" || labels["helm.toolkit.fluxcd.io/name"] != "":
		return "Flux"
	case labels["argocd.argoproj.io/instance"] != "" || annotations["argocd.argoproj.io/tracking-id"] != "":
		return "Argo CD"
	}
	var managers []string
	for _, m := range obj.GetManagedFields() {
		switch {
		case strings.HasPrefix(m.Manager, "kustomize-controller"), strings.HasPrefix(m.Manager, "helm-controller"):
			managers = append(managers, "Flux")
		case strings.HasPrefix(m.Manager, "argocd"):
			managers = append(managers, "Argo CD")
		}
	}
	sort.Strings(managers)
	if len(managers) > 0 {
		return managers[0]
	}
	return ""
}
