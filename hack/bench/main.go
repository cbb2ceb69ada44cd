// Command bench measures the operator end to end (`make bench`): a real kube-apiserver and
// etcd (envtest), the Graph emulator over real HTTP through the real internal/graph client,
// and the manager in-process with production settings except the Graph write limit. N objects
// go through their life — create → Ready, an idle window, cancel → Cancelled, delete → gone —
// and a baseline does the same API-server writes with a plain client and no operator. A last
// part measures the Graph write limiter at its default limit, with and without a 429 storm.
// It prints Markdown for docs/benchmarks.md.
//
//	KUBEBUILDER_ASSETS=$(hack/envtest/build.sh) go run ./hack/bench -n 1000 -idle 60s
//
// Memory figures are the whole bench process (manager, emulator, driver); kube-apiserver and
// etcd are separate processes. A 10,000-object run (-n 10000) measures memory against the
// 100 MiB budget; it takes long and is not part of CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func main() {
	cfg := defaultConfig()
	fs := flag.CommandLine
	fs.IntVar(&cfg.N, "n", cfg.N, "objects in the throughput phases (half starting now, half in the future)")
	fs.DurationVar(&cfg.Idle, "idle", cfg.Idle, "idle window with every object at rest")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "the manager's --max-concurrent-reconciles (and the baseline's writers standing in for it)")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent writers of the driver (the user), in both runs")
	fs.Float64Var(&cfg.ThroughputQPS, "throughput-write-qps", cfg.ThroughputQPS, "Graph write limit of the throughput phases")
	fs.IntVar(&cfg.ThroughputBurst, "throughput-write-burst", cfg.ThroughputBurst, "Graph write burst of the throughput phases")
	fs.Float64Var(&cfg.LimiterQPS, "graph-write-qps", cfg.LimiterQPS, "Graph write limit of the limiter phase (main.go's default)")
	fs.IntVar(&cfg.LimiterBurst, "graph-write-burst", cfg.LimiterBurst, "Graph write burst of the limiter phase (main.go's default)")
	fs.IntVar(&cfg.LimiterObjects, "limiter-objects", cfg.LimiterObjects, "objects created in each part of the limiter phase")
	fs.DurationVar(&cfg.Storm, "storm", cfg.Storm, "how long Graph answers every create with 429 in the limiter phase")
	fs.DurationVar(&cfg.StormRetryAfter, "storm-retry-after", cfg.StormRetryAfter, "the storm's Retry-After")
	fs.DurationVar(&cfg.PhaseTimeout, "phase-timeout", cfg.PhaseTimeout, "longest wait for one phase's end state")
	fs.BoolVar(&cfg.SkipBaseline, "skip-baseline", false, "leave out the baseline")
	fs.BoolVar(&cfg.SkipLimiter, "skip-limiter", false, "leave out the limiter phase")
	fs.StringVar(&cfg.HeapProfile, "heap-profile", "", "write a heap profile here at the end of the idle window (all objects at rest)")
	fs.BoolVar(&cfg.ManagerProcess, "manager-process", false,
		"run the operator's phases with bin/manager as its own process and measure its memory (RSS, heap), instead of the in-process throughput run")
	fs.StringVar(&cfg.ManagerBin, "manager-bin", "", "with -manager-process: this manager binary instead of one built from the checkout")
	managerEnv := fs.String("manager-env", "", "with -manager-process: environment for the manager, space-separated (GOMEMLIMIT=90MiB GOGC=50)")
	fs.IntVar(&cfg.GraphRateObjects, "graph-rate-objects", cfg.GraphRateObjects,
		"creates at Graph's real write rate, against an emulator that enforces Graph's write budget")
	fs.Float64Var(&cfg.GraphRateQPS, "graph-rate-qps", cfg.GraphRateQPS, "the Graph rate phase's --graph-write-qps (Graph's budget: 20/s)")
	fs.IntVar(&cfg.GraphRateBurst, "graph-rate-burst", cfg.GraphRateBurst, "the Graph rate phase's --graph-write-burst (main.go's default)")
	fs.BoolVar(&cfg.SkipGraphRate, "skip-graph-rate", false, "leave out the phase at Graph's write rate")
	logFile := fs.String("log-file", "", "write the manager's log (production JSON, info level) here; empty discards it")
	out := fs.String("out", "", "also write the report to this file")
	flag.Parse()
	cfg.ManagerEnv = strings.Fields(*managerEnv)
	cfg.LogFile = *logFile

	// The manager logs as in production, so its cost is in the figures; where it goes is ours.
	var logTo io.Writer = io.Discard
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer func() { _ = f.Close() }()
		logTo = f
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logTo), zap.UseDevMode(false)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, cfg, os.Stderr)
	command := "go run ./hack/bench " + strings.Join(os.Args[1:], " ")
	if res != nil {
		var b strings.Builder
		report(&b, res, strings.TrimSpace(command))
		fmt.Print(b.String())
		if *out != "" {
			if werr := os.WriteFile(*out, []byte(b.String()), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}
