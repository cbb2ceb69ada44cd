package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pim-operator/pim-operator/controllers"
)

type listOptions struct {
	*options
	allNamespaces bool
}

func newListCommand(o *options) *cobra.Command {
	l := &listOptions{options: o}
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "Show who has what, until when, and in what state",
		Long: `Lists the request objects of every kind in the namespace (or, with -A, in every namespace):
who gets which access to which group, until when, and where each stands — Active or Eligible
when the access is in force, Scheduled, Pending approval, Working while the operator acts,
Stalled with the reason when only a person can move it on, Ended once cancelled or removed.`,
		Example: `  kubectl pim ls
  kubectl pim ls -A -o wide
  kubectl pim -n team-a ls -o yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return l.run(cmd.Context()) },
	}
	cmd.Flags().BoolVarP(&l.allNamespaces, "all-namespaces", "A", false, "List the objects in every namespace.")
	return cmd
}

func (l *listOptions) run(ctx context.Context) error {
	if err := l.checkOutput("wide", "yaml", "json"); err != nil {
		return err
	}
	c, err := l.client()
	if err != nil {
		return err
	}
	var opts []client.ListOption
	ns := ""
	if !l.allNamespaces {
		if ns, err = l.namespace(); err != nil {
			return err
		}
		opts = append(opts, client.InNamespace(ns))
	}
	var rows []found
	installed, listed := 0, 0
	var forbidden error
	for _, k := range kinds {
		list := k.NewList()
		if err := c.List(ctx, list, opts...); err != nil {
			switch {
			case meta.IsNoMatchError(err):
				continue // this kind's CRD is not installed: nothing to list
			case apierrors.IsForbidden(err):
				// Teams are often granted one kind and not the other: show what may be read.
				installed++
				forbidden = explainAPIError(err, "listing "+k.Name+"s")
				fmt.Fprintf(l.ErrOut, "Warning: not allowed to list %ss here: they are not shown.\n", k.Name)
				continue
			}
			return explainAPIError(err, "listing "+k.Name+"s")
		}
		installed++
		listed++
		err := meta.EachListItem(list, func(o runtime.Object) error {
			obj := o.(controllers.Object)
			setKind(c.Scheme(), obj)
			rows = append(rows, found{kind: k, obj: obj})
			return nil
		})
		if err != nil {
			return err
		}
	}
	if installed == 0 {
		return fmt.Errorf("the pim-operator's CRDs are not installed in this cluster")
	}
	if listed == 0 {
		return forbidden
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].obj, rows[j].obj
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		if a.GetName() != b.GetName() {
			return a.GetName() < b.GetName()
		}
		return rows[i].kind.Name < rows[j].kind.Name
	})

	if structured(l.output) {
		items := make([]runtime.Object, 0, len(rows))
		for _, r := range rows {
			items = append(items, r.obj)
		}
		return printAs(l.Out, l.output, newList(items))
	}
	if len(rows) == 0 {
		if l.allNamespaces {
			fmt.Fprintln(l.ErrOut, "No request objects found.")
		} else {
			fmt.Fprintf(l.ErrOut, "No request objects found in namespace %s.\n", ns)
		}
		return nil
	}
	headers := []string{"NAME", "TYPE", "PRINCIPAL", "ACCESS", "GROUP", "UNTIL", "STATE", "AGE"}
	if l.allNamespaces {
		headers = append([]string{"NAMESPACE"}, headers...)
	}
	wide := l.output == "wide"
	if wide {
		headers = append(headers, "GRAPH STATUS", "TICKET", "JUSTIFICATION")
	}
	t := newTable(l.Out, headers...)
	now := l.now()
	for _, r := range rows {
		cells := []string{r.obj.GetName(), typeWord(r.kind), principal(r.obj), access(r.obj), group(r.obj),
			until(r.obj, now), state(r.kind, r.obj), age(r.obj.GetCreationTimestamp().Time, now)}
		if l.allNamespaces {
			cells = append([]string{r.obj.GetNamespace()}, cells...)
		}
		if wide {
			spec := r.obj.GetRequestSpec()
			ticket := ""
			if spec.Ticket != nil {
				ticket = spec.Ticket.System + ":" + spec.Ticket.Number
			}
			cells = append(cells, r.obj.GetRequestStatus().GraphStatus, ticket, truncate(oneLine(spec.Justification), 60))
		}
		t.row(cells...)
	}
	return t.flush()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
