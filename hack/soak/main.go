// Command soak runs the operator's whole lifecycle under faults, crashes and failover
// (`make soak`): a real kube-apiserver and etcd (envtest's control plane), the Graph emulator
// as its own process (hack/graph-emulator) and the operator as two bin/manager processes with
// leader election, all built from this checkout. N objects of both kinds (PIMAssignmentRequest,
// PIMEligibilityRequest) go through create, spec.cancelled: true on a share of them, and
// delete, while the emulator injects faults on a share of every Graph operation, the leader is
// killed with SIGKILL several times and kube-apiserver is restarted once. After a fault-free
// tail everything must settle; then it prints, from Graph's side and the API server's, what
// must be zero (duplicate creates, orphaned access, lost revocations, objects not converged,
// panics) and what it measured (Graph calls per object against the floor, failover times, the
// time to settle). docs/reliability.md describes it and shows a run.
//
//	KUBEBUILDER_ASSETS=$(hack/envtest/build.sh) go run ./hack/soak [-n 300] [-fault-rate 0.2]
//
// Non-zero counts are findings about the operator, each reported with the object, its
// conditions and the Graph calls that concern it. The exit status is 1 when a count is not
// zero or the run failed, so the soak can gate a pipeline.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/pim-operator/pim-operator/internal/childproc"
	ctrl "sigs.k8s.io/controller-runtime"
)

func main() {
	cfg := defaultConfig()
	fs := flag.CommandLine
	fs.IntVar(&cfg.N, "n", cfg.N, "objects (of both kinds; twins of a few come on top)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the workload, the chaos and the emulator's faults")
	fs.Float64Var(&cfg.FaultRate, "fault-rate", cfg.FaultRate, "share of Graph calls a fault fires on while the faults last")
	fs.DurationVar(&cfg.Latency, "fault-latency", cfg.Latency, "the added-latency fault's delay")
	fs.DurationVar(&cfg.ListLag, "list-lag", cfg.ListLag, "how long a new request stays out of Graph's lists while the faults last")
	fs.IntVar(&cfg.Kills, "kills", cfg.Kills, "leader SIGKILLs during the window")
	fs.IntVar(&cfg.APIRestarts, "apiserver-restarts", cfg.APIRestarts, "kube-apiserver restarts during the window (etcd keeps running)")
	fs.DurationVar(&cfg.Window, "window", cfg.Window, "how long the workload, the faults and the chaos last")
	fs.DurationVar(&cfg.TailTimeout, "tail-timeout", cfg.TailTimeout, "longest wait, after the faults stop, for everything to settle")
	fs.DurationVar(&cfg.Rest, "rest", cfg.Rest, "quiet window after settling, in which nothing may call Graph")
	fs.DurationVar(&cfg.RestartDelay, "restart-delay", cfg.RestartDelay, "how long a manager replica that exited stays down")
	fs.DurationVar(&cfg.MinActiveAge, "min-active-age", cfg.MinActiveAge,
		"Graph's minimum active age before adminRemove, in the emulator and the managers (Graph's is 5m)")
	fs.DurationVar(&cfg.StartupReadSpread, "startup-read-spread", cfg.StartupReadSpread,
		"the managers' --startup-read-spread (production's is 5m); the rest window waits for the last leader's to pass")
	fs.StringVar(&cfg.PolicyMode, "policy-mode", cfg.PolicyMode,
		"the managers' --policy-mode: enforce, disabled, or auto (enforce when the PIMAccessPolicy CRD can grant eligibility)")
	fs.Float64Var(&cfg.EligibilityShare, "eligibility-share", cfg.EligibilityShare, "share of PIMEligibilityRequests")
	fs.Float64Var(&cfg.SoonShare, "soon-share", cfg.SoonShare, "share starting one to two and a half minutes after creation")
	fs.Float64Var(&cfg.FarShare, "far-share", cfg.FarShare, "share starting in 24 h")
	fs.Float64Var(&cfg.CancelShare, "cancel-share", cfg.CancelShare, "share set cancelled: true")
	fs.Float64Var(&cfg.DeleteShare, "delete-share", cfg.DeleteShare, "share deleted")
	fs.Float64Var(&cfg.OrphanShare, "orphan-share", cfg.OrphanShare, "share with deletionPolicy Orphan")
	fs.Float64Var(&cfg.TwinShare, "twin-share", cfg.TwinShare, "share that get a twin (a second object for the same triple)")
	fs.Float64Var(&cfg.DeniedShare, "denied-share", cfg.DeniedShare, "share asking for a group no policy permits (with policy mode enforce)")
	managerArgs := fs.String("manager-args", "", "more flags for the managers, space-separated (they come last and win)")
	fs.StringVar(&cfg.ManagerBin, "manager-bin", "", "use this manager binary instead of building one (with -emulator-bin)")
	fs.StringVar(&cfg.EmulatorBin, "emulator-bin", "", "use this Graph emulator binary instead of building one (with -manager-bin)")
	fs.StringVar(&cfg.Dir, "dir", "", "work directory (logs, kubeconfig, binaries); default a new temporary one, kept")
	out := fs.String("out", "", "also write the report to this file")
	flag.Parse()
	cfg.ManagerArgs = strings.Fields(*managerArgs)
	// The soak's own clients log nothing; the managers' logs are the ones that matter.
	ctrl.SetLogger(logr.Discard())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, cfg, os.Stderr)
	failed := err != nil
	if res != nil && res.Records != nil {
		var b strings.Builder
		report(&b, res, strings.TrimSpace("go run ./hack/soak "+strings.Join(os.Args[1:], " ")))
		fmt.Print(b.String())
		if *out != "" {
			if werr := os.WriteFile(*out, []byte(b.String()), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, werr)
			}
		}
		for _, z := range res.zeroCounts() {
			failed = failed || z.Count != 0
		}
	}
	if res != nil && res.Dir != "" {
		fmt.Fprintf(os.Stderr, "soak: logs and kubeconfig in %s\n", res.Dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	childproc.StopAll()
	if failed {
		os.Exit(1)
	}
}
