package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The manager's own memory: the operator's phases (create → Ready, idle, cancel → Cancelled,
// delete → gone) with bin/manager as its own process, its RSS read from /proc/<pid>/status and
// its Go heap from its pprof endpoint (--pprof-bind-address). The bench process — driver,
// informer, the emulator with every request it holds — is not in the figures.

// memoryPhase is one phase as the manager process lived it.
type memoryPhase struct {
	Name             string
	Objects, Reached int
	Wall             time.Duration
	// End is the memory at the phase's end; PeakSampled and PeakAnon the highest VmRSS and
	// RssAnon sampled every 100 ms; End.HWM the kernel's high-water mark since the phase began
	// (HWMReset: clear_refs worked).
	End                   procMem
	PeakSampled, PeakAnon uint64
	HWMReset              bool
	// Heap is the manager's heap at the phase's end, after a collection.
	Heap  heapStats
	Graph graphStats
	Err   string
}

type memoryResult struct {
	Bin  string
	Args []string
	Env  []string
	// Empty is the manager's memory and heap once its caches synced, before the first object.
	Empty     procMem
	EmptyHeap heapStats
	Phases    []memoryPhase
	// IdleMinRSS is the lowest RSS sampled in the idle window; IdleByMinute its memory at each
	// whole minute of the window (the events broadcaster keeps what it recorded for 6 minutes).
	IdleMinRSS   uint64
	IdleByMinute []procMem
	HeapProfile  string
}

// runManagerProcess runs the operator's phases against bin/manager as a process.
func (b *bench) runManagerProcess(ctx context.Context) (*memoryResult, error) {
	cfg := b.cfg
	dir, err := os.MkdirTemp("", "pim-operator-bench-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bin := cfg.ManagerBin
	if bin == "" {
		b.logf("building bin/manager (as make build does)")
		if bin, err = buildManager(ctx, testenv.RepoRoot(), dir); err != nil {
			return nil, err
		}
	}
	u, err := b.env.ControlPlane.AddUser(envtest.User{Name: "bench-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(dir, "manager.kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return nil, err
	}
	res := &memoryResult{Bin: bin, Env: cfg.ManagerEnv}
	// main.go's flags: production defaults but the Graph write limit (raised, as for the
	// in-process throughput phases), the minimum active age (off in the emulator), and the
	// metrics server (off).
	res.Args = []string{
		"--kubeconfig", kubeconfig,
		"--graph-base-url", b.graph.BaseURL, "--graph-auth", "none",
		"--graph-write-qps", fmt.Sprint(cfg.ThroughputQPS), "--graph-write-burst", fmt.Sprint(cfg.ThroughputBurst),
		"--max-concurrent-reconciles", fmt.Sprint(cfg.Workers),
		"--min-active-age", "1s",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "127.0.0.1:0",
	}
	if managerHasFlag(bin, "operator-namespace") {
		res.Args = append(res.Args, "--operator-namespace", operatorNamespace)
	}
	// The in-process managers (limiter, Graph rate) log to LogFile; this one next to it.
	logPath := filepath.Join(dir, "manager.log")
	if cfg.LogFile != "" {
		logPath = cfg.LogFile + ".manager-process"
	}
	b.logf("starting %s as its own process", bin)
	mp, err := startManagerProcess(bin, logPath, cfg.ManagerEnv, res.Args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = mp.stop() }()
	if err := mp.waitReady(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	tr, err := startTracker(ctx, b.userCfg, b.scheme, nsOperator)
	if err != nil {
		return nil, err
	}
	defer tr.stop()
	// Let the manager sync its caches and settle.
	time.Sleep(5 * time.Second)
	res.Empty, _, _ = mp.sampler.now()
	if res.EmptyHeap, err = mp.heapStats(ctx); err != nil {
		return nil, err
	}

	all := names(cfg.N)
	runPhase := func(name string, pred func(*v1.PIMAssignmentRequest) bool, write func(ctx context.Context, i int) error, hold time.Duration) error {
		b.logf("manager process: %s (%d objects)", name, cfg.N)
		p := memoryPhase{Name: name, Objects: cfg.N}
		mark := len(b.emu.Calls())
		p.HWMReset = mp.sampler.reset()
		start := time.Now()
		var err error
		if write != nil {
			tr.expect(all, pred)
			err = parallel(ctx, cfg.N, cfg.Clients, write)
			tr.check()
			var end time.Time
			if err == nil {
				end, p.Reached, err = tr.wait(ctx, cfg.PhaseTimeout)
			}
			p.Wall = end.Sub(start)
		} else {
			p.Reached = cfg.N
			res.IdleMinRSS = ^uint64(0)
			nextMinute := start.Add(time.Minute)
			for deadline := start.Add(hold); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(time.Second) {
				m, _, _ := mp.sampler.now()
				res.IdleMinRSS = min(res.IdleMinRSS, m.RSS)
				if !time.Now().Before(nextMinute) {
					res.IdleByMinute = append(res.IdleByMinute, m)
					nextMinute = nextMinute.Add(time.Minute)
				}
			}
			p.Wall = time.Since(start)
			if cfg.HeapProfile != "" {
				if err := mp.writeHeapProfile(ctx, cfg.HeapProfile); err != nil {
					return err
				}
				res.HeapProfile = cfg.HeapProfile
			}
		}
		p.End, p.PeakSampled, p.PeakAnon = mp.sampler.now()
		var herr error
		if p.Heap, herr = mp.heapStats(ctx); herr != nil && err == nil {
			err = herr
		}
		p.Graph = analyzeCalls(b.emu.Calls()[mark:])
		if err != nil {
			p.Err = err.Error()
		}
		res.Phases = append(res.Phases, p)
		b.logf("manager process: %s took %s; RSS %s (anonymous %s), peak %s", name, p.Wall.Round(time.Millisecond),
			mib(p.End.RSS), mib(p.End.Anon), mib(max(p.PeakSampled, p.End.HWM)))
		return err
	}
	now := time.Now()
	if err := runPhase(phaseCreate, isReady, func(ctx context.Context, i int) error {
		return b.user.Create(ctx, newObject(nsOperator, 0, i, isFuture(i, cfg.N), now))
	}, 0); err != nil {
		return res, err
	}
	if err := runPhase(phaseIdle, nil, nil, cfg.Idle); err != nil {
		return res, err
	}
	if err := runPhase(phaseCancel, isCancelled, func(ctx context.Context, i int) error {
		return b.user.Patch(ctx, ref(nsOperator, i), cancelPatch)
	}, 0); err != nil {
		return res, err
	}
	if err := runPhase(phaseDelete, isGone, func(ctx context.Context, i int) error {
		return b.user.Delete(ctx, ref(nsOperator, i))
	}, 0); err != nil {
		return res, err
	}
	return res, mp.stop()
}

// memoryReport prints the manager process's memory.
func memoryReport(p func(string, ...any), r *results) {
	m := r.Memory
	p("## Memory of the manager process")
	p("")
	p("bin/manager (%s) as its own process, flags `%s`%s. RSS from /proc/<pid>/status (VmRSS sampled every 100 ms, "+
		"and VmHWM reset at each phase start); the heap from its --pprof-bind-address after a collection. "+
		"The bench process (driver, informer, Graph emulator) is not in these figures.",
		filepath.Base(m.Bin), strings.Join(redactPaths(m.Args), " "), envNote(m.Env))
	p("")
	p("- before the first object (caches synced): RSS %s (anonymous %s, file-backed %s), heap in use %s",
		mib(m.Empty.RSS), mib(m.Empty.Anon), mib(m.Empty.File), mib(m.EmptyHeap.HeapAlloc))
	p("- RSS = RssAnon (the process's own: Go heap, stacks, runtime) + RssFile (pages of the mapped binary — code, " +
		"read-only data, the function table — shared with the page cache)")
	p("")
	p("| phase | wall | RSS at the end (anonymous + file-backed) | peak RSS (sampled / VmHWM) | peak anonymous | heap in use at the end | heap held from the OS (HeapSys − released) | Go runtime total (Sys) | Graph calls/object |")
	p("|---|---|---|---|---|---|---|---|---|")
	for _, ph := range m.Phases {
		name := ph.Name
		if ph.Name == phaseIdle {
			name = fmt.Sprintf("idle, all %d at rest (%s; lowest RSS %s)", ph.Objects, dur(ph.Wall), mib(m.IdleMinRSS))
		}
		hwm := mib(ph.End.HWM)
		if !ph.HWMReset {
			hwm += " (since start)"
		}
		p("| %s | %s | %s (%s + %s) | %s / %s | %s | %s | %s | %s | %.2f |", name, dur(ph.Wall), mib(ph.End.RSS), mib(ph.End.Anon), mib(ph.End.File),
			mib(ph.PeakSampled), hwm, mib(ph.PeakAnon), mib(ph.Heap.HeapAlloc), mib(ph.Heap.HeapSys-ph.Heap.HeapReleased), mib(ph.Heap.Sys),
			float64(ph.Graph.Total)/float64(max(1, ph.Objects)))
	}
	p("")
	if len(m.IdleByMinute) > 0 {
		var parts []string
		for i, s := range m.IdleByMinute {
			parts = append(parts, fmt.Sprintf("%d min: %s (anonymous %s)", i+1, mib(s.RSS), mib(s.Anon)))
		}
		p("RSS in the idle window: %s.", strings.Join(parts, ", "))
		p("")
	}
	for _, ph := range m.Phases {
		if ph.Err != "" {
			p("**%s did not finish:** %s", ph.Name, ph.Err)
			p("")
		}
	}
	if m.HeapProfile != "" {
		p("Heap profile at the end of the idle window: `%s` (`go tool pprof -sample_index=inuse_space -top %s`).", m.HeapProfile, m.HeapProfile)
		p("")
	}
}

func envNote(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return ", environment `" + strings.Join(env, " ") + "`"
}

func redactPaths(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "/"):
			a = "…/" + filepath.Base(a)
		case strings.HasPrefix(a, "http://127.0.0.1:"):
			a = "http://127.0.0.1:PORT/v1.0"
		}
		out[i] = a
	}
	return out
}
