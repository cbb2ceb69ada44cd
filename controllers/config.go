package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/grouppolicy"
	"github.com/pim-operator/pim-operator/internal/pim"
)

// The defaults of the manager's flags (DESIGN §5a) that are not timings (see Options).
const (
	// DefaultGraphWriteQPS stays well under Graph's 20 identity writes per second per app and
	// tenant, leaving room for other clients of the same app.
	DefaultGraphWriteQPS           = 5.0
	DefaultGraphWriteBurst         = 10
	DefaultMaxConcurrentReconciles = 4
	// LeaderElectionID names the Lease the replicas elect a leader with.
	LeaderElectionID = "pim-operator.access.pim-operator.dev"
)

// Config is everything the manager is built from: main.go fills it from flags, the benchmark
// and the envtest suite from their settings. The zero value of a field means its default.
type Config struct {
	// Graph is the process's Graph client. Every kind's writes share one limit of
	// GraphWriteQPS per second with GraphWriteBurst (Graph's budget is per app and tenant).
	Graph           pim.Graph
	GraphWriteQPS   float64
	GraphWriteBurst int
	// GroupPolicies, when set, is where each group's own PIM policy is read (--group-policy-check
	// =enforce): a request that breaks it is not sent. nil sends every request unchecked
	// (Graph still enforces the policy, after the POST).
	GroupPolicies pim.PolicyReader
	// GroupPolicyTTL is how long a group's policy is trusted without a fresh read; 0 means
	// grouppolicy.DefaultTTL.
	GroupPolicyTTL time.Duration
	// Options are the reconciler's timings.
	Options Options
	// PolicyMode says whether the PIMAccessPolicies are enforced (the zero value) or not read.
	PolicyMode PolicyMode
	// MaxConcurrentReconciles is the number of workers of each kind's controller.
	MaxConcurrentReconciles int
	// WatchNamespaces limits the cache to these namespaces; empty means all.
	WatchNamespaces []string

	// Metrics configures controller-runtime's metrics server; BindAddress "0" turns it off.
	Metrics                 metricsserver.Options
	HealthProbeBindAddress  string
	LeaderElection          bool
	LeaderElectionNamespace string
	// LeaseDuration, RenewDeadline and LeaderElectionRetry time the election; zero means
	// controller-runtime's defaults (15 s, 10 s, 2 s).
	LeaseDuration, RenewDeadline, LeaderElectionRetry time.Duration

	// OperatorNamespace is the operator's own namespace, which holds the seal key's Secret.
	OperatorNamespace string
	// SealKey, when set, is the key the operator signs what it has proven with (tests); nil
	// means the key of the Secret SealSecretName in OperatorNamespace, created when absent.
	SealKey []byte

	// Now is the clock; nil means time.Now (tests use the Graph emulator's).
	Now func() time.Time
	// ObjectSelector, when set, limits the cache to request objects with these labels, so that
	// several managers can share one API server, each with objects of its own (tests).
	ObjectSelector labels.Selector
	// WrapClient, when set, wraps the client the reconcilers use (tests inject API faults).
	WrapClient func(client.Client) client.Client
	// SkipNameValidation allows several managers with these controllers in one process.
	SkipNameValidation bool
}

// withDefaults fills in every zero field and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Graph == nil {
		return c, errors.New("controllers.Config: Graph is required")
	}
	if c.GraphWriteQPS == 0 {
		c.GraphWriteQPS = DefaultGraphWriteQPS
	}
	if c.GraphWriteBurst == 0 {
		c.GraphWriteBurst = DefaultGraphWriteBurst
	}
	if c.MaxConcurrentReconciles == 0 {
		c.MaxConcurrentReconciles = DefaultMaxConcurrentReconciles
	}
	if c.GraphWriteQPS < 0 || c.GraphWriteBurst < 0 || c.MaxConcurrentReconciles < 0 {
		return c, fmt.Errorf("controllers.Config: negative write limit or workers (%v, %d, %d)",
			c.GraphWriteQPS, c.GraphWriteBurst, c.MaxConcurrentReconciles)
	}
	c.Options = c.Options.withDefaults()
	if c.Options.CreateSettlePeriod <= c.Options.GraphTimeout {
		// A create still in flight when the settle period ends could be posted a second time.
		return c, fmt.Errorf("--create-settle-period (%s) must be longer than a Graph call may take (%s)",
			c.Options.CreateSettlePeriod, c.Options.GraphTimeout)
	}
	if c.SealKey == nil && c.OperatorNamespace == "" {
		return c, errors.New("controllers.Config: OperatorNamespace is required to keep the seal key")
	}
	return c, nil
}

// NewScheme is the scheme of the manager: Kubernetes' kinds and the operator's API.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1.AddToScheme(s))
	return s
}

// NewManager builds the operator's manager — the cache, one controller per kind, the health
// checks — from the API server's rest config and cfg. It is the one place the manager is
// assembled: main.go, the benchmark and the envtest suite all call it.
func NewManager(restCfg *rest.Config, cfg Config) (ctrl.Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cacheOpts := cache.Options{
		DefaultNamespaces: namespaceConfigs(cfg.WatchNamespaces),
		// The cache holds every object; managed fields are most of an object's bytes and
		// nothing here reads them.
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject:         map[client.Object]cache.ByObject{},
	}
	// The request objects are nearly all of what the cache holds: trimRequestForCache takes
	// more off them. A nil ObjectSelector selects every object.
	for _, k := range Kinds {
		cacheOpts.ByObject[k.New()] = cache.ByObject{Label: cfg.ObjectSelector, Transform: trimRequestForCache}
	}
	if cfg.SealKey == nil {
		if cfg.SealKey, err = readSealKey(restCfg, cfg.OperatorNamespace); err != nil {
			return nil, err
		}
	}
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:                  NewScheme(),
		Metrics:                 cfg.Metrics,
		HealthProbeBindAddress:  cfg.HealthProbeBindAddress,
		LeaderElection:          cfg.LeaderElection,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: cfg.LeaderElectionNamespace,
		LeaseDuration:           optionalDuration(cfg.LeaseDuration),
		RenewDeadline:           optionalDuration(cfg.RenewDeadline),
		RetryPeriod:             optionalDuration(cfg.LeaderElectionRetry),
		// The process ends as soon as the manager stops, so releasing the Lease is safe and
		// lets a new replica take over at once instead of after the lease duration.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOpts,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	c := mgr.GetClient()
	if cfg.WrapClient != nil {
		c = cfg.WrapClient(c)
	}
	graph := pim.WithWriteLimit(cfg.Graph, cfg.GraphWriteQPS, cfg.GraphWriteBurst)
	recorder := mgr.GetEventRecorder("pim-operator")
	var groupPolicies *grouppolicy.Cache
	if cfg.GroupPolicies != nil {
		groupPolicies = grouppolicy.New(cfg.GroupPolicies, grouppolicy.Options{TTL: cfg.GroupPolicyTTL, Now: cfg.Now})
	}
	for i := range Kinds {
		k := &Kinds[i]
		r := &Reconciler{Client: c, kind: k, graph: graph.For(k.Graph), recorder: recorder, cfg: cfg,
			seals: sealer{key: cfg.SealKey}, groupPolicies: groupPolicies,
			startup: &startupSpread{spread: cfg.Options.StartupReadSpread}}
		if err := r.setup(mgr); err != nil {
			return nil, fmt.Errorf("setting up the %s controller: %w", k.Name, err)
		}
	}
	utilruntime.Must(mgr.Add(newObjectMetrics(mgr.GetCache(), cfg))) // pim_operator_objects; Add fails only on a stopped manager
	// Readiness does not depend on Graph: an unreachable Graph shows in the objects' conditions.
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

// readSealKey loads the seal key before the manager starts, with a client of its own: the
// manager's cache is not running yet.
func readSealKey(restCfg *rest.Config, namespace string) ([]byte, error) {
	c, err := client.New(restCfg, client.Options{Scheme: NewScheme()})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return loadSealKey(ctx, c, namespace)
}

// optionalDuration is nil for zero, so that controller-runtime applies its default.
func optionalDuration(d time.Duration) *time.Duration {
	if d == 0 {
		return nil
	}
	return &d
}

func namespaceConfigs(names []string) map[string]cache.Config {
	if len(names) == 0 {
		return nil
	}
	out := make(map[string]cache.Config, len(names))
	for _, n := range names {
		out[n] = cache.Config{}
	}
	return out
}
