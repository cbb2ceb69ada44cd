package graphemu

import (
	"bytes"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault makes Graph misbehave. It matches calls by Kind ("" = both kinds), Operation ("" =
// every operation) and, for createRequest, by Action ("" = any action). Faults are tried in
// the order they were added; the first that matches and fires decides the call, and only one
// fires per call:
//
//   - Latency delays the call first (alone, it only delays).
//   - ResetBeforeApply resets the TCP connection without performing the call or answering it
//     (the client sees a connection error, and nothing happened).
//   - DropAfterApply performs the call, then drops the TCP connection without any answer (the
//     client sees a connection error, yet the change happened).
//   - Otherwise a Status or Body answers instead of Graph, and nothing changes. With Body
//     empty the answer is Graph's error body with Code and Message (defaults follow Status; a
//     404 for an id says what a real miss says, so it can stand for a replication delay or a
//     purge); with Body set it is sent verbatim (Status 0 means 200) with ContentType (default:
//     JSON, or text/html when Body starts with '<').
//
// RetryAfter sets the Retry-After header in whole seconds, rounded up; a 429 without one gets
// "Retry-After: 1", and a negative RetryAfter sends none.
//
// Go's http.Transport retries an idempotent request (GET) once on its own when a reused
// connection fails before any answer, as it would against Graph: a Count 1 connection fault
// on a GET may then go unseen by the client.
type Fault struct {
	Kind             string
	Operation        string
	Action           string
	Status           int
	Code             string
	Message          string
	RetryAfter       time.Duration
	Body             string
	ContentType      string
	Latency          time.Duration
	ResetBeforeApply bool
	DropAfterApply   bool
	// Rate is the probability that a matching call fires the fault; 0 means always. Draws
	// come from the emulator's seeded source (Options.Seed).
	Rate float64
	// Count is how many times the fault fires before it is spent; 0 means without limit.
	Count int
	// ActiveFor limits the fault to a window of the emulator's clock that opens when the fault
	// is added; 0 means no limit. With Count too, whichever ends first ends the fault.
	ActiveFor time.Duration
}

// faultState is a Fault, how many times it fired and when its window closes.
type faultState struct {
	Fault
	fired int
	until time.Time // zero: no window
}

func (f *faultState) expired(now time.Time) bool { return !f.until.IsZero() && !now.Before(f.until) }

// AddFault adds a fault after those already set.
func (e *Emulator) AddFault(f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := &faultState{Fault: f}
	if f.ActiveFor > 0 {
		st.until = e.clock.now().Add(f.ActiveFor)
	}
	e.faults = append(e.faults, st)
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
}

// Faults returns the faults not yet spent, nor past their window.
func (e *Emulator) Faults() []Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropExpiredFaultsLocked()
	out := []Fault{}
	for _, f := range e.faults {
		out = append(out, f.Fault)
	}
	return out
}

func (e *Emulator) dropExpiredFaultsLocked() {
	now := e.clock.now()
	e.faults = slices.DeleteFunc(e.faults, func(f *faultState) bool { return f.expired(now) })
}

// pickFault returns a copy of the fault that fires for this call, or nil.
func (e *Emulator) pickFault(c Call) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropExpiredFaultsLocked()
	for i, f := range e.faults {
		if f.Kind != "" && f.Kind != c.Kind {
			continue
		}
		if f.Operation != "" && f.Operation != c.Operation {
			continue
		}
		if f.Action != "" && (c.Operation != OpCreateRequest || !strings.EqualFold(f.Action, c.Action)) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && e.rand.Float64() >= f.Rate {
			continue
		}
		f.fired++
		fired := f.Fault
		if f.Count > 0 && f.fired >= f.Count {
			e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
		}
		return &fired
	}
	return nil
}

// writeFault answers a call with the fault instead of Graph.
func (e *Emulator) writeFault(w http.ResponseWriter, f *Fault, rt route) {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case f.RetryAfter > 0:
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
	case f.RetryAfter == 0 && status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
	}
	switch {
	case f.Body != "":
		ct := f.ContentType
		if ct == "" {
			ct = "application/json"
			if bytes.HasPrefix(bytes.TrimSpace([]byte(f.Body)), []byte("<")) {
				ct = "text/html; charset=utf-8"
			}
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
	case status < 400:
		w.WriteHeader(status)
	case status == http.StatusNotFound && f.Code == "" && f.Message == "" && rt.id != "":
		writeGraphError(w, e.Now(), notFound(rt.entity(), rt.id))
	default:
		writeGraphError(w, e.Now(), &apiError{status: status, code: f.Code, message: f.Message})
	}
}

// bufferWriter is a ResponseWriter that keeps the answer, for DropAfterApply.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferWriter() *bufferWriter { return &bufferWriter{header: http.Header{}} }

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// dropConnection closes the client's connection without an answer; with reset, as a TCP
// reset (what a load balancer or a crashed front end sends) rather than an orderly close.
func dropConnection(w http.ResponseWriter, reset bool) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok && reset {
				_ = tcp.SetLinger(0)
			}
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2, a wrapping middleware): abort the response instead.
	panic(http.ErrAbortHandler)
}
