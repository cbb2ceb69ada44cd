package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/internal/childproc"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// waitTimeout bounds every wait of the test.
const waitTimeout = 60 * time.Second

// kubectl runs the real kubectl (the one built with kube-apiserver) with one kubeconfig.
type kubectl struct {
	t          *testing.T
	path       string
	kubeconfig string
	namespace  string
	// manager, when set, is checked after a failed command: a wait that times out because the
	// manager has died should say so.
	manager *childproc.Child
}

// run runs kubectl with stdin (may be empty) and returns stdout; stderr goes into the error.
// The command and its output go to the test log.
func (k kubectl) run(stdin string, args ...string) (string, error) {
	k.t.Helper()
	return k.exec(true, stdin, args...)
}

// exec runs kubectl; logOutput false logs the command without its stdout (JSON reads).
func (k kubectl) exec(logOutput bool, stdin string, args ...string) (string, error) {
	k.t.Helper()
	full := []string{"--kubeconfig", k.kubeconfig}
	if k.namespace != "" {
		full = append(full, "--namespace", k.namespace)
	}
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(rootCtx, waitTimeout+30*time.Second)
	defer cancel()
	start := time.Now()
	stdout, stderr, err := childproc.Run(ctx, testenv.RepoRoot(), nil, stdin, k.path, full...)
	shown := stdout
	if !logOutput && err == nil {
		shown = nil
	}
	k.t.Logf("$ kubectl %s  (%v)\n%s%s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), shown, stderr)
	if err != nil {
		msg := fmt.Sprintf("kubectl %s: %v\n%s", strings.Join(args, " "), err, stderr)
		if k.manager != nil {
			if done, werr := k.manager.Exited(); done {
				msg += fmt.Sprintf("\n(the manager has exited: %v)", werr)
			}
		}
		return string(stdout), fmt.Errorf("%s", msg)
	}
	return string(stdout), nil
}

// must runs kubectl and fails the test when it fails.
func (k kubectl) must(args ...string) string {
	k.t.Helper()
	out, err := k.run("", args...)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// apply applies YAML from stdin.
func (k kubectl) apply(yaml string) string {
	k.t.Helper()
	out, err := k.run(yaml, "apply", "-f", "-")
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// waitCondition waits (bounded) for a condition of PIMAssignmentRequests to be True.
func (k kubectl) waitCondition(condition string, names ...string) {
	k.t.Helper()
	args := []string{"wait", "--for=condition=" + condition, fmt.Sprintf("--timeout=%ds", int(waitTimeout.Seconds()))}
	for _, n := range names {
		args = append(args, "pimassignmentrequest/"+n)
	}
	k.must(args...)
}

// get reads one PIMAssignmentRequest as kubectl shows it.
func (k kubectl) get(name string) *accessv1alpha1.PIMAssignmentRequest {
	k.t.Helper()
	out, err := k.exec(false, "", "get", "pimassignmentrequest", name, "-o", "json")
	if err != nil {
		k.t.Fatal(err)
	}
	var obj accessv1alpha1.PIMAssignmentRequest
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		k.t.Fatalf("decoding %s: %v", name, err)
	}
	return &obj
}

// patchCancelled flips spec.cancelled to true, as a user (or Git) would.
func (k kubectl) patchCancelled(name string) {
	k.t.Helper()
	k.must("patch", "pimassignmentrequest", name, "--type", "merge", "-p", `{"spec":{"cancelled":true}}`)
}

// condition returns one condition of obj, failing the test when it is missing.
func condition(t *testing.T, obj *accessv1alpha1.PIMAssignmentRequest, typ string) metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(obj.Status.Conditions, typ)
	if c == nil {
		t.Fatalf("%s has no %s condition; conditions: %+v", obj.Name, typ, obj.Status.Conditions)
	}
	return *c
}

// expectCondition checks a condition's status and, when reason is not empty, its reason.
func expectCondition(t *testing.T, obj *accessv1alpha1.PIMAssignmentRequest, typ string, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	c := condition(t, obj, typ)
	if c.Status != status || (reason != "" && c.Reason != reason) {
		want := string(status)
		if reason != "" {
			want += "/" + reason
		}
		t.Errorf("%s: condition %s is %s/%s (%q), want %s", obj.Name, typ, c.Status, c.Reason, c.Message, want)
	}
	return c
}

// table is kubectl's human-readable output, split into cells by the header's columns
// (tabwriter aligns every cell with its header; headers such as "GRAPH STATUS" hold spaces).
type table struct {
	headers []string
	list    []map[string]string          // every row by header, in order
	rows    map[string]map[string]string // by NAME, then by header
}

func parseTable(t *testing.T, out string) table {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatalf("kubectl printed no table:\n%s", out)
	}
	header := lines[0]
	// A header starts where a capital letter follows at least two spaces (or the line start).
	starts := []int{0}
	for _, m := range regexp.MustCompile(`\s{2,}\S`).FindAllStringIndex(header, -1) {
		starts = append(starts, m[1]-1)
	}
	tb := table{rows: map[string]map[string]string{}}
	cell := func(line string, i int) string {
		if starts[i] >= len(line) {
			return ""
		}
		end := len(line)
		if i+1 < len(starts) && starts[i+1] < end {
			end = starts[i+1]
		}
		return strings.TrimSpace(line[starts[i]:end])
	}
	for i := range starts {
		tb.headers = append(tb.headers, cell(header, i))
	}
	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, h := range tb.headers {
			row[h] = cell(line, i)
		}
		tb.list = append(tb.list, row)
		if name := row["NAME"]; name != "" {
			tb.rows[name] = row
		}
	}
	return tb
}

// emulator is the Graph emulator process and its control API.
type emulator struct {
	t    *testing.T
	base string // http://127.0.0.1:PORT
	proc *childproc.Child
}

var emulatorURL = regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/v1\.0`)

// startEmulator starts hack/graph-emulator on a port the kernel picks (it prints its URL) and
// waits until its control API answers.
func startEmulator(t *testing.T, bin string, args ...string) *emulator {
	t.Helper()
	p := startLogged(t, "graph-emulator", bin, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	deadline := time.Now().Add(waitTimeout)
	var addr string
	for addr == "" {
		if time.Now().After(deadline) {
			t.Fatalf("the Graph emulator printed no URL within %v", waitTimeout)
		}
		if done, err := p.Exited(); done {
			t.Fatalf("the Graph emulator exited: %v", err)
		}
		b, _ := os.ReadFile(p.LogPath)
		if m := emulatorURL.FindSubmatch(b); m != nil {
			addr = string(m[1])
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	e := &emulator{t: t, base: "http://" + addr, proc: p}
	for {
		resp, err := http.Get(e.base + "/_emulator/clock")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Graph emulator at %s does not answer /_emulator/clock: %v", e.base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// graphURL is the --graph-base-url for the manager.
func (e *emulator) graphURL() string { return e.base + "/v1.0" }

// control calls the control API; body is marshalled to JSON unless nil, the answer decoded
// into out unless nil. It fails the test unless the status is one of want.
func (e *emulator) control(method, path string, body, out any, want ...int) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	ok := false
	for _, w := range want {
		ok = ok || resp.StatusCode == w
	}
	if !ok {
		e.t.Fatalf("%s %s: %s, want %v\n%s", method, path, resp.Status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
}

// request reads one Graph request as the emulator holds it.
func (e *emulator) request(id string) graphemu.Request {
	e.t.Helper()
	var r graphemu.Request
	e.control(http.MethodGet, "/_emulator/requests/"+id, nil, &r, http.StatusOK)
	return r
}

// calls is the emulator's log of the Graph calls it received.
func (e *emulator) calls() []graphemu.Call {
	e.t.Helper()
	var calls []graphemu.Call
	e.control(http.MethodGet, "/_emulator/calls", nil, &calls, http.StatusOK)
	return calls
}

// startLogged starts a child whose output goes to a log file in the suite's directory. When
// the test ends the child is stopped and, if the test failed, its log is printed.
func startLogged(t *testing.T, name, bin string, args ...string) *childproc.Child {
	t.Helper()
	logPath := filepath.Join(s.dir, name+".log")
	p, err := childproc.Start(name, logPath, bin, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s (pid %d): %s %s; log %s", name, p.Pid(), filepath.Base(bin), strings.Join(args, " "), logPath)
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("----- %s log (%s, exit: %v) -----\n%s----- end of %s log -----", name, logPath, p.ExitSummary(), b, name)
		}
	})
	return p
}

// logLines returns the lines of a child's log that contain any of substrings.
func logLines(t *testing.T, p *childproc.Child, substrings ...string) []string {
	t.Helper()
	f, err := os.Open(p.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		for _, sub := range substrings {
			if strings.Contains(sc.Text(), sub) {
				out = append(out, sc.Text())
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
