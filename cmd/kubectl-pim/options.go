package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	// Authentication plugins of kubeconfigs (OIDC); exec plugins such as kubelogin need none.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"github.com/pim-operator/pim-operator/controllers"
)

// options are the flags every command shares: kubectl's connection flags, and -o.
type options struct {
	streams
	loading   *clientcmd.ClientConfigLoadingRules
	overrides *clientcmd.ConfigOverrides
	output    string

	// now is the clock for ages and time left; tests fix it.
	now func() time.Time
	// tty says whether stderr is a terminal, for the spinner.
	tty bool
}

func newOptions(st streams) *options {
	o := &options{
		streams:   st,
		loading:   clientcmd.NewDefaultClientConfigLoadingRules(),
		overrides: &clientcmd.ConfigOverrides{},
		now:       time.Now,
	}
	if f, ok := st.ErrOut.(*os.File); ok && os.Getenv("TERM") != "dumb" {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			o.tty = true
		}
	}
	return o
}

func (o *options) bindFlags(cmd *cobra.Command) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&o.loading.ExplicitPath, "kubeconfig", "", "Path to the kubeconfig file to use for CLI requests.")
	// The same connection flags as kubectl, by the same names: --context, --namespace/-n,
	// --cluster, --user, --server, --token, --as, --request-timeout, …
	clientcmd.BindOverrideFlags(o.overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
	fs.StringVarP(&o.output, "output", "o", "", "Output format: yaml or json (ls and policies also: wide).")
}

// clientConfig is the kubeconfig after the flags.
func (o *options) clientConfig() clientcmd.ClientConfig {
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(o.loading, o.overrides)
}

// client is a client of the API server for the operator's kinds and Kubernetes' own.
func (o *options) client() (client.WithWatch, error) {
	cfg, err := o.clientConfig().ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "kubectl-pim"
	return client.NewWithWatch(cfg, client.Options{Scheme: controllers.NewScheme()})
}

// namespace is --namespace, else the kubeconfig context's, else default.
func (o *options) namespace() (string, error) {
	ns, _, err := o.clientConfig().Namespace()
	return ns, err
}

// connect is what every command that reads the API server starts with: -o checked against the
// formats it prints, a client, and the namespace.
func (o *options) connect(outputs ...string) (client.WithWatch, string, error) {
	if err := o.checkOutput(outputs...); err != nil {
		return nil, "", err
	}
	c, err := o.client()
	if err != nil {
		return nil, "", err
	}
	ns, err := o.namespace()
	return c, ns, err
}

// checkOutput fails unless -o is one of allowed (the empty default is always allowed).
func (o *options) checkOutput(allowed ...string) error {
	if o.output == "" {
		return nil
	}
	for _, a := range allowed {
		if o.output == a {
			return nil
		}
	}
	return fmt.Errorf("unsupported output format %q: this command prints %v", o.output, allowed)
}
