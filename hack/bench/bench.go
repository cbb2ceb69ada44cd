package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graph"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// config is what one benchmark run does.
type config struct {
	// N objects go through the throughput phases, half starting now and half in the future.
	N int
	// Idle is how long all N objects rest between "Ready" and "cancel".
	Idle time.Duration
	// Workers is the manager's --max-concurrent-reconciles; Clients is how many writers the
	// driver (the "user") runs. The baseline uses the same two numbers.
	Workers, Clients int
	// ThroughputQPS and ThroughputBurst are the Graph write limit for the throughput phases.
	ThroughputQPS   float64
	ThroughputBurst int
	// LimiterQPS and LimiterBurst are the limit of the limiter phase (main.go's defaults);
	// LimiterObjects objects are created in each of its two parts; the 429 storm lasts Storm,
	// each 429 carrying StormRetryAfter.
	LimiterQPS      float64
	LimiterBurst    int
	LimiterObjects  int
	Storm           time.Duration
	StormRetryAfter time.Duration
	// PhaseTimeout bounds the wait for one phase's end state.
	PhaseTimeout time.Duration
	// SkipBaseline and SkipLimiter leave those parts out.
	SkipBaseline, SkipLimiter bool
	// HeapProfile, when set, is where a heap profile is written at the end of the idle window
	// (all N objects at rest), to tell the manager's share of the heap from the emulator's.
	HeapProfile string
	// ManagerProcess runs the operator's phases with bin/manager as its own process (ManagerBin,
	// or built from the checkout) instead of in-process, to measure the manager's own memory;
	// ManagerEnv is added to its environment (GOMEMLIMIT=…), LogFile receives its log.
	ManagerProcess bool
	ManagerBin     string
	ManagerEnv     []string
	LogFile        string
	// GraphRateObjects creates at Graph's real write limit (GraphRateQPS, GraphRateBurst)
	// against an emulator that enforces Graph's write budget; SkipGraphRate leaves it out.
	GraphRateObjects int
	GraphRateQPS     float64
	GraphRateBurst   int
	SkipGraphRate    bool
}

func defaultConfig() config {
	return config{
		N:               1000,
		Idle:            60 * time.Second,
		Workers:         controllers.DefaultMaxConcurrentReconciles,
		Clients:         controllers.DefaultMaxConcurrentReconciles,
		ThroughputQPS:   10000,
		ThroughputBurst: 1000,
		LimiterQPS:      controllers.DefaultGraphWriteQPS,
		LimiterBurst:    controllers.DefaultGraphWriteBurst,
		LimiterObjects:  100,
		Storm:           5 * time.Second,
		StormRetryAfter: 2 * time.Second,
		PhaseTimeout:    15 * time.Minute,
		// More creates than Graph's budget window holds at 20/s (3,000 per 150 s), so that the
		// budget would bind if the operator wrote faster than Graph allows.
		GraphRateObjects: 3200,
		GraphRateQPS:     20,
		GraphRateBurst:   controllers.DefaultGraphWriteBurst,
	}
}

func (c config) validate() error {
	switch {
	case c.N < 2:
		return errors.New("-n must be at least 2 (half now, half in the future)")
	case c.Workers < 1 || c.Clients < 1:
		return errors.New("-workers and -clients must be at least 1")
	case c.ThroughputQPS <= 0 || c.ThroughputBurst < 1 || c.LimiterQPS <= 0 || c.LimiterBurst < 1:
		return errors.New("the Graph write limits must be positive")
	case c.Idle < 0 || c.Storm < 0 || c.PhaseTimeout <= 0:
		return errors.New("durations must not be negative")
	case !c.SkipGraphRate && (c.GraphRateObjects < 2 || c.GraphRateQPS <= 0 || c.GraphRateBurst < 1):
		return errors.New("-graph-rate-objects must be at least 2, and the Graph rate phase's limit positive")
	}
	return nil
}

// Phase names.
const (
	phaseCreate = "create → Ready"
	phaseIdle   = "idle"
	phaseCancel = "cancel → Cancelled"
	phaseDelete = "delete → gone"
)

// phaseResult is one phase of the operator run or of the baseline.
type phaseResult struct {
	Name             string
	Objects, Reached int
	Wall             time.Duration
	// UserWrites are the driver's API writes; OperatorWrites the manager's (or, in the
	// baseline, the plain client's that stands in for it). Keys are "verb resource".
	UserWrites, OperatorWrites map[string]int
	// OperatorFailed are the manager's writes answered with an error, by "verb resource → status".
	OperatorFailed map[string]int
	OperatorReads  int64
	Graph          graphStats
	// Floor is the fewest Graph calls per object by operation the phase can take.
	Floor map[string]float64
	// Memory of the whole bench process during the phase.
	PeakHeap, LiveHeap, PeakRSS, RSS uint64
	PeakRSSReset                     bool
	// CPU is the CPU time used during the phase by the bench process and the control plane;
	// Load the machine's 1-minute load average at its end (others share the machine).
	CPU  cpuTimes
	Load float64
	Err  string
}

func (p phaseResult) writes() int { return sum(p.UserWrites) + sum(p.OperatorWrites) }

// objectWrites leaves out the events the manager records.
func (p phaseResult) objectWrites() int {
	n := p.writes()
	for k, v := range p.OperatorWrites {
		if strings.HasSuffix(k, " events") {
			n -= v
		}
	}
	return n
}

// limiterPart is one part of the limiter phase.
type limiterPart struct {
	Name             string
	Objects, Reached int
	Wall             time.Duration
	Rate             rateStats
	// StormPosts are the POSTs that arrived while the 429 fault was active (StormLength).
	StormPosts  int
	StormLength time.Duration
	Err         string
}

type results struct {
	Config         config
	Machine        string
	Throughput     []phaseResult
	Baseline       []phaseResult
	Limiter        []limiterPart
	Total          time.Duration
	FutureObjects  int
	CurrentObjects int
	// EmptyRSS and EmptyHeap are the process's RSS and heap after GC once the manager has
	// started, before the first object.
	EmptyRSS, EmptyHeap uint64
	// Memory is the manager process's part (config.ManagerProcess); GraphRate the phase at
	// Graph's write rate.
	Memory    *memoryResult
	GraphRate *graphRatePart
}

// Namespaces of the three parts.
const (
	nsOperator = "bench"
	nsBaseline = "bench-baseline"
	nsLimiter  = "bench-limiter"
	nsRate     = "bench-rate"
	nsWarmUp   = "bench-warmup"
	// operatorNamespace holds the manager's seal key, as in a cluster.
	operatorNamespace = "pim-operator-system"
)

// bench holds what the parts share.
type bench struct {
	cfg       config
	log       io.Writer
	env       *testenv.Env
	scheme    *k8sruntime.Scheme
	emu       *graphemu.Emulator
	graph     *graphtest.Env
	userCount *writeCounter
	user      client.WithWatch
	userCfg   *rest.Config
	mem       *memSampler
}

// run runs the benchmark and returns what it measured; progress goes to log.
func run(ctx context.Context, cfg config, log io.Writer) (*results, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	res := &results{Config: cfg, Machine: machine()}
	b := &bench{cfg: cfg, log: log, mem: startMemSampler(100 * time.Millisecond)}
	defer b.mem.close()

	b.logf("starting envtest (kube-apiserver + etcd)")
	env, err := testenv.Start()
	if err != nil {
		return nil, err
	}
	defer func() { _ = env.Stop() }()
	b.env, b.scheme = env, env.Scheme

	// The driver: a plain client, counted separately from the manager, no client-side limit.
	b.userCount = newWriteCounter()
	b.userCfg = b.userCount.wrap(env.Config)
	b.userCfg.QPS, b.userCfg.Burst = -1, 0
	if b.user, err = client.NewWithWatch(b.userCfg, client.Options{Scheme: b.scheme}); err != nil {
		return nil, err
	}
	for _, ns := range []string{nsOperator, nsBaseline, nsLimiter, nsRate, nsWarmUp, operatorNamespace} {
		if err := b.user.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return nil, err
		}
	}

	// Access is denied by default (--policy-mode=enforce, main.go's default): one policy, as a
	// cluster administrator would write it, lets the bench namespaces ask for membership of the
	// ten bench groups for up to eight hours, with a justification.
	if err := b.user.Create(ctx, benchPolicy()); err != nil {
		return nil, err
	}

	// The Graph emulator over real HTTP; Graph's 5-minute minimum active age off so that the
	// cancel phase may remove what the create phase assigned.
	graphEnv, stopGraph, err := graphtest.Start(graphemu.Options{MinActiveAge: -1})
	if err != nil {
		return nil, err
	}
	defer stopGraph()
	b.emu, b.graph = graphEnv.Emulator, graphEnv

	res.FutureObjects, res.CurrentObjects = cfg.N/2, cfg.N-cfg.N/2
	if err := b.warmUp(ctx); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if !cfg.SkipBaseline {
		if res.Baseline, err = b.runBaseline(ctx); err != nil {
			return res, fmt.Errorf("baseline: %w", err)
		}
	}
	if cfg.ManagerProcess {
		if res.Memory, err = b.runManagerProcess(ctx); err != nil {
			return res, fmt.Errorf("manager process: %w", err)
		}
	} else if res.Throughput, err = b.runThroughput(ctx, res); err != nil {
		return res, err
	}
	if !cfg.SkipLimiter {
		if res.Limiter, err = b.runLimiter(ctx); err != nil {
			return res, fmt.Errorf("limiter: %w", err)
		}
	}
	if !cfg.SkipGraphRate {
		if res.GraphRate, err = b.runGraphRate(ctx); err != nil {
			return res, fmt.Errorf("graph rate: %w", err)
		}
	}
	res.Total = time.Since(start)
	return res, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs (GOMAXPROCS %d), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		runtime.GOMAXPROCS(0), runtime.Version())
}

func benchPolicy() *v1.PIMAccessPolicy {
	p := &v1.PIMAccessPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "bench"},
		Spec: v1.PIMAccessPolicySpec{
			Namespaces:           []string{nsOperator, nsLimiter, nsRate},
			MaxDuration:          *v1.DurationOf(8 * time.Hour),
			RequireJustification: true,
		},
	}
	for g := range 10 {
		p.Spec.Groups = append(p.Spec.Groups, v1.AllowedGroup{GroupID: guid(0x6b0c0000, g), AccessIDs: []v1.AccessID{v1.AccessMember}})
	}
	return p
}

// warmUp takes a few objects through every kind of write first, so that neither measured
// part pays for the API server's first use of the CRD (its storage, its OpenAPI and CEL
// compilation, its watch cache).
func (b *bench) warmUp(ctx context.Context) error {
	b.logf("warming the API server up")
	c, err := client.New(b.env.Config, client.Options{Scheme: b.scheme})
	if err != nil {
		return err
	}
	now := time.Now()
	return parallel(ctx, 8*b.cfg.Clients, b.cfg.Clients, func(ctx context.Context, i int) error {
		o := newObject(nsWarmUp, 3, i, i%2 == 0, now)
		if err := c.Create(ctx, o); err != nil {
			return err
		}
		o.Finalizers = []string{v1.Finalizer}
		if err := c.Update(ctx, o); err != nil {
			return err
		}
		base := o.DeepCopy()
		o.Status = settledStatus(o, i, i%2 == 0)
		if err := c.Status().Patch(ctx, o, client.MergeFrom(base)); err != nil {
			return err
		}
		if err := c.Patch(ctx, o, cancelPatch); err != nil {
			return err
		}
		if err := c.Delete(ctx, o); err != nil {
			return err
		}
		return c.Patch(ctx, ref(nsWarmUp, i), client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`)))
	})
}

// newGraphClient is the real internal/graph client pointed at the emulator, counted in
// controller-runtime's registry as the manager's is.
func (b *bench) newGraphClient() (*graph.Client, error) {
	return b.graph.NewClient(func(c *graph.Config) { c.Registerer = nil })
}

// guid is a valid GUID made of a prefix and a number.
func guid(prefix uint32, n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", prefix, n)
}

func objName(i int) string { return fmt.Sprintf("bench-%05d", i) }

// newObject is object i of a namespace: eight hours of membership, starting now, or in 24 h
// when future (Graph answers Granted; far enough that nothing is due during the run). Each
// object has its own principal (set separates the parts), in one of ten groups.
func newObject(ns string, set uint32, i int, future bool, now time.Time) *v1.PIMAssignmentRequest {
	o := &v1.PIMAssignmentRequest{
		ObjectMeta: metav1.ObjectMeta{Name: objName(i), Namespace: ns},
		Spec: v1.RequestSpec{
			GroupID:       guid(0x6b0c0000, i%10),
			PrincipalID:   guid(0x0a000000+set, i),
			AccessID:      v1.AccessMember,
			Justification: "pim-operator benchmark",
			Schedule: &v1.Schedule{Expiration: v1.Expiration{
				Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(8 * time.Hour),
			}},
		},
	}
	if future {
		o.Spec.Schedule.StartDateTime = v1.TimeOf(now.Add(24 * time.Hour).Truncate(time.Second))
	}
	return o
}

// isFuture: the first half of the objects start now, the second half in the future.
func isFuture(i, n int) bool { return i >= n-n/2 }

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = objName(i)
	}
	return out
}

// parallel runs fn for 0..n-1 on the given number of goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// cancelPatch flips spec.cancelled the way `kubectl patch --type merge` does.
var cancelPatch = client.RawPatch(types.MergePatchType, []byte(`{"spec":{"cancelled":true}}`))

func ref(ns string, i int) *v1.PIMAssignmentRequest {
	return &v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Name: objName(i), Namespace: ns}}
}

// phaseMarks are the counters at a phase's start.
type phaseMarks struct {
	start         time.Time
	user, op      map[string]int
	opFailed      map[string]int
	opReads       int64
	cpu           cpuTimes
	calls         int
	peakRSSCanRst bool
}

func (b *bench) mark(op *writeCounter) phaseMarks {
	// Give freed memory back to the OS first, so that the phase's RSS is not what an earlier
	// part of the run left behind.
	debug.FreeOSMemory()
	return phaseMarks{
		start: time.Now(), user: b.userCount.snapshot(), op: op.snapshot(), opFailed: op.failedSnapshot(), opReads: op.reads.Load(),
		calls: len(b.emu.Calls()), peakRSSCanRst: b.mem.reset(), cpu: sampleCPU(),
	}
}

// finish fills in what the counters say since m.
func (b *bench) finish(p *phaseResult, m phaseMarks, op *writeCounter, end time.Time) {
	if end.IsZero() {
		end = time.Now()
	}
	p.Wall = end.Sub(m.start)
	p.CPU, p.Load = sampleCPU().since(m.cpu), loadAvg()
	p.UserWrites = diff(b.userCount.snapshot(), m.user)
	p.OperatorWrites = diff(op.snapshot(), m.op)
	p.OperatorFailed = diff(op.failedSnapshot(), m.opFailed)
	p.OperatorReads = op.reads.Load() - m.opReads
	p.Graph = analyzeCalls(b.emu.Calls()[m.calls:])
	p.PeakHeap = b.mem.peak()
	p.PeakRSS, _ = procStatus()
	p.PeakRSSReset = m.peakRSSCanRst
	p.LiveHeap = liveHeap()
	_, p.RSS = procStatus()
}

// runThroughput is the operator's part: create → Ready, idle, cancel → Cancelled,
// delete → gone, with the Graph write limit raised.
func (b *bench) runThroughput(ctx context.Context, res *results) ([]phaseResult, error) {
	cfg := b.cfg
	gc, err := b.newGraphClient()
	if err != nil {
		return nil, err
	}
	opCount := newWriteCounter()
	b.logf("starting the manager: %d workers, Graph write limit raised to %g/s burst %d", cfg.Workers, cfg.ThroughputQPS, cfg.ThroughputBurst)
	mgr, err := startManager(ctx, opCount.wrap(b.env.Config), gc, managerSettings{
		writeQPS: cfg.ThroughputQPS, writeBurst: cfg.ThroughputBurst, workers: cfg.Workers, minActiveAge: time.Second,
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.stop() }()
	tr, err := startTracker(ctx, b.userCfg, b.scheme, nsOperator)
	if err != nil {
		return nil, err
	}
	defer tr.stop()
	debug.FreeOSMemory()
	res.EmptyHeap = liveHeap()
	_, res.EmptyRSS = procStatus()

	var out []phaseResult
	all := names(cfg.N)
	runPhase := func(name string, pred func(*v1.PIMAssignmentRequest) bool, write func(ctx context.Context, i int) error) error {
		b.logf("operator: %s (%d objects)", name, cfg.N)
		p := phaseResult{Name: name, Objects: cfg.N}
		tr.expect(all, pred)
		m := b.mark(opCount)
		err := parallel(ctx, cfg.N, cfg.Clients, write)
		tr.check()
		var end time.Time
		if err == nil {
			end, p.Reached, err = tr.wait(ctx, cfg.PhaseTimeout)
		}
		b.finish(&p, m, opCount, end)
		if err != nil {
			p.Err = err.Error()
		}
		p.Floor = floor(name, cfg.N)
		out = append(out, p)
		b.logf("operator: %s took %s", name, p.Wall.Round(time.Millisecond))
		return err
	}

	now := time.Now()
	if err := runPhase(phaseCreate, isReady, func(ctx context.Context, i int) error {
		return b.user.Create(ctx, newObject(nsOperator, 0, i, isFuture(i, cfg.N), now))
	}); err != nil {
		return out, err
	}

	b.logf("operator: idle for %s with all %d objects at rest", cfg.Idle, cfg.N)
	idle := phaseResult{Name: phaseIdle, Objects: cfg.N, Reached: cfg.N}
	m := b.mark(opCount)
	select {
	case <-time.After(cfg.Idle):
	case <-ctx.Done():
		return out, ctx.Err()
	}
	b.finish(&idle, m, opCount, time.Now())
	out = append(out, idle)
	if cfg.HeapProfile != "" {
		if err := writeHeapProfile(cfg.HeapProfile); err != nil {
			return out, err
		}
	}

	if err := runPhase(phaseCancel, isCancelled, func(ctx context.Context, i int) error {
		return b.user.Patch(ctx, ref(nsOperator, i), cancelPatch)
	}); err != nil {
		return out, err
	}
	if err := runPhase(phaseDelete, isGone, func(ctx context.Context, i int) error {
		return b.user.Delete(ctx, ref(nsOperator, i))
	}); err != nil {
		return out, err
	}
	return out, mgr.stop()
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// floor is the fewest Graph calls per object each phase can take: one create; to end it, one
// read of the request (the guard), then a cancel for a future start, or — for live access — a
// read of the triple's live schedule (the ownership guard) and one adminRemove.
func floor(phase string, n int) map[string]float64 {
	future := float64(n/2) / float64(n)
	current := 1 - future
	switch phase {
	case phaseCreate:
		return map[string]float64{"createRequest/adminAssign": 1}
	case phaseCancel:
		return map[string]float64{
			graphemu.OpGetRequest: 1, graphemu.OpCancelRequest: future,
			graphemu.OpListSchedules: current, "createRequest/adminRemove": current,
		}
	}
	return map[string]float64{}
}
