package main

import (
	"maps"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
)

// writeCounter counts the API-server calls made through one rest.Config, at the client
// transport: writes by "verb resource[/subresource]", reads in one number.
type writeCounter struct {
	mu     sync.Mutex
	writes map[string]int
	// failed counts the writes answered with an error, by "verb resource → status".
	failed map[string]int
	reads  atomic.Int64
}

func newWriteCounter() *writeCounter {
	return &writeCounter{writes: map[string]int{}, failed: map[string]int{}}
}

// wrap returns a copy of cfg whose transport counts into c.
func (c *writeCounter) wrap(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &countingTransport{next: rt, c: c} })
	return out
}

// snapshot is a copy of the write counts.
func (c *writeCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.writes)
}

// failedSnapshot is a copy of the failed-write counts.
func (c *writeCounter) failedSnapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.failed)
}

type countingTransport struct {
	next http.RoundTripper
	c    *writeCounter
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	verb := ""
	switch req.Method {
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
	}
	if verb == "" { // GET, LIST, WATCH (and HEAD/OPTIONS, which nothing here sends)
		t.c.reads.Add(1)
		return t.next.RoundTrip(req)
	}
	key := verb + " " + resourceOf(req.URL.Path)
	t.c.mu.Lock()
	t.c.writes[key]++
	t.c.mu.Unlock()
	resp, err := t.next.RoundTrip(req)
	status := "no answer"
	switch {
	case err == nil && resp.StatusCode < 400:
		return resp, err
	case err == nil:
		status = strconv.Itoa(resp.StatusCode)
	}
	t.c.mu.Lock()
	t.c.failed[key+" → "+status]++
	t.c.mu.Unlock()
	return resp, err
}

// resourceOf turns an API path into "resource" or "resource/subresource":
// /apis/g/v/namespaces/ns/res/name/sub → res/sub; /api/v1/namespaces/ns → namespaces.
func resourceOf(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		segs = segs[2:]
	case len(segs) >= 3 && segs[0] == "apis":
		segs = segs[3:]
	default:
		return path
	}
	if len(segs) >= 3 && segs[0] == "namespaces" {
		segs = segs[2:]
	}
	switch len(segs) {
	case 0:
		return "namespaces"
	case 1, 2:
		return segs[0]
	default:
		return segs[0] + "/" + segs[2]
	}
}

// diff is after − before, without zero entries.
func diff(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// memSampler samples the Go heap every interval and keeps the peak since the last reset.
// The heap and the RSS are the whole bench process: manager, Graph emulator, driver.
type memSampler struct {
	*ticking
	mu       sync.Mutex
	peakHeap uint64
}

func startMemSampler(interval time.Duration) *memSampler {
	s := &memSampler{}
	s.ticking = every(interval, func() { s.sample() })
	return s
}

// ticking calls a function at once and then every interval until close.
type ticking struct {
	stop, done chan struct{}
	closeOnce  sync.Once
}

func every(interval time.Duration, f func()) *ticking {
	t := &ticking{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			f()
			select {
			case <-t.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return t
}

func (t *ticking) close() {
	t.closeOnce.Do(func() { close(t.stop) })
	<-t.done
}

func (s *memSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.mu.Lock()
	s.peakHeap = max(s.peakHeap, ms.HeapAlloc)
	s.mu.Unlock()
}

// reset starts a new peak: the heap's, and the kernel's RSS high-water mark (VmHWM), which
// writing 5 to /proc/self/clear_refs resets (Linux ≥ 4.0). It reports whether VmHWM was reset.
func (s *memSampler) reset() bool {
	s.mu.Lock()
	s.peakHeap = 0
	s.mu.Unlock()
	s.sample()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

func (s *memSampler) peak() uint64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakHeap
}

// procStatus reads VmHWM and VmRSS of the bench process, in bytes (0 when unavailable).
func procStatus() (hwm, rss uint64) {
	m := procStatusOf("self")
	return m.HWM, m.RSS
}

// liveHeap is the heap in use right after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// cpuTimes are the CPU seconds (user + system) used so far by the bench process and by the
// control plane envtest started as its children, by command name.
type cpuTimes map[string]time.Duration

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's utime and stime (100 on Linux).
const clockTick = 10 * time.Millisecond

func sampleCPU() cpuTimes {
	out := cpuTimes{}
	self := os.Getpid()
	if _, t, ok := procCPU(strconv.Itoa(self)); ok {
		out["bench process"] = t
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := statFields(string(stat))
		if len(f) < 2 || f[1] != strconv.Itoa(self) {
			continue
		}
		if comm, t, ok := procCPU(e.Name()); ok {
			out[comm] += t
		}
	}
	return out
}

// statFields are the fields of /proc/<pid>/stat after the command name: state, ppid, ...
func statFields(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}

func procCPU(pid string) (comm string, t time.Duration, ok bool) {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return "", 0, false
	}
	s := string(stat)
	if a, b := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')'); a >= 0 && b > a {
		comm = s[a+1 : b]
	}
	f := statFields(s)
	if len(f) < 13 {
		return "", 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, false
	}
	return comm, time.Duration(utime+stime) * clockTick, true
}

func (c cpuTimes) since(before cpuTimes) cpuTimes {
	out := cpuTimes{}
	for k, v := range c {
		out[k] = v - before[k]
	}
	return out
}

func (c cpuTimes) total() time.Duration {
	var t time.Duration
	for _, v := range c {
		t += v
	}
	return t
}

// loadAvg is the 1-minute load average: how busy the shared machine was.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
