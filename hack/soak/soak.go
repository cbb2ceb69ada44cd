package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pim-operator/pim-operator/internal/childproc"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// config is one soak run.
type config struct {
	// N objects of both kinds go through create, cancel (a share) and delete (a share).
	N    int
	Seed uint64
	// FaultRate is the share of Graph calls a fault fires on during the window; Latency is the
	// added-latency fault's delay; ListLag how long new requests stay out of Graph's lists.
	FaultRate float64
	Latency   time.Duration
	ListLag   time.Duration
	// Kills leader SIGKILLs and APIRestarts kube-apiserver restarts happen inside Window, the
	// time the workload and the faults last. Then the faults stop, and everything must settle
	// within TailTimeout; Rest is the quiet window after that (no Graph call expected).
	Kills, APIRestarts        int
	Window, TailTimeout, Rest time.Duration
	RestartDelay              time.Duration
	MinActiveAge              time.Duration
	// StartupReadSpread is the managers' --startup-read-spread; the rest window begins once
	// the last leader's has passed, so that its deferred reads are not counted as calls at rest.
	StartupReadSpread        time.Duration
	PolicyMode               string // auto | enforce | disabled
	EligibilityShare         float64
	SoonShare, FarShare      float64
	CancelShare, DeleteShare float64
	OrphanShare, TwinShare   float64
	DeniedShare              float64
	ManagerArgs              []string
	ManagerBin, EmulatorBin  string
	Race                     bool
	Dir                      string
	Keep                     bool
}

func defaultConfig() config {
	return config{
		N: 300, Seed: 1, FaultRate: 0.2, Latency: 3 * time.Second, ListLag: 10 * time.Second,
		Kills: 3, APIRestarts: 1, Window: 6 * time.Minute, TailTimeout: 10 * time.Minute, Rest: 30 * time.Second,
		RestartDelay: 2 * time.Second, MinActiveAge: 30 * time.Second, StartupReadSpread: time.Minute, PolicyMode: "auto",
		EligibilityShare: 0.4, SoonShare: 0.2, FarShare: 0.2, CancelShare: 0.3, DeleteShare: 0.5,
		OrphanShare: 0.05, TwinShare: 0.04, DeniedShare: 0.04,
	}
}

func (c config) validate() error {
	switch {
	case c.N < 1:
		return errors.New("-n must be at least 1")
	case c.FaultRate < 0 || c.FaultRate >= 1:
		return errors.New("-fault-rate must be in [0, 1)")
	case c.Window < 20*time.Second:
		return errors.New("-window must be at least 20s")
	case c.PolicyMode != "auto" && c.PolicyMode != "enforce" && c.PolicyMode != "disabled":
		return errors.New("-policy-mode must be auto, enforce or disabled")
	case c.Kills < 0 || c.APIRestarts < 0:
		return errors.New("-kills and -apiserver-restarts must not be negative")
	}
	return nil
}

var soakNamespaces = []string{"soak-a", "soak-b"}

// killRecord is one leader SIGKILL.
type killRecord struct {
	At     time.Time
	Victim string
	Err    string
}

// lifeSummary is one manager process, as the report shows it.
type lifeSummary struct {
	Name           string
	Start, Exit    time.Time
	How            string
	Led            bool
	Lines          int
	Errors         map[string]int
	Panics         []string
	LeaderAt       time.Time
	FirstReconcile time.Time
}

type results struct {
	Config             config
	Machine            string
	Dir                string
	Started            time.Time
	Total              time.Duration
	PolicyMode         string
	EligibilityGranted bool
	ManagerArgs        []string
	EmulatorArgs       []string
	Records            []record
	Eval               evaluation
	Calls              callStats
	CallLog            []emuCall
	FaultsFrom         time.Time
	FaultsTo           time.Time
	Converged          bool
	ConvergedAt        time.Time
	RestCalls          []emuCall
	RestUpdates        int64
	Kills              []killRecord
	Restarts           []apiRestart
	Failovers          []failover
	Lives              []lifeSummary
	Flaps              []finding
	LoadStart, LoadEnd string
}

// zeroCounts are the counts that must be zero, by name, in the order the report shows them.
func (r *results) zeroCounts() []struct {
	Name  string
	Count int
} {
	panics := 0
	for _, l := range r.Lives {
		panics += len(l.Panics)
	}
	return []struct {
		Name  string
		Count int
	}{
		{"objects with more than one applied create (duplicates)", len(r.Eval.Duplicates)},
		{"live access with no object and no Orphan deletion policy (orphaned access)", len(r.Eval.Orphaned)},
		{"deleted or cancelled objects whose access is still live (lost revocations)", len(r.Eval.LostRevocations)},
		{"objects not converged at the end", len(r.Eval.NotConverged)},
		{"panics and fatal lines in the managers' logs", panics},
		{"access ended by another object's adminRemove (ownership)", len(r.Eval.Ownership)},
		{"Graph calls for objects no policy permits", len(r.Calls.DeniedCalls)},
		{"Stalled conditions that went away and came back unchanged (flaps)", len(r.Flaps)},
	}
}

// run runs the soak. Progress goes to logw; the results are returned also on error when the
// run got far enough to have some.
func run(ctx context.Context, cfg config, logw io.Writer) (res *results, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	res = &results{Config: cfg, Machine: machine(), Started: time.Now(), LoadStart: loadAvg()}
	defer func() { res.Total = time.Since(res.Started); res.LoadEnd = loadAvg() }()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh), or run `make soak`")
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "pim-operator-soak-"); err != nil {
			return nil, err
		}
	}
	res.Dir = dir
	defer childproc.StopAll()
	seed := cfg.Seed
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	// Build while the control plane starts.
	var managerBin, emulatorBin string
	var buildErr error
	var builds sync.WaitGroup
	if cfg.ManagerBin != "" && cfg.EmulatorBin != "" {
		managerBin, emulatorBin = cfg.ManagerBin, cfg.EmulatorBin
	} else {
		logf("building bin/manager and the Graph emulator into %s", dir)
		builds.Go(func() {
			managerBin, emulatorBin, buildErr = buildBinaries(ctx, root, dir, cfg.Race, logf)
		})
	}
	logf("starting kube-apiserver and etcd (envtest)")
	cl, err := startCluster(dir, assets, filepath.Join(root, "config", "crd", "bases"))
	builds.Wait()
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := cl.stop(); serr != nil {
			logf("stopping the control plane: %v", serr)
		}
	}()
	if buildErr != nil {
		return nil, buildErr
	}

	shape := workloadShape{namespaces: soakNamespaces, groups: 10}
	if err := cl.ensureNamespaces(ctx, append([]string{operatorNamespace}, shape.namespaces...)...); err != nil {
		return nil, err
	}
	if res.EligibilityGranted, err = cl.createPolicy(ctx, shape); err != nil {
		return nil, err
	}
	res.PolicyMode = cfg.PolicyMode
	switch {
	case cfg.PolicyMode == "auto" && (res.EligibilityGranted || cfg.EligibilityShare == 0):
		res.PolicyMode = "enforce"
	case cfg.PolicyMode == "auto":
		res.PolicyMode = "disabled"
		logf("the PIMAccessPolicy CRD has no eligibility grant: the managers run with --policy-mode=disabled")
	case cfg.PolicyMode == "enforce" && !res.EligibilityGranted && cfg.EligibilityShare > 0:
		return nil, errors.New("-policy-mode=enforce: the PIMAccessPolicy CRD has no eligibility grant, so no eligibility " +
			"object could be permitted; use -policy-mode=disabled or -eligibility-share=0")
	}
	wcfg := workloadConfig{N: cfg.N, Window: cfg.Window, EligibilityShare: cfg.EligibilityShare, SoonShare: cfg.SoonShare,
		FarShare: cfg.FarShare, CancelShare: cfg.CancelShare, DeleteShare: cfg.DeleteShare, OrphanShare: cfg.OrphanShare,
		TwinShare: cfg.TwinShare, Shape: shape}
	if res.PolicyMode == "enforce" {
		wcfg.DeniedShare = cfg.DeniedShare
	}
	plans := makePlans(wcfg, rng)
	records := make([]*tracked, len(plans))
	for i, p := range plans {
		records[i] = &tracked{record: record{plan: p}}
	}

	res.EmulatorArgs = []string{"--min-active-age", cfg.MinActiveAge.String(), "--seed", fmt.Sprint(seed)}
	emu, err := startEmulator(ctx, emulatorBin, filepath.Join(dir, "graph-emulator.log"), res.EmulatorArgs...)
	if err != nil {
		return nil, err
	}
	defer emu.proc.Stop(5 * time.Second)
	flags, err := managerFlags(ctx, managerBin)
	if err != nil {
		return nil, err
	}
	res.ManagerArgs = []string{
		"--kubeconfig", cl.managerKubeconfig,
		"--leader-elect", "--leader-election-namespace", operatorNamespace,
		"--graph-base-url", emu.graphURL(), "--graph-auth", "none",
		"--metrics-bind-address", "0",
		"--min-active-age", cfg.MinActiveAge.String(),
		"--policy-mode", res.PolicyMode,
		"--zap-log-level", "debug", "--zap-time-encoding", "rfc3339nano",
	}
	if flags["operator-namespace"] {
		res.ManagerArgs = append(res.ManagerArgs, "--operator-namespace", operatorNamespace)
	}
	if flags["startup-read-spread"] {
		res.ManagerArgs = append(res.ManagerArgs, "--startup-read-spread", cfg.StartupReadSpread.String())
	} else {
		cfg.StartupReadSpread, res.Config.StartupReadSpread = 0, 0 // a binary from before the flag
	}
	res.ManagerArgs = append(res.ManagerArgs, cfg.ManagerArgs...)

	w, err := startWatcher(ctx, cl.cfg, shape.namespaces)
	if err != nil {
		return nil, err
	}
	defer w.stop()

	logf("starting two manager replicas with leader election")
	rctx, stopReplicas := context.WithCancel(ctx)
	defer stopReplicas()
	rs := startReplicas(rctx, 2, managerBin, res.ManagerArgs, dir, cfg.RestartDelay, logf)
	if rs.waitLeader(ctx, 2*time.Minute) == nil {
		return res, errors.New("no manager became the leader within 2 minutes; see the manager-*.log files in " + dir)
	}

	if err := emu.setListLag(ctx, cfg.ListLag); err != nil {
		return res, err
	}
	if cfg.FaultRate > 0 {
		if err := emu.injectFaults(ctx, cfg.FaultRate, cfg.Latency); err != nil {
			return res, err
		}
	}
	res.FaultsFrom = time.Now()
	start := res.FaultsFrom
	logf("faults on (%.0f %% of Graph calls, list lag %s); %d objects over %s; chaos: %d leader kills, %d kube-apiserver restarts",
		cfg.FaultRate*100, cfg.ListLag, len(records), cfg.Window, cfg.Kills, cfg.APIRestarts)

	d := &driver{c: cl.client, records: records, watch: w, window: cfg.Window, logf: logf}
	driverDone := make(chan struct{})
	go func() { d.run(ctx, start); close(driverDone) }()

	chaos := makeChaos(cfg.Kills, cfg.APIRestarts, cfg.Window, 30*time.Second, rng)
	chaosDone := make(chan struct{})
	var chaosMu sync.Mutex
	go func() {
		defer close(chaosDone)
		for _, ev := range chaos {
			if !sleepUntil(ctx, start.Add(ev.At)) {
				return
			}
			switch ev.What {
			case "kill":
				l := rs.waitLeader(ctx, time.Minute)
				k := killRecord{At: time.Now()}
				if l == nil {
					k.Err = "no leader to kill within a minute"
				} else {
					k.Victim = l.name()
					k.At = l.proc.Kill()
				}
				logf("chaos: SIGKILL the leader %s", orNone(k.Victim))
				chaosMu.Lock()
				res.Kills = append(res.Kills, k)
				chaosMu.Unlock()
			case "apiserver":
				logf("chaos: restarting kube-apiserver")
				r := cl.restartAPIServer()
				logf("chaos: kube-apiserver down %s, ready after %s %s", r.Stopped.Sub(r.Stop).Round(time.Millisecond),
					r.Ready.Sub(r.Stop).Round(time.Millisecond), r.Err)
				chaosMu.Lock()
				res.Restarts = append(res.Restarts, r)
				chaosMu.Unlock()
				if r.Err != "" {
					return
				}
			}
		}
	}()

	// The faults stop when the window ends, whatever is in flight; then the tail.
	sleepUntil(ctx, start.Add(cfg.Window))
	<-chaosDone
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	for _, r := range res.Restarts {
		if r.Err != "" {
			return res, fmt.Errorf("restarting kube-apiserver: %s", r.Err)
		}
	}
	if err := emu.clearFaults(ctx); err != nil {
		return res, err
	}
	if err := emu.setListLag(ctx, 0); err != nil {
		return res, err
	}
	res.FaultsTo = time.Now()
	logf("faults off after %s; waiting up to %s for everything to settle", res.FaultsTo.Sub(res.FaultsFrom).Round(time.Second), cfg.TailTimeout)
	select {
	case <-driverDone: // every planned write was made (a write the API server restart delayed may come late)
	case <-ctx.Done():
		return res, ctx.Err()
	}

	snap := func() []record {
		out := make([]record, len(records))
		for i, r := range records {
			out[i] = r.snapshot()
		}
		return out
	}
	deadline := res.FaultsTo.Add(cfg.TailTimeout)
	lastLog := time.Now()
	for {
		views, verr := listViews(ctx, cl.client, shape.namespaces)
		gs, gerr := emu.state(ctx)
		if verr == nil && gerr == nil {
			ev := evaluate(snap(), views, gs, time.Now())
			if ev.converged() {
				res.Converged, res.ConvergedAt = true, time.Now()
				logf("settled %s after the faults stopped", res.ConvergedAt.Sub(res.FaultsTo).Round(100*time.Millisecond))
				break
			}
			if time.Since(lastLog) > 30*time.Second {
				logf("not settled yet: %d not converged, %d lost revocations, %d orphaned access",
					len(ev.NotConverged), len(ev.LostRevocations), len(ev.Orphaned))
				lastLog = time.Now()
			}
		}
		if time.Now().After(deadline) || !sleepUntil(ctx, time.Now().Add(2*time.Second)) {
			logf("did not settle within %s of the faults stopping", cfg.TailTimeout)
			break
		}
	}

	// At rest: nothing should call Graph or write — once the last leader has made the reads
	// its start-up spread put off.
	if l := rs.leader(); l != nil {
		if until := l.leaderSince().Add(cfg.StartupReadSpread); until.After(time.Now()) {
			logf("waiting for the leader's start-up read spread to pass (%s)", until.Sub(time.Now()).Round(time.Second))
			sleepUntil(ctx, until)
		}
	}
	before, err := emu.calls(ctx)
	if err != nil {
		return res, err
	}
	updates := w.updates.Load()
	logf("at rest for %s", cfg.Rest)
	sleepUntil(ctx, time.Now().Add(cfg.Rest))
	res.RestUpdates = w.updates.Load() - updates

	// The end state, from both sides.
	views, err := listViews(ctx, cl.client, shape.namespaces)
	if err != nil {
		return res, err
	}
	gs, err := emu.state(ctx)
	if err != nil {
		return res, err
	}
	if res.CallLog, err = emu.calls(ctx); err != nil {
		return res, err
	}
	res.RestCalls = res.CallLog[len(before):]
	res.Records = snap()
	// The evidence, for a look after the run.
	for name, v := range map[string]any{"graph-calls.json": res.CallLog, "graph-state.json": gs, "objects.json": res.Records, "views.json": views} {
		if b, err := json.MarshalIndent(v, "", "  "); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
	}
	res.Eval = evaluate(res.Records, views, gs, time.Now())
	res.Calls = summarizeCalls(res.Records, gs, res.CallLog)
	for _, r := range res.Records {
		if n := stalledFlaps(w.historyOf(r.key())); n > 0 {
			f := finding{Check: "Stalled flap", Key: r.key(), UID: r.UID, Principal: r.Principal,
				Detail: fmt.Sprintf("Stalled went away and came back with the same reason %d time(s) without a change to the object", n)}
			if v, ok := views[r.key()]; ok {
				f.Conditions = v.condSummary()
			}
			for _, h := range w.historyOf(r.key()) {
				f.Conditions = append(f.Conditions, fmt.Sprintf("history %s: kstatus %s, Stalled %q, generation %d, deleting %v",
					stamp(h.At), h.Kstatus, h.StalledReason, h.Generation, h.Deleting))
			}
			res.Flaps = append(res.Flaps, f)
		}
	}

	stopAt := time.Now()
	stopReplicas()
	rs.wait()
	scans := map[*life]logScan{}
	for _, l := range rs.lives() {
		sc := scanLog(l.proc.LogPath)
		scans[l] = sc
		res.Lives = append(res.Lives, lifeSummary{Name: l.name(), Start: l.proc.Started, Exit: l.exitAt, How: l.proc.ExitSummary(),
			Led: !sc.LeaderAt.IsZero(), Lines: sc.Lines, Errors: sc.Errors, Panics: sc.Panics, LeaderAt: sc.LeaderAt,
			FirstReconcile: sc.FirstReconcileAt})
	}
	sort.Slice(res.Lives, func(i, j int) bool { return res.Lives[i].Start.Before(res.Lives[j].Start) })
	res.Failovers = failovers(rs.lives(), scans, stopAt)
	countResyncReads(res.Failovers, res.CallLog)
	return res, nil
}

// listViews reads every object of both kinds in the namespaces, fresh from the API server.
func listViews(ctx context.Context, c client.Client, namespaces []string) (map[string]objView, error) {
	out := map[string]objView{}
	for _, kind := range []string{kindAssignment, kindEligibility} {
		for _, ns := range namespaces {
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(gvk(kind + "List"))
			if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
				return nil, err
			}
			for i := range list.Items {
				v, err := decodeView(&list.Items[i])
				if err != nil {
					return nil, err
				}
				v.Kind = kind
				out[viewKey(kind, v.Metadata.Namespace, v.Metadata.Name)] = v
			}
		}
	}
	return out, nil
}

// repoRoot is the module's root: where this file is, two levels up, when that holds go.mod
// (go run, go test), else the working directory's.
func repoRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return root, nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

func machine() string {
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				var kb float64
				_, _ = fmt.Sscan(f[1], &kb)
				mem = fmt.Sprintf(", %.1f GiB RAM", kb/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs%s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), mem, runtime.Version())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
