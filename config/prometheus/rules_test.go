package prometheus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/pim-operator/pim-operator/internal/testenv"
)

var (
	here          = filepath.Join(testenv.RepoRoot(), "config", "prometheus")
	dashboardFile = filepath.Join(testenv.RepoRoot(), "config", "grafana", "pim-operator.json")
)

// ruleFile is the spec of config/prometheus/prometheusrule.yaml: a Prometheus rule file.
type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"groups"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func readRules(t *testing.T) (ruleFile, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(here, "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cr struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Spec       json.RawMessage `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &cr); err != nil {
		t.Fatal(err)
	}
	if cr.APIVersion != "monitoring.coreos.com/v1" || cr.Kind != "PrometheusRule" {
		t.Fatalf("prometheusrule.yaml is a %s %s", cr.APIVersion, cr.Kind)
	}
	var rf ruleFile
	if err := json.Unmarshal(cr.Spec, &rf); err != nil {
		t.Fatal(err)
	}
	plain, err := yaml.JSONToYAML(cr.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return rf, plain
}

// writeRules writes the PrometheusRule's spec where promtool reads it: pim-operator.rules.yaml
// in a temporary directory, with a copy of the unit tests beside it.
func writeRules(t *testing.T) string {
	t.Helper()
	_, plain := readRules(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pim-operator.rules.yaml"), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(here, "tests", "alerts.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts.test.yaml"), tests, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// promtool accepts the rules, with every lint it has.
func TestPromtoolCheckRules(t *testing.T) {
	dir := writeRules(t)
	promtool(t, "check", "rules", "--lint=all", "--lint-fatal", filepath.Join(dir, "pim-operator.rules.yaml"))
}

// Every alert fires when it should and stays quiet when it should not, with the labels and
// annotations an on-call engineer reads (config/prometheus/tests/alerts.test.yaml).
func TestPromtoolTestRules(t *testing.T) {
	dir := writeRules(t)
	promtool(t, "test", "rules", filepath.Join(dir, "alerts.test.yaml"))

	// An alert without a unit test would pass the line above unseen.
	rf, _ := readRules(t)
	tests, err := os.ReadFile(filepath.Join(here, "tests", "alerts.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && !bytes.Contains(tests, []byte("alertname: "+r.Alert+"\n")) {
				t.Errorf("alert %s has no test in tests/alerts.test.yaml", r.Alert)
			}
		}
	}
}

// Every alert says what is wrong (summary), what it means and what to look at (description),
// how urgent it is (severity), waits out blips (for), and links to a runbook that exists: a
// heading of the README's Runbooks part whose GitHub anchor the URL names.
func TestAlertsAreActionable(t *testing.T) {
	rf, _ := readRules(t)
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := markdownAnchors(string(readme))
	if !anchors["runbooks"] {
		t.Error("the README has no Runbooks heading")
	}
	const prefix = "https://github.com/pim-operator/pim-operator/blob/main/README.md#"
	n := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s has no %s", r.Alert, a)
				}
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			if r.For == "" {
				t.Errorf("%s fires on the first evaluation: give it a for", r.Alert)
			}
			url := r.Annotations["runbook_url"]
			anchor, ok := strings.CutPrefix(url, prefix)
			if !ok {
				t.Errorf("%s: runbook_url %q is not in the README (%s…)", r.Alert, url, prefix)
				continue
			}
			if anchor != strings.ToLower(r.Alert) || !anchors[anchor] {
				t.Errorf("%s: runbook_url names #%s; the README needs a heading %q under Runbooks", r.Alert, anchor, r.Alert)
			}
		}
	}
	if n < 6 {
		t.Errorf("%d alerts, want at least the six the operator needs", n)
	}
}

// The alerts refer only to metrics the running operator exports, with their labels, and with
// label values its code can produce.
func TestAlertsUseExportedMetrics(t *testing.T) {
	c := newCatalog(t, exported(t))
	rf, _ := readRules(t)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			for _, p := range c.check(r.Expr) {
				t.Errorf("alert %s: %s", r.Alert, p)
			}
		}
	}
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("config/grafana/pim-operator.json: %v", err)
	}
	return d
}

// panelQueries are the dashboard's PromQL queries by "panel title/refId", with Grafana's
// variables replaced by what Grafana would put there.
func panelQueries(t *testing.T, d dashboard) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				q := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h",
					`"$namespace"`, `".*"`).Replace(tg.Expr)
				if strings.Contains(q, "$") {
					t.Errorf("panel %q: %q uses a variable the dashboard does not define", p.Title, tg.Expr)
				}
				out[fmt.Sprintf("%s/%s", p.Title, tg.RefID)] = q
			}
		}
	}
	walk(d.Panels)
	if len(out) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	return out
}

// The dashboard shows what the issue asks for, and every query refers only to metrics the
// running operator exports, with their labels and values.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	queries := panelQueries(t, d)
	c := newCatalog(t, exported(t))
	for name, q := range queries {
		for _, p := range c.check(q) {
			t.Errorf("panel %s: %s", name, p)
		}
	}
	// Graph requests by outcome and kind, latency, objects by condition, policy decisions.
	all := strings.Join(slices.Collect(maps.Values(queries)), "\n")
	for _, want := range []string{
		`sum by (outcome) (rate(pim_operator_graph_requests_total`,
		`sum by (kind, operation) (rate(pim_operator_graph_requests_total`,
		`pim_operator_graph_request_duration_seconds_bucket`,
		`sum by (kind, condition, status) (pim_operator_objects`,
		`pim_operator_policy_decisions_total`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no panel queries %s", want)
		}
	}
	var namespaceVar bool
	for _, v := range d.Templating.List {
		if v.Name == "namespace" {
			namespaceVar = true
			b, _ := json.Marshal(v.Query)
			m := regexp.MustCompile(`label_values\((\w+),`).FindStringSubmatch(string(b))
			if m == nil || c.series[m[1]] == nil {
				t.Errorf("the namespace variable's query %s does not read an exported metric", b)
			}
		}
	}
	if !namespaceVar {
		t.Error("the dashboard has no namespace variable")
	}
}

// promtool parses every dashboard query, as recording rules.
func TestDashboardQueriesParse(t *testing.T) {
	queries := panelQueries(t, readDashboard(t))
	var rules []map[string]string
	names := slices.Sorted(maps.Keys(queries))
	for i, name := range names {
		rules = append(rules, map[string]string{"record": fmt.Sprintf("dashboard:query_%d", i), "expr": queries[name]})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runPromtool(t, "check", "rules", file)
	if err != nil {
		for i, name := range names {
			out = strings.ReplaceAll(out, fmt.Sprintf("dashboard:query_%d", i), fmt.Sprintf("%q", name))
		}
		t.Fatalf("promtool check rules on the dashboard's queries: %v\n%s", err, out)
	}
}

// markdownAnchors are the GitHub anchors of a Markdown document's headings.
func markdownAnchors(md string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	inCode := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		h = strings.ReplaceAll(h, "`", "")
		a := strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h), ""), " ", "-")
		out[a] = true
	}
	return out
}

// --- promtool -----------------------------------------------------------------------------

var promtoolPath = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p, nil
	}
	// Not set (a plain `go test`): build it into the cache outside the checkout, or find it there.
	cmd := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "tools", "build.sh"), "promtool")
	cmd.Stderr = os.Stderr // the build's progress
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/tools/build.sh promtool: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})

func runPromtool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	p, err := promtoolPath()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(p, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

func promtool(t *testing.T, args ...string) {
	t.Helper()
	out, err := runPromtool(t, args...)
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}
