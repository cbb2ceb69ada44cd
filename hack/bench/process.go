package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pim-operator/pim-operator/internal/childproc"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// managerProcess is bin/manager run as its own process, so that its memory is its own: the
// bench process (driver, emulator, informers) is not in its RSS.
type managerProcess struct {
	*childproc.Child
	pprofAddr string
	sampler   *rssSampler
}

// buildManager compiles the manager as `make build` does (static, -trimpath) into dir.
func buildManager(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "manager")
	return out, childproc.Build(ctx, root, out, ".", false)
}

// managerHasFlag reports whether the manager binary knows a flag (`manager -help`).
func managerHasFlag(bin, name string) bool {
	b, _ := exec.Command(bin, "-help").CombinedOutput()
	return regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `\b`).Match(b)
}

// startManagerProcess starts bin with args plus --pprof-bind-address on a free loopback port,
// its output in logPath, and starts sampling its RSS.
func startManagerProcess(bin, logPath string, env []string, args ...string) (*managerProcess, error) {
	pprofAddr, err := testenv.FreeLocalAddr()
	if err != nil {
		return nil, err
	}
	c, err := childproc.Start("manager", logPath, bin, append([]string{}, env...), append(args, "--pprof-bind-address", pprofAddr)...)
	if err != nil {
		return nil, err
	}
	return &managerProcess{Child: c, pprofAddr: pprofAddr, sampler: startRSSSampler(c.Pid(), 100*time.Millisecond)}, nil
}

// waitReady waits until the manager serves pprof (it has started) or exits.
func (p *managerProcess) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if done, err := p.Exited(); done {
			return fmt.Errorf("the manager exited: %v; its log: %s", err, p.LogPath)
		}
		if resp, err := http.Get("http://" + p.pprofAddr + "/debug/pprof/"); err == nil {
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the manager did not serve pprof within %s; its log: %s", timeout, p.LogPath)
}

// stop ends the manager as the kubelet would (SIGTERM, then SIGKILL after 30 s); an exit of
// its own before that is its error.
func (p *managerProcess) stop() error {
	p.sampler.close()
	if done, err := p.Exited(); done {
		return err
	}
	p.Stop(30 * time.Second)
	return nil
}

// heapStats are the manager's runtime.MemStats as net/http/pprof prints them with the heap
// profile (?debug=1), after a collection (?gc=1).
type heapStats struct {
	HeapAlloc, HeapInuse, HeapIdle, HeapReleased, HeapSys, Sys uint64
}

var memStatRE = regexp.MustCompile(`(?m)^# (\w+) = (\d+)`)

func (p *managerProcess) heapStats(ctx context.Context) (heapStats, error) {
	b, err := p.get(ctx, "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return heapStats{}, err
	}
	var s heapStats
	for _, m := range memStatRE.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.ParseUint(m[2], 10, 64)
		switch m[1] {
		case "HeapAlloc":
			s.HeapAlloc = v
		case "HeapInuse":
			s.HeapInuse = v
		case "HeapIdle":
			s.HeapIdle = v
		case "HeapReleased":
			s.HeapReleased = v
		case "HeapSys":
			s.HeapSys = v
		case "Sys":
			s.Sys = v
		}
	}
	return s, nil
}

// writeHeapProfile saves the manager's heap profile (after a collection) for go tool pprof.
func (p *managerProcess) writeHeapProfile(ctx context.Context, path string) error {
	b, err := p.get(ctx, "/debug/pprof/heap?gc=1")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func (p *managerProcess) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.pprofAddr+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// rssSampler reads another process's VmRSS every interval and keeps the peak since the last
// reset (of RSS and of its anonymous part); it also resets the kernel's high-water mark (VmHWM)
// with /proc/<pid>/clear_refs.
type rssSampler struct {
	*ticking
	pid            int
	mu             sync.Mutex
	peak, peakAnon uint64
}

func startRSSSampler(pid int, interval time.Duration) *rssSampler {
	s := &rssSampler{pid: pid}
	s.ticking = every(interval, func() { s.sample() })
	return s
}

func (s *rssSampler) sample() procMem {
	m := procStatusOf(strconv.Itoa(s.pid))
	s.mu.Lock()
	s.peak = max(s.peak, m.RSS)
	s.peakAnon = max(s.peakAnon, m.Anon)
	s.mu.Unlock()
	return m
}

// reset starts a new peak; it reports whether the kernel's VmHWM was reset too.
func (s *rssSampler) reset() bool {
	s.mu.Lock()
	s.peak, s.peakAnon = 0, 0
	s.mu.Unlock()
	s.sample()
	return os.WriteFile("/proc/"+strconv.Itoa(s.pid)+"/clear_refs", []byte("5"), 0) == nil
}

// now is the process's memory now, and the peaks of its RSS and of its anonymous part since
// the reset as sampled.
func (s *rssSampler) now() (m procMem, peak, peakAnon uint64) {
	m = s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return m, s.peak, s.peakAnon
}

// procMem is a process's memory as /proc/<pid>/status gives it, in bytes: VmHWM, VmRSS and
// its parts RssAnon (heap, stacks: the process's own) and RssFile (pages of mapped files: the
// binary's code and read-only data, shared with the page cache).
type procMem struct{ HWM, RSS, Anon, File uint64 }

// procStatusOf reads a process's memory (zero when unavailable).
func procStatusOf(pid string) (m procMem) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return m
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmHWM":
			m.HWM = kb << 10
		case "VmRSS":
			m.RSS = kb << 10
		case "RssAnon":
			m.Anon = kb << 10
		case "RssFile":
			m.File = kb << 10
		}
	}
	return m
}
