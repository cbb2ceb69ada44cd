package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/pim-operator/pim-operator/internal/childproc"
)

// emulator is the Graph emulator process (hack/graph-emulator) and its control API.
type emulator struct {
	proc *childproc.Child
	base string // http://127.0.0.1:PORT
	http *http.Client
}

var emulatorURL = regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/v1\.0`)

// startEmulator starts the emulator on a port the kernel picks (it prints its URL) and waits
// until its control API answers.
func startEmulator(ctx context.Context, bin, logPath string, args ...string) (*emulator, error) {
	p, err := childproc.Start("graph-emulator", logPath, bin, nil, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	if err != nil {
		return nil, err
	}
	e := &emulator{proc: p, http: &http.Client{Timeout: time.Minute}}
	deadline := time.Now().Add(time.Minute)
	for e.base == "" {
		if time.Now().After(deadline) || exited(p) || ctx.Err() != nil {
			p.Stop(time.Second)
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("the Graph emulator printed no URL (%s):\n%s", p.ExitSummary(), b)
		}
		b, _ := os.ReadFile(logPath)
		if m := emulatorURL.FindSubmatch(b); m != nil {
			e.base = "http://" + string(m[1])
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		var clock struct{ Now time.Time }
		if err := e.control(ctx, http.MethodGet, "/_emulator/clock", nil, &clock); err == nil {
			return e, nil
		} else if time.Now().After(deadline) {
			p.Stop(time.Second)
			return nil, fmt.Errorf("the Graph emulator at %s does not answer: %w", e.base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *emulator) graphURL() string { return e.base + "/v1.0" }

// control calls the control API: body is sent as JSON unless nil, a 2xx answer decoded into
// out unless nil.
func (e *emulator) control(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, rd)
	if err != nil {
		return err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

// The emulator's JSON, as its control API serves it (internal/graphemu's Request, Schedule and
// Call), reduced to what the soak reads. Kept here rather than imported, so that the soak reads
// the emulator the way any client of its process would.
type (
	emuRequest struct {
		ID               string    `json:"id"`
		Kind             string    `json:"kind"`
		Status           string    `json:"status"`
		Action           string    `json:"action"`
		AccessID         string    `json:"accessId"`
		PrincipalID      string    `json:"principalId"`
		GroupID          string    `json:"groupId"`
		TargetScheduleID string    `json:"targetScheduleId"`
		Justification    string    `json:"justification"`
		CreatedDateTime  time.Time `json:"createdDateTime"`
	}
	emuSchedule struct {
		ID            string     `json:"id"`
		Kind          string     `json:"kind"`
		Status        string     `json:"status"`
		AccessID      string     `json:"accessId"`
		PrincipalID   string     `json:"principalId"`
		GroupID       string     `json:"groupId"`
		CreatedUsing  string     `json:"createdUsing"`
		EndedDateTime *time.Time `json:"endedDateTime"`
		EndReason     string     `json:"endReason"`
	}
	emuCall struct {
		Time        time.Time `json:"time"`
		Kind        string    `json:"kind"`
		Operation   string    `json:"operation"`
		Method      string    `json:"method"`
		Path        string    `json:"path"`
		Action      string    `json:"action"`
		RequestBody string    `json:"requestBody"`
		Status      int       `json:"status"`
		Fault       bool      `json:"fault"`
	}
)

func (s emuSchedule) live() bool { return s.EndedDateTime == nil }

// graphState is a snapshot of everything the emulator holds, of both kinds.
type graphState struct {
	Requests  []emuRequest
	Schedules []emuSchedule
}

func (e *emulator) state(ctx context.Context) (graphState, error) {
	var st graphState
	for _, p := range []struct {
		path string
		reqs *[]emuRequest
		sch  *[]emuSchedule
	}{
		{path: "/_emulator/requests", reqs: &st.Requests},
		{path: "/_emulator/eligibilityRequests", reqs: &st.Requests},
		{path: "/_emulator/schedules", sch: &st.Schedules},
		{path: "/_emulator/eligibilitySchedules", sch: &st.Schedules},
	} {
		if p.reqs != nil {
			var rs []emuRequest
			if err := e.control(ctx, http.MethodGet, p.path, nil, &rs); err != nil {
				return st, err
			}
			*p.reqs = append(*p.reqs, rs...)
			continue
		}
		var ss []emuSchedule
		if err := e.control(ctx, http.MethodGet, p.path, nil, &ss); err != nil {
			return st, err
		}
		*p.sch = append(*p.sch, ss...)
	}
	return st, nil
}

func (e *emulator) calls(ctx context.Context) ([]emuCall, error) {
	var calls []emuCall
	return calls, e.control(ctx, http.MethodGet, "/_emulator/calls", nil, &calls)
}

// faultJSON is the control API's fault (durations as Go duration strings).
type faultJSON struct {
	Operation        string  `json:"operation,omitempty"`
	Status           int     `json:"status,omitempty"`
	Code             string  `json:"code,omitempty"`
	Message          string  `json:"message,omitempty"`
	RetryAfter       string  `json:"retryAfter,omitempty"`
	Body             string  `json:"body,omitempty"`
	Latency          string  `json:"latency,omitempty"`
	ResetBeforeApply bool    `json:"resetBeforeApply,omitempty"`
	DropAfterApply   bool    `json:"dropAfterApply,omitempty"`
	Rate             float64 `json:"rate,omitempty"`
}

// faultKinds are what the soak injects, on every Graph operation, each with an equal share of
// the fault rate. Faults are tried in order and at most one fires per call.
func faultKinds(latency time.Duration) []struct {
	Name  string
	Fault faultJSON
} {
	return []struct {
		Name  string
		Fault faultJSON
	}{
		{"429 Too Many Requests with Retry-After: 2", faultJSON{Status: http.StatusTooManyRequests, RetryAfter: "2s"}},
		{"503 Service Unavailable (Graph's error body)", faultJSON{Status: http.StatusServiceUnavailable}},
		{"500 with a {} body", faultJSON{Status: http.StatusInternalServerError, Body: "{}"}},
		{"502 with an HTML body", faultJSON{Status: http.StatusBadGateway,
			Body: "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"}},
		{"drop after apply (the change happens, the answer is lost)", faultJSON{DropAfterApply: true}},
		{"reset before apply (nothing happens, the connection resets)", faultJSON{ResetBeforeApply: true}},
		{fmt.Sprintf("added latency of %s", latency), faultJSON{Latency: latency.String()}},
	}
}

// injectFaults sets every fault kind at an equal share of rate: the k-th fault (0-based) fires
// with probability share ÷ (1 − k·share) among the calls the earlier ones left, so that each
// fires on share of all calls and some fault on rate of them.
func (e *emulator) injectFaults(ctx context.Context, rate float64, latency time.Duration) error {
	kinds := faultKinds(latency)
	share := rate / float64(len(kinds))
	for k, f := range kinds {
		f.Fault.Rate = share / (1 - float64(k)*share)
		if err := e.control(ctx, http.MethodPost, "/_emulator/faults", f.Fault, nil); err != nil {
			return err
		}
	}
	return nil
}

func (e *emulator) clearFaults(ctx context.Context) error {
	return e.control(ctx, http.MethodDelete, "/_emulator/faults", nil, nil)
}

func (e *emulator) setListLag(ctx context.Context, d time.Duration) error {
	return e.control(ctx, http.MethodPut, "/_emulator/settings", map[string]string{"listLag": d.String()}, nil)
}
