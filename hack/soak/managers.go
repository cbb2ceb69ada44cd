package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pim-operator/pim-operator/internal/childproc"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// replicas runs the operator as two bin/manager processes with leader election, as a
// Deployment with two replicas would: a replica that exits (killed by the soak, or on its own)
// is started again after restartDelay, as the kubelet would, with a log file of its own.
type replicas struct {
	bin          string
	args         []string // every flag but the probe address
	dir          string
	restartDelay time.Duration
	logf         func(string, ...any)

	mu    sync.Mutex
	slots []*slot
	wg    sync.WaitGroup
}

type slot struct {
	id   int
	mu   sync.Mutex
	cur  *life
	runs []*life
}

// life is one process of a replica, from start to exit.
type life struct {
	slot    int
	gen     int
	proc    *childproc.Child
	exitAt  time.Time
	leading leaderWatch
}

// leaderWatch reads a manager's log as it grows, for the moment it became the leader
// (controller-runtime starts the controllers only then).
type leaderWatch struct {
	mu     sync.Mutex
	offset int64
	at     time.Time
}

func (l *life) name() string { return fmt.Sprintf("manager-%d.%d", l.slot, l.gen) }

// leaderSince is when this process started its controllers, reading any new log lines first.
func (l *life) leaderSince() time.Time {
	w := &l.leading
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.at.IsZero() {
		return w.at
	}
	f, err := os.Open(l.proc.LogPath)
	if err != nil {
		return time.Time{}
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(w.offset, 0); err != nil {
		return time.Time{}
	}
	rd := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := rd.ReadBytes('\n')
		if err != nil {
			return time.Time{} // a partial line is read again next time
		}
		w.offset += int64(len(line))
		if e, ok := parseLogLine(line); ok && isLeaderStart(e) {
			w.at = e.ts
			return w.at
		}
	}
}

func startReplicas(ctx context.Context, n int, bin string, args []string, dir string, restartDelay time.Duration, logf func(string, ...any)) *replicas {
	rs := &replicas{bin: bin, args: args, dir: dir, restartDelay: restartDelay, logf: logf}
	for i := range n {
		s := &slot{id: i}
		rs.slots = append(rs.slots, s)
		rs.wg.Go(func() { rs.supervise(ctx, s) })
	}
	return rs
}

func (rs *replicas) supervise(ctx context.Context, s *slot) {
	for gen := 0; ctx.Err() == nil; gen++ {
		probe, err := testenv.FreeLocalAddr()
		if err != nil {
			rs.logf("replica %d: no free port: %v", s.id, err)
			return
		}
		l := &life{slot: s.id, gen: gen}
		args := append(append([]string{}, rs.args...), "--health-probe-bind-address", probe)
		p, err := childproc.Start(l.name(), filepath.Join(rs.dir, l.name()+".log"), rs.bin, nil, args...)
		if err != nil {
			rs.logf("replica %d: %v", s.id, err)
			if !sleepUntil(ctx, time.Now().Add(rs.restartDelay)) {
				return
			}
			continue
		}
		l.proc = p
		s.mu.Lock()
		s.cur = l
		s.runs = append(s.runs, l)
		s.mu.Unlock()
		select {
		case <-p.Done():
		case <-ctx.Done():
			p.Stop(10 * time.Second)
		}
		l.exitAt = time.Now()
		if ctx.Err() != nil {
			return
		}
		if !p.Killed() {
			rs.logf("replica %d: %s exited on its own (%s); last lines:\n    %s", s.id, l.name(), p.ExitSummary(),
				strings.Join(tail(p.LogPath, 5), "\n    "))
		}
		if !sleepUntil(ctx, time.Now().Add(rs.restartDelay)) {
			return
		}
	}
}

// wait stops nothing: it returns when every supervisor has (after ctx is cancelled).
func (rs *replicas) wait() { rs.wg.Wait() }

// leader is the running process that leads, or nil.
func (rs *replicas) leader() *life {
	for _, s := range rs.slots {
		s.mu.Lock()
		l := s.cur
		s.mu.Unlock()
		if l != nil && !exited(l.proc) && !l.leaderSince().IsZero() {
			return l
		}
	}
	return nil
}

// waitLeader waits for a leader, up to timeout.
func (rs *replicas) waitLeader(ctx context.Context, timeout time.Duration) *life {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := rs.leader(); l != nil {
			return l
		}
		if !sleepUntil(ctx, time.Now().Add(200*time.Millisecond)) {
			return nil
		}
	}
	return nil
}

func (rs *replicas) lives() []*life {
	var out []*life
	for _, s := range rs.slots {
		s.mu.Lock()
		out = append(out, s.runs...)
		s.mu.Unlock()
	}
	return out
}

// managerFlags lists the flags the manager binary accepts (`manager -help`), so that the soak
// passes only flags this build knows.
func managerFlags(ctx context.Context, bin string) (map[string]bool, error) {
	cmd := exec.CommandContext(ctx, bin, "-help")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // exit status 0 or 2 depending on the flag package's mode
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`).FindAllStringSubmatch(out.String(), -1) {
		flags[m[1]] = true
	}
	if !flags["kubeconfig"] || !flags["leader-elect"] {
		return nil, fmt.Errorf("%s -help lists no --kubeconfig or --leader-elect:\n%s", bin, out.String())
	}
	return flags, nil
}

// logEntry is one line of a manager's log (controller-runtime's zap JSON).
type logEntry struct {
	ts    time.Time
	level string
	msg   string
	raw   map[string]any
}

func parseLogLine(line []byte) (logEntry, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return logEntry{}, false
	}
	var m map[string]any
	if json.Unmarshal(line, &m) != nil {
		return logEntry{}, false
	}
	e := logEntry{raw: m}
	e.level, _ = m["level"].(string)
	e.msg, _ = m["msg"].(string)
	switch ts := m["ts"].(type) {
	case string:
		e.ts, _ = time.Parse(time.RFC3339Nano, ts)
	case float64:
		sec := int64(ts)
		e.ts = time.Unix(sec, int64((ts-float64(sec))*1e9))
	}
	return e, !e.ts.IsZero()
}

// isLeaderStart: controller-runtime starts the controllers once the Lease is won.
func isLeaderStart(e logEntry) bool {
	return e.msg == "Starting Controller" || e.msg == "Starting EventSource"
}

// isReconcile: a line logged inside a reconcile (controller-runtime's logger carries the
// reconcile's id); with --zap-log-level=debug the reconciler logs every decision.
func isReconcile(e logEntry) bool { _, ok := e.raw["reconcileID"]; return ok }

// panicRE finds what must never be in a manager's log: a panic (recovered by controller-runtime
// or not), a fatal or panic level line, the Go runtime's fatal errors, a data race.
var panicRE = regexp.MustCompile(`(?i)\bpanic\b|"level":"(dpanic|panic|fatal)"|^fatal error:|WARNING: DATA RACE|^goroutine \d+ \[running\]`)

// logScan is what one process's log says.
type logScan struct {
	LeaderAt, FirstReconcileAt time.Time
	Panics                     []string
	// Errors counts error-level lines by message.
	Errors map[string]int
	Lines  int
}

func scanLog(path string) logScan {
	s := logScan{Errors: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return s
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		s.Lines++
		if panicRE.Match(line) {
			s.Panics = append(s.Panics, string(line))
		}
		e, ok := parseLogLine(line)
		if !ok {
			continue
		}
		if s.LeaderAt.IsZero() && isLeaderStart(e) {
			s.LeaderAt = e.ts
		}
		if !s.LeaderAt.IsZero() && s.FirstReconcileAt.IsZero() && isReconcile(e) {
			s.FirstReconcileAt = e.ts
		}
		if e.level == "error" {
			msg := e.msg
			if errText, ok := e.raw["error"].(string); ok {
				msg += ": " + shorten(errText, 120)
			}
			s.Errors[msg]++
		}
	}
	return s
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// failover is the time from the leader's end (a SIGKILL, or its own exit) to the new leader
// starting its controllers and to its first reconcile.
type failover struct {
	Cause                  string
	From, To               string
	At                     time.Time
	LeaderAfter, FirstWork time.Duration
	// Reads are the Graph GETs in the first resyncWindow of the new leader: it reconciles
	// every object when it starts, and reads Graph for each live or pending one.
	Reads int
	Err   string
}

const resyncWindow = 30 * time.Second

// countResyncReads fills in each failover's Reads from the call log.
func countResyncReads(fs []failover, calls []emuCall) {
	for i := range fs {
		if fs[i].To == "" {
			continue
		}
		from := fs[i].At.Add(fs[i].LeaderAfter)
		for _, c := range calls {
			if c.Method == "GET" && !c.Time.Before(from) && c.Time.Before(from.Add(resyncWindow)) {
				fs[i].Reads++
			}
		}
	}
}

// failovers pairs every end of a leading process before stopAt (when the soak began to stop
// the replicas) with the next process that led.
func failovers(lives []*life, scans map[*life]logScan, stopAt time.Time) []failover {
	var out []failover
	for _, l := range lives {
		sc := scans[l]
		if sc.LeaderAt.IsZero() || l.exitAt.IsZero() || (!l.proc.Killed() && !l.exitAt.Before(stopAt)) {
			continue
		}
		end := l.exitAt
		cause := "exited on its own (" + l.proc.ExitSummary() + ")"
		if l.proc.Killed() {
			end, cause = l.proc.KilledAt(), "SIGKILL"
		}
		f := failover{Cause: cause, From: l.name(), At: end}
		var next *life
		for _, m := range lives {
			ms := scans[m]
			if m == l || ms.LeaderAt.IsZero() || ms.LeaderAt.Before(end) {
				continue
			}
			if next == nil || ms.LeaderAt.Before(scans[next].LeaderAt) {
				next = m
			}
		}
		if next == nil {
			f.Err = "no process led afterwards"
			out = append(out, f)
			continue
		}
		ns := scans[next]
		f.To, f.LeaderAfter = next.name(), ns.LeaderAt.Sub(end)
		if !ns.FirstReconcileAt.IsZero() {
			f.FirstWork = ns.FirstReconcileAt.Sub(end)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
