package main

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pim-operator/pim-operator/internal/graphemu"
)

// report prints the results as Markdown, ready for docs/benchmarks.md.
func report(w io.Writer, r *results, command string) {
	c := r.Config
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("# pim-operator benchmark")
	p("")
	p("- command: `%s`", command)
	p("- machine: %s; kube-apiserver and etcd (envtest) run as separate processes on the same machine", r.Machine)
	p("- N = %d objects: %d starting now (Graph: Provisioned), %d starting in 24 h (Graph: Granted); "+
		"%d reconcile workers (--max-concurrent-reconciles), %d driver clients; Graph write limit raised to %g/s, burst %d, "+
		"for the throughput phases", c.N, r.CurrentObjects, r.FutureObjects, c.Workers, c.Clients, c.ThroughputQPS, c.ThroughputBurst)
	p("- the Graph emulator is in-process, reached over HTTP on loopback through internal/graph (msgraph-sdk-go)")
	if c.ManagerProcess {
		p("- the operator's phases ran with bin/manager as its own process (-manager-process): the throughput tables are left out")
	}
	if r.Total > 0 {
		p("- whole run: %s", dur(r.Total))
	}
	if r.EmptyRSS > 0 {
		p("- before the first object (manager started, caches synced): RSS %s, heap after GC %s", mib(r.EmptyRSS), mib(r.EmptyHeap))
	}
	p("")

	if r.Memory != nil {
		memoryReport(p, r)
	}
	if len(r.Throughput) > 0 {
		throughputReport(p, r)
	}
	if len(r.Limiter) > 0 {
		limiterReport(p, r)
	}
	if r.GraphRate != nil {
		graphRateReport(p, r)
	}
}

func throughputReport(p func(string, ...any), r *results) {
	c := r.Config
	base := map[string]phaseResult{}
	for _, b := range r.Baseline {
		base[b.Name] = b
	}
	p("## Throughput: operator vs. baseline")
	p("")
	p("Baseline: the same API-server writes done directly by a plain client with the same concurrency, no operator, no Graph. Goal: operator ÷ baseline ≤ 1.5×.")
	p("")
	p("| phase | wall | objects/s | baseline wall | wall ÷ baseline | API writes/object | baseline writes/object | writes ÷ baseline | writes ÷ baseline, events left out | Graph calls/object (floor) |")
	p("|---|---|---|---|---|---|---|---|---|---|")
	for _, ph := range r.Throughput {
		n := float64(ph.Objects)
		if ph.Name == phaseIdle {
			p("| %s (%s, all at rest) | %s | — | — | — | %d writes in total | — | — | — | **%d calls in total** |",
				ph.Name, dur(c.Idle), dur(ph.Wall), ph.writes(), ph.Graph.Total)
			continue
		}
		row := fmt.Sprintf("| %s | %s | %.1f | ", ph.Name, dur(ph.Wall), n/ph.Wall.Seconds())
		b, ok := base[ph.Name]
		if ok {
			row += fmt.Sprintf("%s | %s | %.2f | %.2f | %s | %s | ",
				dur(b.Wall), ratio(ph.Wall.Seconds(), b.Wall.Seconds()),
				float64(ph.writes())/n, float64(b.writes())/n,
				ratio(float64(ph.writes()), float64(b.writes())), ratio(float64(ph.objectWrites()), float64(b.writes())))
		} else {
			row += fmt.Sprintf("— | — | %.2f | — | — | — | ", float64(ph.writes())/n)
		}
		row += fmt.Sprintf("%.2f (%.2f) |", float64(ph.Graph.Total)/n, total(ph.Floor))
		p("%s", row)
	}
	p("")
	cpuReport(p, r, base)
	for _, ph := range r.Throughput {
		phaseDetail(p, ph, base[ph.Name], len(r.Baseline) > 0)
	}
}

func phaseDetail(p func(string, ...any), ph, b phaseResult, haveBase bool) {
	n := float64(ph.Objects)
	p("### %s", ph.Name)
	p("")
	if ph.Err != "" {
		p("**Did not finish:** %s", ph.Err)
		p("")
	}
	if ph.Name == phaseIdle {
		p("Idle window of %s with all %d objects at rest. Goal: no Graph call, no write.", dur(ph.Wall), ph.Objects)
		p("")
		p("- Graph calls: %d%s", ph.Graph.Total, opList(ph.Graph.ByOp))
		p("- API-server writes by the manager: %d%s; reads: %d", sum(ph.OperatorWrites), writeList(ph.OperatorWrites), ph.OperatorReads)
		p("- %s", memLine(ph))
		p("")
		return
	}
	p("| API-server writes per object | operator run | baseline |")
	p("|---|---|---|")
	for _, who := range []struct {
		name     string
		run, bas map[string]int
	}{{"user", ph.UserWrites, b.UserWrites}, {"operator", ph.OperatorWrites, b.OperatorWrites}} {
		keys := map[string]bool{}
		for k := range who.run {
			keys[k] = true
		}
		for k := range who.bas {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			bs := "—"
			if haveBase {
				bs = fmt.Sprintf("%.2f", float64(who.bas[k])/n)
			}
			p("| %s: %s | %.2f | %s |", who.name, k, float64(who.run[k])/n, bs)
		}
	}
	bs := "—"
	if haveBase {
		bs = fmt.Sprintf("**%.2f**", float64(b.writes())/n)
	}
	p("| **total** | **%.2f** | %s |", float64(ph.writes())/n, bs)
	p("")
	if len(ph.OperatorFailed) > 0 {
		p("Manager writes answered with an error: %s.", strings.TrimSuffix(strings.TrimPrefix(opList(ph.OperatorFailed), " ("), ")"))
		p("")
	}
	p("| Graph calls per object | calls | per object | floor |")
	p("|---|---|---|---|")
	ops := map[string]bool{}
	for k := range ph.Graph.ByOp {
		ops[k] = true
	}
	for k := range ph.Floor {
		ops[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(ops)) {
		name := k
		if k == graphemu.OpGetRequest {
			name += " (all reads of a request)"
		}
		p("| %s | %d | %.3f | %.2f |", name, ph.Graph.ByOp[k], float64(ph.Graph.ByOp[k])/n, ph.Floor[k])
	}
	p("| of which polls (getRequest of an id already read in this phase) | %d | %.3f | 0 |", ph.Graph.Polls, float64(ph.Graph.Polls)/n)
	p("| **total** | **%d** | **%.3f** | **%.2f** |", ph.Graph.Total, float64(ph.Graph.Total)/n, total(ph.Floor))
	p("")
	if len(ph.Graph.NotOK) > 0 {
		p("Graph answers outside 2xx: %v", ph.Graph.NotOK)
		p("")
	}
	p("%s. Manager reads from the API server (GET/LIST/WATCH requests, not objects): %d.", memLine(ph), ph.OperatorReads)
	p("")
}

// cpuReport shows the CPU time behind the wall times: on a shared machine it varies less.
func cpuReport(p func(string, ...any), r *results, base map[string]phaseResult) {
	p("CPU time per object (user + system; the bench process holds the manager, the Graph emulator and the driver), "+
		"and the machine's 1-minute load average at the end of the phase (%d CPUs; other work shares the machine):", runtime.NumCPU())
	p("")
	p("| phase | bench process | kube-apiserver | etcd | total | load | baseline: bench process | kube-apiserver | etcd | total | load | total ÷ baseline |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|")
	perObj := func(d time.Duration, n int) string {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000/float64(n))
	}
	for _, ph := range r.Throughput {
		if ph.Name == phaseIdle {
			continue
		}
		row := fmt.Sprintf("| %s | %s | %s | %s | %s | %.1f | ", ph.Name, perObj(ph.CPU["bench process"], ph.Objects),
			perObj(ph.CPU["kube-apiserver"], ph.Objects), perObj(ph.CPU["etcd"], ph.Objects), perObj(ph.CPU.total(), ph.Objects), ph.Load)
		if b, ok := base[ph.Name]; ok {
			row += fmt.Sprintf("%s | %s | %s | %s | %.1f | %s |", perObj(b.CPU["bench process"], b.Objects),
				perObj(b.CPU["kube-apiserver"], b.Objects), perObj(b.CPU["etcd"], b.Objects), perObj(b.CPU.total(), b.Objects), b.Load,
				ratio(ph.CPU.total().Seconds(), b.CPU.total().Seconds()))
		} else {
			row += "— | — | — | — | — | — |"
		}
		p("%s", row)
	}
	p("")
}

func memLine(ph phaseResult) string {
	hwm := "peak RSS (VmHWM) since the phase began"
	if !ph.PeakRSSReset {
		hwm = "peak RSS (VmHWM) since the process began (clear_refs not available)"
	}
	return fmt.Sprintf("Memory of the whole bench process (manager, Graph emulator with its call log, driver): peak heap %s, "+
		"heap after GC at the end %s, %s %s, RSS at the end %s", mib(ph.PeakHeap), mib(ph.LiveHeap), hwm, mib(ph.PeakRSS), mib(ph.RSS))
}

func limiterReport(p func(string, ...any), r *results) {
	c := r.Config
	p("## Graph write limiter at the default limit (%g/s, burst %d)", c.LimiterQPS, c.LimiterBurst)
	p("")
	p("A fresh manager with main.go's default --graph-write-qps and --graph-write-burst. POSTs (creates, adminRemoves, cancels) "+
		"as the emulator's call log timestamps them. A token bucket allows at most burst + qps × window in any window. "+
		"In the storm, the emulator answers every create with 429 and Retry-After %s for %s.", dur(c.StormRetryAfter), dur(c.Storm))
	p("")
	p("| part | objects | all Ready after | POSTs | answered 429 | max POSTs in any 1 s (bound %d) | max in any 5 s (bound %d) | average POSTs/s, first to last (bound) |",
		c.LimiterBurst+int(c.LimiterQPS), c.LimiterBurst+int(5*c.LimiterQPS))
	p("|---|---|---|---|---|---|---|---|")
	for _, l := range r.Limiter {
		avgBound := "—"
		if l.Rate.Span > 0 {
			avgBound = fmt.Sprintf("%.2f", c.LimiterQPS+float64(c.LimiterBurst-1)/l.Rate.Span.Seconds())
		}
		p("| %s | %d | %s | %d | %d | %d | %d | %.2f (%s) |", l.Name, l.Objects, dur(l.Wall), l.Rate.Posts, l.Rate.Throttled,
			l.Rate.MaxIn1s, l.Rate.MaxIn5s, l.Rate.Avg, avgBound)
	}
	p("")
	for _, l := range r.Limiter {
		if l.Err != "" {
			p("**%s did not finish:** %s", l.Name, l.Err)
			p("")
		}
		if l.StormLength > 0 {
			p("During the storm: %d POSTs in %s (bound burst + qps × %s = %.0f). %d creates answered 429 were retried; "+
				"the shortest wait from an object's 429 to its next create was %s (Retry-After %s).",
				l.StormPosts, dur(l.StormLength), dur(l.StormLength), float64(c.LimiterBurst)+c.LimiterQPS*l.StormLength.Seconds(),
				l.Rate.Retried, dur(l.Rate.MinRetryGap), dur(c.StormRetryAfter))
			p("")
		}
	}
}

func total(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

func opList(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func writeList(m map[string]int) string { return opList(m) }

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
