// Command manager runs the pim-operator: the PIMAssignmentRequest controller, talking to
// Microsoft Graph. Every flag is part of the contract (DESIGN §5a); Graph credentials come only
// from the standard AZURE_* environment variables, never from flags.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graph"
)

var setupLog = ctrl.Log.WithName("setup")

type flags struct {
	graphBaseURL, graphAuth, graphCloud string
	graphWriteQPS                       float64
	graphWriteBurst                     int
	maxConcurrentReconciles             int
	pollInterval, resyncPeriod          time.Duration
	createSettlePeriod, minActiveAge    time.Duration
	watchNamespaces, policyMode         string
	metricsAddr, probeAddr              string
	secureMetrics, enableLeaderElection bool
	leaderElectionNamespace             string
	enableHTTP2                         bool
	zap                                 zap.Options
	graphBaseURLSet                     bool
	mode                                controllers.PolicyMode
}

func parseFlags(fs *flag.FlagSet, args []string) (*flags, error) {
	f := &flags{}
	fs.StringVar(&f.graphBaseURL, "graph-base-url", graph.DefaultBaseURL,
		"Graph's root including the API version; defaults to the --graph-cloud's endpoint.")
	fs.StringVar(&f.graphAuth, "graph-auth", string(graph.AuthWorkloadIdentity),
		"How to obtain the Graph token, from the AZURE_* environment: "+strings.Join(graph.AuthModes(), " | ")+
			" (none only for a loopback --graph-base-url).")
	fs.StringVar(&f.graphCloud, "graph-cloud", string(graph.CloudPublic), "Azure cloud: "+strings.Join(graph.Clouds(), " | ")+".")
	fs.Float64Var(&f.graphWriteQPS, "graph-write-qps", controllers.DefaultGraphWriteQPS,
		"Graph writes per second for the whole process (Graph allows about 20/s per app and tenant).")
	fs.IntVar(&f.graphWriteBurst, "graph-write-burst", controllers.DefaultGraphWriteBurst, "Burst of the Graph write limit.")
	fs.IntVar(&f.maxConcurrentReconciles, "max-concurrent-reconciles", controllers.DefaultMaxConcurrentReconciles,
		"Reconcile workers of each kind's controller.")
	fs.DurationVar(&f.pollInterval, "poll-interval", controllers.DefaultPollInterval,
		"First wait when following a pending request; it grows with the wait, capped.")
	fs.DurationVar(&f.resyncPeriod, "resync-period", controllers.DefaultResyncPeriod,
		"How often a settled, live assignment is read again from Graph.")
	fs.DurationVar(&f.createSettlePeriod, "create-settle-period", controllers.DefaultCreateSettlePeriod,
		"How long an unanswered create must age, with no matching request in Graph's eventually consistent list, before another POST.")
	fs.DurationVar(&f.minActiveAge, "min-active-age", controllers.DefaultMinActiveAge,
		"Graph's minimum age of an active assignment before adminRemove (ActiveDurationTooShort).")
	fs.StringVar(&f.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty means all.")
	fs.StringVar(&f.policyMode, "policy-mode", string(controllers.PolicyModeEnforce),
		"Guard rails: enforce (a PIMAccessPolicy must permit every request; denied by default) | "+
			"disabled (no policy is read: Kubernetes RBAC alone decides, for single-team clusters).")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", "0",
		"Metrics address: :8443 for HTTPS, :8080 for HTTP, 0 to disable.")
	fs.BoolVar(&f.secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS with authentication and authorization (controller-runtime's filter).")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes.")
	fs.BoolVar(&f.enableLeaderElection, "leader-elect", false, "Elect a leader, for more than one replica.")
	fs.StringVar(&f.leaderElectionNamespace, "leader-election-namespace", "",
		"Namespace of the leader election Lease; empty means the pod's own (required outside a cluster).")
	fs.BoolVar(&f.enableHTTP2, "enable-http2", false,
		"Serve metrics over HTTP/2 (off by default: HTTP/2 Stream Cancellation and Rapid Reset CVEs).")
	f.zap = zap.Options{Development: false}
	f.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "graph-base-url" {
			f.graphBaseURLSet = true
		}
	})
	mode, err := controllers.ParsePolicyMode(f.policyMode)
	if err != nil {
		return nil, err
	}
	f.mode = mode
	if f.graphWriteQPS <= 0 || f.graphWriteBurst < 1 {
		return nil, fmt.Errorf("--graph-write-qps must be > 0 and --graph-write-burst ≥ 1")
	}
	if f.maxConcurrentReconciles < 1 {
		return nil, fmt.Errorf("--max-concurrent-reconciles must be ≥ 1")
	}
	for name, d := range map[string]time.Duration{"poll-interval": f.pollInterval, "resync-period": f.resyncPeriod,
		"create-settle-period": f.createSettlePeriod, "min-active-age": f.minActiveAge} {
		if d <= 0 {
			return nil, fmt.Errorf("--%s must be positive, got %s", name, d)
		}
	}
	return f, nil
}

// graphConfig is the Graph client's configuration from the flags. An unset --graph-base-url
// follows --graph-cloud.
func (f *flags) graphConfig() graph.Config {
	cfg := graph.Config{Auth: graph.AuthMode(f.graphAuth), Cloud: graph.Cloud(f.graphCloud)}
	if f.graphBaseURLSet {
		cfg.BaseURL = f.graphBaseURL
	}
	return cfg
}

func (f *flags) namespaces() []string {
	var out []string
	for _, ns := range strings.Split(f.watchNamespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			out = append(out, ns)
		}
	}
	return out
}

func main() {
	f, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&f.zap)))
	if err := run(ctrl.SetupSignalHandler(), f); err != nil {
		setupLog.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, f *flags) error {
	gcfg := f.graphConfig()
	if err := gcfg.Validate(); err != nil {
		return err
	}
	gc, err := graph.New(ctx, gcfg)
	if err != nil {
		return fmt.Errorf("building the Graph client: %w", err)
	}
	setupLog.Info("graph client", "baseURL", gc.BaseURL(), "auth", f.graphAuth, "cloud", f.graphCloud,
		"writeQPS", f.graphWriteQPS, "writeBurst", f.graphWriteBurst)
	controllers.LogPolicyMode(setupLog, f.mode)

	var tlsOpts []func(*tls.Config)
	if !f.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: f.metricsAddr, SecureServing: f.secureMetrics, TLSOpts: tlsOpts}
	if f.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	restCfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	mgr, err := controllers.NewManager(restCfg, controllers.Config{
		Graph:           gc,
		GraphWriteQPS:   f.graphWriteQPS,
		GraphWriteBurst: f.graphWriteBurst,
		Options: controllers.Options{
			PollInterval:       f.pollInterval,
			ResyncPeriod:       f.resyncPeriod,
			CreateSettlePeriod: f.createSettlePeriod,
			MinActiveAge:       f.minActiveAge,
		},
		PolicyMode:              f.mode,
		MaxConcurrentReconciles: f.maxConcurrentReconciles,
		WatchNamespaces:         f.namespaces(),
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  f.probeAddr,
		LeaderElection:          f.enableLeaderElection,
		LeaderElectionNamespace: f.leaderElectionNamespace,
	})
	if err != nil {
		return err
	}
	setupLog.Info("starting manager", "watchNamespaces", f.watchNamespaces, "maxConcurrentReconciles", f.maxConcurrentReconciles)
	return mgr.Start(ctx)
}
