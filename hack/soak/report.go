package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// report prints the results as Markdown: the zero counts first, then the measurements, then
// every finding with its evidence.
func report(w io.Writer, r *results, command string) {
	c := r.Config
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("# pim-operator soak")
	p("")
	p("- command: `%s`", command)
	p("- machine: %s; load average %s at the start, %s at the end", r.Machine, r.LoadStart, r.LoadEnd)
	p("- whole run: %s (build included); work directory %s", dur(r.Total), r.Dir)
	p("- objects: %s", describeObjects(r.Records))
	p("- operator: two `bin/manager` processes with leader election (a replica that exits is started again after %s), "+
		"policy mode %s%s; flags: `%s` plus `--health-probe-bind-address` on a port of each process's own",
		dur(c.RestartDelay), r.PolicyMode, policyNote(r), strings.Join(redact(r.ManagerArgs), " "))
	p("- Graph: the emulator as its own process (`hack/graph-emulator %s`)", strings.Join(r.EmulatorArgs, " "))
	if !r.FaultsFrom.IsZero() {
		p("- faults: %.0f %% of all Graph calls, every operation, from %s to %s (%s), an equal share each: %s; list lag %s in that time",
			c.FaultRate*100, stamp(r.FaultsFrom), stamp(r.FaultsTo), dur(r.FaultsTo.Sub(r.FaultsFrom)), faultList(c), dur(c.ListLag))
	}
	p("- chaos in that time: %d leader SIGKILLs, %d kube-apiserver restarts (etcd kept)", len(r.Kills), len(r.Restarts))
	p("")
	p("| check | count | goal |")
	p("|---|---|---|")
	for _, z := range r.zeroCounts() {
		p("| %s | %d | 0 |", z.Name, z.Count)
	}
	p("")
	p("| measure | value |")
	p("|---|---|")
	nObj := float64(max(1, len(r.Records)-r.Eval.NeverCreated))
	p("| Graph calls | %d (%.2f per object; floor without faults %d, %.2f per object; %s× the floor) |",
		r.Calls.Total, float64(r.Calls.Total)/nObj, r.Calls.Floor, float64(r.Calls.Floor)/nObj, ratio(r.Calls.Total, r.Calls.Floor))
	p("| calls a fault fired on | %d (%.1f %%) |", r.Calls.Faulted, 100*float64(r.Calls.Faulted)/float64(max(1, r.Calls.Total)))
	p("| leader failovers, end of the leader → new leader's first reconcile | %s |", failoverSummary(r.Failovers))
	switch {
	case r.Converged:
		p("| settled after the faults stopped | %s |", dur(r.ConvergedAt.Sub(r.FaultsTo)))
	case !r.FaultsTo.IsZero():
		p("| settled after the faults stopped | **not within %s** |", dur(c.TailTimeout))
	}
	restAfter := "settling"
	if c.StartupReadSpread > 0 {
		restAfter = "settling and the last leader's " + dur(c.StartupReadSpread) + " start-up read spread"
	}
	p("| Graph calls at rest (%s after %s) | %d%s |", dur(c.Rest), restAfter, len(r.RestCalls), opsOf(r.RestCalls))
	p("| object updates at rest (%s) | %d |", dur(c.Rest), r.RestUpdates)
	p("| access live at the end: held by their objects / left by Orphan deletions | %d / %d |", r.Eval.Live, r.Eval.LeftByOrphan)
	p("")

	if len(r.Failovers) > 0 || len(r.Kills) > 0 {
		p("## Leader failovers")
		p("")
		p("| cause | at | leader | new leader | controllers started after | first reconcile after | Graph reads in the new leader's first %s |", dur(resyncWindow))
		p("|---|---|---|---|---|---|---|")
		for _, f := range r.Failovers {
			if f.Err != "" {
				p("| %s | %s | %s | — | **%s** | — | — |", f.Cause, stamp(f.At), f.From, f.Err)
				continue
			}
			p("| %s | %s | %s | %s | %s | %s | %d |", f.Cause, stamp(f.At), f.From, f.To, dur(f.LeaderAfter), durOrDash(f.FirstWork), f.Reads)
		}
		for _, k := range r.Kills {
			if k.Err != "" {
				p("| SIGKILL planned | %s | — | — | **%s** | — | — |", stamp(k.At), k.Err)
			}
		}
		p("")
		p("A SIGKILL releases nothing: the new leader waits for the Lease to expire (controller-runtime's default lease " +
			"duration is 15 s, retried every 2 s). A leader that cannot renew for 10 s (kube-apiserver down) exits with " +
			"\"leader election lost\", as controller-runtime does, and is started again. A new leader reconciles every object " +
			"when it starts: the Graph reads of settled ones are spread over --startup-read-spread (" + dur(c.StartupReadSpread) +
			" here; 0 reads each at once), the others' are made at once.")
		p("")
	}
	if len(r.Restarts) > 0 {
		p("## kube-apiserver restarts")
		p("")
		p("| stopped at | stop took | ready again after | error |")
		p("|---|---|---|---|")
		for _, a := range r.Restarts {
			p("| %s | %s | %s | %s |", stamp(a.Stop), dur(a.Stopped.Sub(a.Stop)), dur(a.Ready.Sub(a.Stop)), orDash(a.Err))
		}
		p("")
	}

	p("## Graph calls")
	p("")
	if len(r.Calls.FaultsByAnswer) > 0 {
		p("| what the client got from a fault | calls |")
		p("|---|---|")
		for _, k := range slices.Sorted(maps.Keys(r.Calls.FaultsByAnswer)) {
			p("| %s | %d |", k, r.Calls.FaultsByAnswer[k])
		}
		p("")
	}
	p("| operation | calls |")
	p("|---|---|")
	for _, k := range slices.Sorted(maps.Keys(r.Calls.ByOp)) {
		p("| %s | %d |", k, r.Calls.ByOp[k])
	}
	p("")
	if len(r.Calls.Excess) > 0 {
		p("Objects with the most calls beyond their floor:")
		p("")
		for i, e := range r.Calls.Excess {
			if i == 5 {
				break
			}
			p("- %s: %d calls, floor %d", r.Records[e.Index].key(), e.Calls, e.Floor)
		}
		p("")
	}
	if r.Calls.Unattributed > 0 {
		p("%d calls named no object of the soak.", r.Calls.Unattributed)
		p("")
	}

	p("## Manager processes")
	p("")
	p("| process | started | ended | how | led | log lines | error lines | panics |")
	p("|---|---|---|---|---|---|---|---|")
	errs := map[string]int{}
	for _, l := range r.Lives {
		n := 0
		for k, v := range l.Errors {
			n += v
			errs[k] += v
		}
		p("| %s | %s | %s | %s | %v | %d | %d | %d |", l.Name, stamp(l.Start), stampOrDash(l.Exit), l.How, l.Led, l.Lines, n, len(l.Panics))
	}
	p("")
	if len(errs) > 0 {
		p("Error lines by message (all processes):")
		p("")
		keys := slices.Collect(maps.Keys(errs))
		sort.Slice(keys, func(i, j int) bool { return errs[keys[i]] > errs[keys[j]] })
		for i, k := range keys {
			if i == 12 {
				p("- … %d more kinds", len(keys)-i)
				break
			}
			p("- %d × `%s`", errs[k], strings.ReplaceAll(k, "`", "'"))
		}
		p("")
	}

	all := [][]finding{r.Eval.Duplicates, r.Eval.Orphaned, r.Eval.LostRevocations, r.Eval.NotConverged, r.Eval.Ownership, r.Flaps}
	var panics []string
	for _, l := range r.Lives {
		for _, line := range l.Panics {
			panics = append(panics, l.Name+": "+line)
		}
	}
	if len(r.Calls.DeniedCalls) > 0 || len(panics) > 0 || slices.ContainsFunc(all, func(f []finding) bool { return len(f) > 0 }) {
		p("## Findings")
		p("")
		for _, fs := range all {
			for _, f := range fs {
				findingDetail(p, f, r.CallLog)
			}
		}
		if len(r.Calls.DeniedCalls) > 0 {
			p("### Graph calls for objects no policy permits")
			p("")
			callTable(p, r.Calls.DeniedCalls, 40)
		}
		if len(panics) > 0 {
			p("### Panics and fatal lines")
			p("")
			p("```")
			for i, l := range panics {
				if i == 40 {
					p("… %d more", len(panics)-i)
					break
				}
				p("%s", shorten(l, 600))
			}
			p("```")
			p("")
		}
	}
}

func findingDetail(p func(string, ...any), f finding, calls []emuCall) {
	p("### %s: %s", f.Check, f.Key)
	p("")
	if f.UID != "" {
		p("- uid %s, principal %s", f.UID, f.Principal)
	}
	p("- %s", f.Detail)
	if len(f.Conditions) > 0 {
		p("- conditions at the end:")
		for _, c := range f.Conditions {
			p("  - %s", c)
		}
	}
	p("")
	cs := callsConcerning(f, calls)
	if len(cs) > 0 {
		p("Graph calls that concern it (%d):", len(cs))
		p("")
		callTable(p, cs, 40)
	}
}

func callTable(p func(string, ...any), cs []emuCall, limit int) {
	p("| time | operation | path | status | fault |")
	p("|---|---|---|---|---|")
	for i, c := range cs {
		if i == limit {
			p("| … | %d more | | | |", len(cs)-i)
			break
		}
		fault := ""
		if c.Fault {
			fault = "yes"
		}
		path := c.Path
		if c.RequestBody != "" && c.Operation == "createRequest" {
			path += " " + shorten(c.RequestBody, 160)
		}
		p("| %s | %s | `%s` | %d | %s |", stamp(c.Time), opKey(c), strings.ReplaceAll(path, "|", "\\|"), c.Status, fault)
	}
	p("")
}

func describeObjects(rs []record) string {
	var n, twins, elig, cancel, del, orphan, denied, never int
	starts := map[startKind]int{}
	for _, r := range rs {
		if r.TwinOf >= 0 {
			twins++
		} else {
			n++
		}
		if r.Kind == kindEligibility {
			elig++
		}
		starts[r.Start]++
		if r.CancelAt >= 0 {
			cancel++
		}
		if r.DeleteAt >= 0 {
			del++
		}
		if r.Orphan {
			orphan++
		}
		if r.Denied {
			denied++
		}
		if r.Created.IsZero() {
			never++
		}
	}
	s := fmt.Sprintf("N = %d, plus %d twins (a second object for the same triple, as a GitOps rename makes, deleted later): "+
		"%d assignments and %d eligibilities; starting now %d, within minutes %d, in 24 h %d; %d set cancelled: true, "+
		"%d deleted, %d with deletionPolicy Orphan, %d asking for a group no policy permits",
		n, twins, len(rs)-elig, elig, starts[startNow], starts[startSoon], starts[startFar], cancel, del, orphan, denied)
	if never > 0 {
		s += fmt.Sprintf("; %d not created: %s", never, strings.Join(skipped(rs), "; "))
	}
	return s
}

func skipped(rs []record) []string {
	var out []string
	for _, r := range rs {
		if r.Created.IsZero() {
			out = append(out, r.key()+" ("+orDash(r.Skipped)+")")
		}
	}
	return out
}

func policyNote(r *results) string {
	if r.PolicyMode == "disabled" && !r.EligibilityGranted {
		return " (the PIMAccessPolicy CRD in this tree has no eligibility grant, so eligibility objects could not be permitted under enforce)"
	}
	if r.PolicyMode == "enforce" {
		return " (a PIMAccessPolicy permits the soak's namespaces, groups and durations)"
	}
	return ""
}

func faultList(c config) string {
	var names []string
	for _, k := range faultKinds(c.Latency) {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

// redact shortens the paths in the flags (temporary files) to their base names.
func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "/") {
			a = "…/" + a[strings.LastIndex(a, "/")+1:]
		}
		if strings.HasPrefix(a, "http://127.0.0.1:") {
			a = "http://127.0.0.1:PORT/v1.0"
		}
		out[i] = a
	}
	return out
}

func failoverSummary(fs []failover) string {
	var ds []time.Duration
	for _, f := range fs {
		if f.Err == "" && f.FirstWork > 0 {
			ds = append(ds, f.FirstWork)
		}
	}
	if len(ds) == 0 {
		return "—"
	}
	slices.Sort(ds)
	return fmt.Sprintf("%d: min %s, median %s, max %s", len(ds), dur(ds[0]), dur(ds[len(ds)/2]), dur(ds[len(ds)-1]))
}

func opsOf(cs []emuCall) string {
	if len(cs) == 0 {
		return ""
	}
	m := map[string]int{}
	for _, c := range cs {
		m[opKey(c)]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func ratio(a, b int) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
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

func durOrDash(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return dur(d)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func stampOrDash(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return stamp(t)
}
