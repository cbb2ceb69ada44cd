// Command kubectl-pim is a kubectl plugin for the pim-operator: it asks for Microsoft Entra PIM
// for Groups access by creating PIMAssignmentRequests and PIMEligibilityRequests, and says who
// has what, until when, and why a request is stuck. kubectl runs it as `kubectl pim` when it
// is on PATH.
//
//	kubectl pim request GROUP --for 8h --justification "…" [--ticket SYSTEM:NUMBER] [--owner] [--eligible]
//	kubectl pim ls [-A]
//	kubectl pim cancel NAME
//	kubectl pim why NAME
//	kubectl pim policies
//
// It follows kubectl's conventions: --kubeconfig, --context, --namespace/-n and the other
// connection flags, -o yaml|json, and exit status 0 only when the command did what it says.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCommand(streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}).Execute(); err != nil {
		var q quiet
		if !errors.As(err, &q) {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(1)
	}
}

// quiet is an error whose words the command has already printed (a Stalled outcome): the exit
// status says it, and repeating it as "error: …" would only add noise.
type quiet struct{ error }

func newRootCommand(st streams) *cobra.Command {
	o := newOptions(st)
	root := &cobra.Command{
		Use: "kubectl-pim",
		// kubectl runs the plugin as `kubectl pim`: help and usage say it that way.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl pim"},
		Short:       "Ask for Microsoft Entra PIM for Groups access, and see who has what",
		Long: `kubectl pim works with the pim-operator's request objects: PIMAssignmentRequest (active
access) and PIMEligibilityRequest (eligibility), and the PIMAccessPolicies that say what a
namespace may ask for.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		CompletionOptions: cobra.CompletionOptions{
			DisableDefaultCmd: true,
		},
	}
	root.SetOut(st.Out)
	root.SetErr(st.ErrOut)
	o.bindFlags(root)
	root.AddCommand(newRequestCommand(o), newListCommand(o), newCancelCommand(o), newWhyCommand(o), newPoliciesCommand(o))
	return root
}

// streams are where a command reads and writes; tests give their own.
type streams struct {
	In          io.Reader
	Out, ErrOut io.Writer
}
