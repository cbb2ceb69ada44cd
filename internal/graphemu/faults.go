package graphemu

import (
	"bytes"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault makes Graph misbehave. It matches calls by Operation ("" = every operation) and, for
// createRequest, by Action ("" = any action). Faults are tried in the order they were added;
// the first that matches and fires decides the call, and only one fires per call:
//
//   - Latency delays the call first (alone, it only delays).
//   - DropAfterApply performs the call, then drops the TCP connection without any answer (the
//     client sees a connection error, yet the change happened).
//   - Otherwise a Status or Body answers instead of Graph, and nothing changes. With Body
//     empty the answer is Graph's error body with Code and Message (defaults follow Status);
//     with Body set it is sent verbatim (Status 0 means 200) with ContentType (default: JSON,
//     or text/html when Body starts with '<').
//
// RetryAfter sets the Retry-After header in whole seconds, rounded up; a 429 without one gets
// "Retry-After: 1", and a negative RetryAfter sends none.
type Fault struct {
	Operation      string
	Action         string
	Status         int
	Code           string
	Message        string
	RetryAfter     time.Duration
	Body           string
	ContentType    string
	Latency        time.Duration
	DropAfterApply bool
	// Rate is the probability that a matching call fires the fault; 0 means always. Draws
	// come from the emulator's seeded source (Options.Seed).
	Rate float64
	// Count is how many times the fault fires before it is spent; 0 means without limit.
	Count int
}

// faultState is a Fault and how many firings it has left.
type faultState struct {
	Fault
	fired int
}

// AddFault adds a fault after those already set.
func (e *Emulator) AddFault(f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
}

// Faults returns the faults not yet spent.
func (e *Emulator) Faults() []Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []Fault{}
	for _, f := range e.faults {
		out = append(out, f.Fault)
	}
	return out
}

// pickFault returns a copy of the fault that fires for this call, or nil.
func (e *Emulator) pickFault(op, action string) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.Action != "" && (op != OpCreateRequest || !strings.EqualFold(f.Action, action)) {
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
func (e *Emulator) writeFault(w http.ResponseWriter, f *Fault) {
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

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2, a wrapping middleware): abort the response instead.
	panic(http.ErrAbortHandler)
}
