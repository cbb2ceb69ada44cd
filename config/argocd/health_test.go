package argocd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

const (
	scriptFile = "health.lua"
	patchFile  = "argocd-cm-patch.yaml"
	// configMapKey is Argo CD's resource.customizations.health.<group>_<kind> key, per kind.
	configMapKey = "resource.customizations.health.access.pim-operator.dev_"
)

// validHealth are the statuses Argo CD accepts from a health script; anything else becomes
// Unknown ("Lua returned an invalid health status").
var validHealth = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true,
	"Suspended": true, "Missing": true, "Unknown": true,
}

func readScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(scriptFile)
	if err != nil {
		t.Fatalf("read %s: %v", scriptFile, err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		t.Fatalf("%s is empty", scriptFile)
	}
	return string(b)
}

// toLua converts a decoded object to a Lua value the way Argo CD's decodeValue does: maps
// become hash tables, slices 1-based array tables, numbers LNumber. Unlike Argo CD it fails
// on a type it does not know instead of passing nil, so a fixture cannot silently vanish.
func toLua(t *testing.T, l *lua.LState, v any) lua.LValue {
	t.Helper()
	switch c := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(c)
	case string:
		return lua.LString(c)
	case float64:
		return lua.LNumber(c)
	case int64:
		return lua.LNumber(c)
	case int:
		return lua.LNumber(c)
	case []any:
		arr := l.CreateTable(len(c), 0)
		for _, item := range c {
			arr.Append(toLua(t, l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(c))
		for k, item := range c {
			tbl.RawSetH(lua.LString(k), toLua(t, l, item))
		}
		return tbl
	}
	t.Fatalf("toLua: unsupported type %T", v)
	return lua.LNil
}

// runHealth runs script against obj in the sandbox Argo CD uses for health checks: no
// standard libraries except package, base and table, a one-second deadline, the object in
// the global obj, and the result read from the table the script returns.
func runHealth(t *testing.T, script string, obj map[string]any) (status, message string, err error) {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.fn), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatalf("open %q: %v", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(t, l, obj))
	if err := l.DoString(script); err != nil {
		return "", "", err
	}
	ret := l.Get(-1)
	tbl, ok := ret.(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
	st, ok := tbl.RawGetString("status").(lua.LString)
	if !ok {
		return "", "", fmt.Errorf("status is %s, not a string", tbl.RawGetString("status").Type())
	}
	if !validHealth[string(st)] {
		return "", "", fmt.Errorf("invalid health status %q", st)
	}
	msg, ok := tbl.RawGetString("message").(lua.LString)
	if !ok {
		return "", "", fmt.Errorf("message is %s, not a string", tbl.RawGetString("message").Type())
	}
	return string(st), string(msg), nil
}

// decoders turn a YAML fixture into the map Argo CD hands to Lua. In the controller numbers
// arrive as int64 (apimachinery's JSON); encoding/json gives float64. The script must not care.
var decoders = []struct {
	name   string
	decode func([]byte, *map[string]any) error
}{
	{"int64", func(b []byte, m *map[string]any) error { return utiljson.Unmarshal(b, m) }},
	{"float64", func(b []byte, m *map[string]any) error { return json.Unmarshal(b, m) }},
}

func decode(t *testing.T, fixture string, fn func([]byte, *map[string]any) error) map[string]any {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(fixture))
	if err != nil {
		t.Fatalf("fixture is not YAML: %v", err)
	}
	var m map[string]any
	if err := fn(j, &m); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	return m
}

// head is a PIMAssignmentRequest at generation 2; cases append their status.
const head = `apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMAssignmentRequest
metadata:
  name: alice-admins
  namespace: team-a
  generation: 2
spec:
  groupId: 11111111-1111-1111-1111-111111111111
  principalId: 22222222-2222-2222-2222-222222222222
  accessId: member
  justification: on-call
  schedule:
    expiration:
      type: afterDuration
      duration: 8h
`

func cond(typ, status, reason, message string) string {
	return fmt.Sprintf("  - type: %s\n    status: %q\n    reason: %s\n    message: %q\n    lastTransitionTime: \"2026-01-01T00:00:00Z\"\n",
		typ, status, reason, message)
}

func withStatus(observedGeneration int, graphStatus string, conds ...string) string {
	s := head + "status:\n"
	s += fmt.Sprintf("  observedGeneration: %d\n", observedGeneration)
	if graphStatus != "" {
		s += "  graphStatus: " + graphStatus + "\n"
	}
	if len(conds) == 0 {
		return s + "  conditions: []\n"
	}
	return s + "  conditions:\n" + strings.Join(conds, "")
}

func TestHealth(t *testing.T) {
	script := readScript(t)
	const dupMsg = "Graph rejected the request: RoleAssignmentExists: The Role assignment already exists. (request-id 0f0e)"
	cases := []struct {
		name    string
		fixture string
		status  string
		message string
		// kstatus is what sigs.k8s.io/cli-utils computes for the same object; the script
		// mirrors it except where Argo CD should wait for the operator ("Current" rows that
		// say Progressing here).
		kstatus kstatus.Status
	}{
		{
			name:    "brand new, no status",
			fixture: head,
			status:  "Progressing", message: "waiting for the operator to observe generation 2",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "generation not yet observed",
			fixture: withStatus(1, "Provisioned",
				cond("Ready", "True", "Settled", "request settled"),
				cond("Active", "True", "Provisioned", "access is live")),
			status: "Progressing", message: "waiting for the operator to observe generation 2",
			kstatus: kstatus.InProgressStatus,
		},
		{
			name:    "status without observedGeneration",
			fixture: head + "status:\n  graphStatus: Provisioned\n",
			status:  "Progressing", message: "observe generation 2",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "stalled on DuplicateAssignment",
			fixture: withStatus(2, "",
				cond("Submitted", "False", "NotSubmitted", "no request"),
				cond("Ready", "False", "DuplicateAssignment", "stalled"),
				cond("Reconciling", "False", "DuplicateAssignment", "waiting for a person"),
				cond("Stalled", "True", "DuplicateAssignment", dupMsg)),
			status: "Degraded", message: "RoleAssignmentExists: The Role assignment already exists.",
			kstatus: kstatus.FailedStatus,
		},
		{
			name: "stalled on Denied",
			fixture: withStatus(2, "Denied",
				cond("Submitted", "True", "Created", "request created"),
				cond("Ready", "False", "Denied", "stalled"),
				cond("Stalled", "True", "Denied", "the approver denied the request")),
			status: "Degraded", message: "the approver denied the request",
			kstatus: kstatus.FailedStatus,
		},
		{
			name: "stalled without a message falls back to the reason",
			fixture: withStatus(2, "",
				cond("Stalled", "True", "NotPermitted", "")),
			status: "Degraded", message: "NotPermitted",
			kstatus: kstatus.FailedStatus,
		},
		{
			name: "reconciling while throttled",
			fixture: withStatus(2, "PendingProvisioning",
				cond("Submitted", "True", "Created", "request created"),
				cond("Ready", "False", "Throttled", "in flight"),
				cond("Reconciling", "True", "Throttled", "Graph throttled the call; retrying in 30s")),
			status: "Progressing", message: "Graph throttled the call; retrying in 30s",
			kstatus: kstatus.InProgressStatus,
		},
		{
			name: "ready: provisioned and active",
			fixture: withStatus(2, "Provisioned",
				cond("Submitted", "True", "Created", "request created"),
				cond("Active", "True", "Provisioned", "access is live"),
				cond("Ready", "True", "Settled", "request settled"),
				cond("Reconciling", "False", "Settled", "nothing to do"),
				cond("Stalled", "False", "Settled", "not stalled")),
			status: "Healthy", message: "Graph status Provisioned; Active=True (Provisioned)",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "ready: an eligibility in force",
			fixture: withStatus(2, "Provisioned",
				cond("Submitted", "True", "Created", "request created"),
				cond("Eligible", "True", "Provisioned", "eligible until 2027-06-01T00:00:00Z"),
				cond("Ready", "True", "Provisioned", "request settled")),
			status: "Healthy", message: "Graph status Provisioned; Eligible=True (Provisioned)",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "ready: granted, not started yet",
			fixture: withStatus(2, "Granted",
				cond("Submitted", "True", "Created", "request created"),
				cond("Active", "False", "NotStarted", "starts at 2026-02-01T00:00:00Z"),
				cond("Ready", "True", "Settled", "request settled")),
			status: "Healthy", message: "Graph status Granted; Active=False (NotStarted)",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "ready: cancelled as asked",
			fixture: withStatus(2, "Canceled",
				cond("Submitted", "True", "Created", "request created"),
				cond("Active", "False", "Cancelled", "request cancelled"),
				cond("Cancelled", "True", "CancelSucceeded", "Graph returned 204 No Content"),
				cond("Ready", "True", "Cancelled", "ended as asked")),
			status: "Healthy", message: "Graph status Canceled; Cancelled (CancelSucceeded): Graph returned 204 No Content; Active=False (Cancelled)",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "ready false",
			fixture: withStatus(2, "PendingApprovalProvisioning",
				cond("Submitted", "True", "Created", "request created"),
				cond("Ready", "False", "Progressing", "waiting for Graph to provision")),
			status: "Progressing", message: "waiting for Graph to provision",
			kstatus: kstatus.InProgressStatus,
		},
		{
			name: "ready unknown",
			fixture: withStatus(2, "",
				cond("Ready", "Unknown", "Progressing", "first reconcile")),
			status: "Progressing", message: "waiting for conditions",
			kstatus: kstatus.InProgressStatus,
		},
		{
			name:    "observed, empty condition list",
			fixture: withStatus(2, ""),
			status:  "Progressing", message: "waiting for conditions",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name:    "observed, conditions null",
			fixture: head + "status:\n  observedGeneration: 2\n  conditions: null\n",
			status:  "Progressing", message: "waiting for conditions",
			kstatus: kstatus.CurrentStatus,
		},
		{
			name: "ready without graphStatus or Active",
			fixture: withStatus(2, "",
				cond("Ready", "True", "Settled", "request settled")),
			status: "Healthy", message: "Graph status unknown",
			kstatus: kstatus.CurrentStatus,
		},
	}
	for _, tc := range cases {
		for _, d := range decoders {
			t.Run(tc.name+"/"+d.name, func(t *testing.T) {
				obj := decode(t, tc.fixture, d.decode)
				status, message, err := runHealth(t, script, obj)
				if err != nil {
					t.Fatalf("script failed: %v", err)
				}
				if status != tc.status || !strings.Contains(message, tc.message) {
					t.Errorf("got %s %q, want %s containing %q", status, message, tc.status, tc.message)
				}
				// kstatus needs the controller's int64 numbers, whichever decoder fed the script.
				res, err := kstatus.Compute(&unstructured.Unstructured{Object: decode(t, tc.fixture, decoders[0].decode)})
				if err != nil {
					t.Fatalf("kstatus: %v", err)
				}
				if res.Status != tc.kstatus {
					t.Errorf("kstatus %s (%s), fixture says %s", res.Status, res.Message, tc.kstatus)
				}
			})
		}
	}
}

// TestHealthMalformed feeds objects kstatus cannot parse; the script must still answer.
func TestHealthMalformed(t *testing.T) {
	script := readScript(t)
	cases := []struct {
		name    string
		obj     map[string]any
		status  string
		message string
	}{
		{"empty object", map[string]any{}, "Progressing", "waiting for the operator to observe the object"},
		{"metadata not a table", map[string]any{"metadata": "x", "status": map[string]any{}}, "Progressing", "observe the object"},
		{"status not a table", map[string]any{"metadata": map[string]any{"generation": int64(3)}, "status": "broken"}, "Progressing", "observe generation 3"},
		{"conditions not a list", map[string]any{
			"metadata": map[string]any{"generation": int64(1)},
			"status":   map[string]any{"observedGeneration": int64(1), "conditions": "Ready"},
		}, "Progressing", "waiting for conditions"},
		{"junk entries among conditions", map[string]any{
			"metadata": map[string]any{"generation": int64(1)},
			"status": map[string]any{"observedGeneration": int64(1), "graphStatus": "Provisioned", "conditions": []any{
				"junk", int64(7), map[string]any{"status": "True"}, map[string]any{"type": int64(1), "status": "True"},
				map[string]any{"type": "Ready", "status": "True"},
			}},
		}, "Healthy", "Graph status Provisioned"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, message, err := runHealth(t, script, tc.obj)
			if err != nil {
				t.Fatalf("script failed: %v", err)
			}
			if status != tc.status || !strings.Contains(message, tc.message) {
				t.Errorf("got %s %q, want %s containing %q", status, message, tc.status, tc.message)
			}
		})
	}
}

// TestHarnessRejects shows the sandbox is as strict as Argo CD's: a script that errors,
// returns no table, returns a status Argo CD does not know, or uses the string library
// (not opened for health checks) fails here too.
func TestHarnessRejects(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"generation": int64(1)}}
	for name, script := range map[string]string{
		"runtime error":  `error("boom")`,
		"no return":      `local hs = {status = "Healthy", message = "x"}`,
		"string return":  `return "Healthy"`,
		"unknown status": `return {status = "Fine", message = "x"}`,
		"no message":     `return {status = "Healthy"}`,
		"string library": `return {status = "Healthy", message = string.format("%d", obj.metadata.generation)}`,
		"os library":     `return {status = "Healthy", message = os.getenv("HOME")}`,
	} {
		t.Run(name, func(t *testing.T) {
			if st, msg, err := runHealth(t, script, obj); err == nil {
				t.Errorf("script accepted: %s %q", st, msg)
			}
		})
	}
	// And the harness does read what a valid script returns.
	st, msg, err := runHealth(t, `return {status = "Degraded", message = "gen " .. tostring(obj.metadata.generation)}`, obj)
	if err != nil || st != "Degraded" || msg != "gen 1" {
		t.Errorf("valid script: got %s %q %v, want Degraded \"gen 1\"", st, msg, err)
	}
}

// TestConfigMapPatchEmbedsScript checks argocd-cm-patch.yaml carries health.lua verbatim under
// Argo CD's key: YAML's literal block strips the indentation, the rest must be identical.
func TestConfigMapPatchEmbedsScript(t *testing.T) {
	script := readScript(t)
	b, err := os.ReadFile(patchFile)
	if err != nil {
		t.Fatalf("read %s: %v", patchFile, err)
	}
	var cm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(b, &cm); err != nil {
		t.Fatalf("parse %s: %v", patchFile, err)
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Name != "argocd-cm" {
		t.Errorf("patch targets %s %s %q, want v1 ConfigMap \"argocd-cm\"", cm.APIVersion, cm.Kind, cm.Metadata.Name)
	}
	for _, kind := range []string{"PIMAssignmentRequest", "PIMEligibilityRequest"} {
		embedded, ok := cm.Data[configMapKey+kind]
		if !ok {
			t.Fatalf("%s has no data key %q (keys: %v)", patchFile, configMapKey+kind, keys(cm.Data))
		}
		sameScript(t, embedded, script)
	}
}

func sameScript(t *testing.T, embedded, script string) {
	t.Helper()
	if embedded != script {
		got, want := strings.Split(embedded, "\n"), strings.Split(script, "\n")
		for i := 0; i < len(got) || i < len(want); i++ {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Fatalf("%s differs from %s at line %d:\n got: %q\nwant: %q", patchFile, scriptFile, i+1, g, w)
			}
		}
		t.Fatalf("%s differs from %s", patchFile, scriptFile)
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
