// Command manager runs the pim-operator: the PIMAssignmentRequest controller, talking to
// Microsoft Graph. Every flag is part of the contract (DESIGN §5a); Graph credentials come only
// from the standard AZURE_* environment variables, never from flags.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
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
	"github.com/pim-operator/pim-operator/internal/pim"
)

var setupLog = ctrl.Log.WithName("setup")

type flags struct {
	graphBaseURL, graphAuth, graphCloud string
	graphWriteQPS                       float64
	graphWriteBurst                     int
	maxConcurrentReconciles             int
	pollInterval, resyncPeriod          time.Duration
	createSettlePeriod, minActiveAge    time.Duration
	graphTimeout                        time.Duration
	watchNamespaces, policyMode         string
	groupPolicyCheck                    string
	metricsAddr, probeAddr              string
	pprofAddr                           string
	secureMetrics, enableLeaderElection bool
	leaderElectionNamespace             string
	leaseDuration, renewDeadline        time.Duration
	startupReadSpread                   time.Duration
	retryPeriod                         time.Duration
	operatorNamespace                   string
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
		"Graph writes per second for the whole process, and at most this × 150 s in any 150 s: the shape of Graph's quota "+
			"of 3,000 writes per 150 s per app and tenant, so 20 uses all of it without a 429 of the operator's making.")
	fs.IntVar(&f.graphWriteBurst, "graph-write-burst", controllers.DefaultGraphWriteBurst, "Burst of the Graph write limit.")
	fs.IntVar(&f.maxConcurrentReconciles, "max-concurrent-reconciles", controllers.DefaultMaxConcurrentReconciles,
		"Reconcile workers of each kind's controller.")
	fs.DurationVar(&f.pollInterval, "poll-interval", controllers.DefaultPollInterval,
		"First wait when following a pending request; it grows with the wait, capped.")
	fs.DurationVar(&f.resyncPeriod, "resync-period", controllers.DefaultResyncPeriod,
		"How often a settled, live assignment is read again from Graph.")
	fs.DurationVar(&f.createSettlePeriod, "create-settle-period", controllers.DefaultCreateSettlePeriod,
		"How long an unanswered create must age, with no matching request in Graph's eventually consistent list, before another POST.")
	fs.DurationVar(&f.startupReadSpread, "startup-read-spread", controllers.DefaultStartupReadSpread,
		"Spread the first Graph reads of settled objects over this long after the operator starts or a new leader "+
			"takes over, instead of reading every object at once; 0 reads them all at once. Changed, cancelled and "+
			"deleted objects are read at once whatever it says.")
	fs.DurationVar(&f.graphTimeout, "graph-timeout", controllers.DefaultGraphTimeout,
		"How long one Graph call may take, the write limiter's wait included; --create-settle-period must be longer.")
	fs.DurationVar(&f.minActiveAge, "min-active-age", controllers.DefaultMinActiveAge,
		"Graph's minimum age of an active assignment before adminRemove (ActiveDurationTooShort).")
	fs.StringVar(&f.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty means all.")
	fs.StringVar(&f.policyMode, "policy-mode", string(controllers.PolicyModeEnforce),
		"Guard rails: enforce (a PIMAccessPolicy must permit every request; denied by default) | "+
			"disabled (no policy is read: Kubernetes RBAC alone decides, for single-team clusters).")
	fs.StringVar(&f.groupPolicyCheck, "group-policy-check", "off",
		"Check each request against its group's own PIM policy before sending it: enforce | off. enforce needs the "+
			"Graph permission RoleManagementPolicy.Read.AzureADGroup; without it requests are sent unchecked.")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", "0",
		"Metrics address: :8443 for HTTPS, :8080 for HTTP, 0 to disable.")
	fs.BoolVar(&f.secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS with authentication and authorization (controller-runtime's filter).")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes.")
	fs.StringVar(&f.pprofAddr, "pprof-bind-address", "0",
		"Serve Go's profiles (/debug/pprof/: heap, CPU, goroutines) on this address, for investigations; 0 disables. "+
			"Unauthenticated: bind it to loopback (127.0.0.1:6060) and reach it with kubectl port-forward.")
	fs.BoolVar(&f.enableLeaderElection, "leader-elect", false, "Elect a leader, for more than one replica.")
	fs.StringVar(&f.leaderElectionNamespace, "leader-election-namespace", "",
		"Namespace of the leader election Lease; empty means the pod's own (required outside a cluster).")
	fs.DurationVar(&f.leaseDuration, "leader-elect-lease-duration", 15*time.Second,
		"How long a leader's Lease holds without renewal: a replica that was killed is replaced after this.")
	fs.DurationVar(&f.renewDeadline, "leader-elect-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew before it gives up and exits; an API server outage longer "+
			"than this restarts the leader.")
	fs.DurationVar(&f.retryPeriod, "leader-elect-retry-period", 2*time.Second, "How often replicas try to acquire or renew the Lease.")
	fs.StringVar(&f.operatorNamespace, "operator-namespace", defaultOperatorNamespace(),
		"The operator's own namespace, where it keeps the Secret "+controllers.SealSecretName+
			" (the key it signs what it has proven with); defaults to the pod's namespace.")
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
	if f.groupPolicyCheck != "enforce" && f.groupPolicyCheck != "off" {
		return nil, fmt.Errorf("invalid --group-policy-check %q: must be enforce or off", f.groupPolicyCheck)
	}
	if f.graphWriteQPS <= 0 || f.graphWriteBurst < 1 {
		return nil, fmt.Errorf("--graph-write-qps must be > 0 and --graph-write-burst ≥ 1")
	}
	if f.maxConcurrentReconciles < 1 {
		return nil, fmt.Errorf("--max-concurrent-reconciles must be ≥ 1")
	}
	for name, d := range map[string]time.Duration{"poll-interval": f.pollInterval, "resync-period": f.resyncPeriod,
		"create-settle-period": f.createSettlePeriod, "min-active-age": f.minActiveAge, "graph-timeout": f.graphTimeout,
		"leader-elect-retry-period": f.retryPeriod} {
		if d <= 0 {
			return nil, fmt.Errorf("--%s must be positive, got %s", name, d)
		}
	}
	if f.startupReadSpread < 0 {
		return nil, fmt.Errorf("--startup-read-spread must be 0 or positive, got %s", f.startupReadSpread)
	}
	// client-go's leader election refuses anything else, and only once the manager starts.
	if f.leaseDuration <= f.renewDeadline || f.renewDeadline <= f.retryPeriod*6/5 {
		return nil, fmt.Errorf("--leader-elect-lease-duration (%s) must be longer than --leader-elect-renew-deadline (%s), "+
			"and that longer than 1.2 × --leader-elect-retry-period (%s)", f.leaseDuration, f.renewDeadline, f.retryPeriod)
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

// defaultOperatorNamespace is the pod's namespace: $POD_NAMESPACE (the Deployment sets it from
// the downward API), else the service account's, else the one config/default installs into.
func defaultOperatorNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil && len(b) > 0 {
		return strings.TrimSpace(string(b))
	}
	return "pim-operator-system"
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
	var groupPolicies pim.PolicyReader
	if f.groupPolicyCheck == "enforce" {
		groupPolicies = gc
	}
	setupLog.Info("group policy check", "groupPolicyCheck", f.groupPolicyCheck)
	mgr, err := controllers.NewManager(restCfg, controllers.Config{
		Graph:           gc,
		GroupPolicies:   groupPolicies,
		GraphWriteQPS:   f.graphWriteQPS,
		GraphWriteBurst: f.graphWriteBurst,
		Options: controllers.Options{
			PollInterval:       f.pollInterval,
			ResyncPeriod:       f.resyncPeriod,
			CreateSettlePeriod: f.createSettlePeriod,
			MinActiveAge:       f.minActiveAge,
			GraphTimeout:       f.graphTimeout,
			StartupReadSpread:  f.startupReadSpread,
		},
		PolicyMode:              f.mode,
		MaxConcurrentReconciles: f.maxConcurrentReconciles,
		WatchNamespaces:         f.namespaces(),
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  f.probeAddr,
		LeaderElection:          f.enableLeaderElection,
		LeaderElectionNamespace: f.leaderElectionNamespace,
		LeaseDuration:           f.leaseDuration,
		RenewDeadline:           f.renewDeadline,
		LeaderElectionRetry:     f.retryPeriod,
		OperatorNamespace:       f.operatorNamespace,
	})
	if err != nil {
		return err
	}
	if f.pprofAddr != "" && f.pprofAddr != "0" {
		if err := mgr.Add(pprofServer{addr: f.pprofAddr}); err != nil {
			return err
		}
	}
	setupLog.Info("starting manager", "watchNamespaces", f.watchNamespaces, "maxConcurrentReconciles", f.maxConcurrentReconciles)
	return mgr.Start(ctx)
}

// pprofServer serves net/http/pprof's handlers (--pprof-bind-address) on every replica, leader
// or not, until the manager stops.
type pprofServer struct{ addr string }

func (pprofServer) NeedLeaderElection() bool { return false }

func (p pprofServer) Start(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("--pprof-bind-address: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	setupLog.Info("serving pprof", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
