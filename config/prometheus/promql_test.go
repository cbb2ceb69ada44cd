package prometheus

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// A query's references, read with a small PromQL scanner: enough to find every metric name,
// label matcher and grouping label of the expressions in this repository. promtool parses the
// same expressions fully (TestPromtoolCheckRules, TestDashboardQueriesParse), so a scanner that
// misreads valid PromQL fails those tests' companions here rather than letting a typo through.
type reference struct {
	metric   string
	matchers []matcher
}

type matcher struct{ label, op, value string }

type query struct {
	refs     []reference
	grouping []string // labels of by, without, on, ignoring, group_left, group_right
}

// keywords are never metric names; the aggregation operators among them may stand before
// by or without instead of their parenthesis.
var keywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true,
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

var groupingKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

func scanQuery(expr string) (query, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return query{}, err
	}
	var q query
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		next := func(j int) string {
			if i+j < len(toks) {
				return toks[i+j]
			}
			return ""
		}
		switch {
		case tk == "[":
			for i < len(toks) && toks[i] != "]" {
				i++
			}
		case isIdent(tk) && groupingKeywords[tk]:
			if next(1) != "(" {
				continue // group_left without labels
			}
			i += 2
			for ; i < len(toks) && toks[i] != ")"; i++ {
				if isIdent(toks[i]) {
					q.grouping = append(q.grouping, toks[i])
				}
			}
		case isIdent(tk) && keywords[tk]:
		case isIdent(tk) && next(1) == "(":
			// A function or an aggregation.
		case isIdent(tk):
			ref := reference{metric: tk}
			if next(1) == "{" {
				i += 2
				for i < len(toks) && toks[i] != "}" {
					if toks[i] == "," {
						i++
						continue
					}
					if i+2 >= len(toks) || !isIdent(toks[i]) || !isString(toks[i+2]) {
						return q, fmt.Errorf("cannot read the matchers after %s in %q", tk, expr)
					}
					v, err := strconv.Unquote(toks[i+2])
					if err != nil {
						return q, err
					}
					ref.matchers = append(ref.matchers, matcher{toks[i], toks[i+1], v})
					i += 3
				}
			}
			q.refs = append(q.refs, ref)
		}
	}
	return q, nil
}

func isIdent(s string) bool {
	return s != "" && (unicode.IsLetter(rune(s[0])) || s[0] == '_' || s[0] == ':')
}

func isString(s string) bool { return len(s) >= 2 && (s[0] == '"' || s[0] == '\'' || s[0] == '`') }

func tokenize(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t':
			i++
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string in %q", s)
			}
			str := s[i : j+1]
			if c == '\'' { // strconv.Unquote reads single quotes as a rune
				str = strconv.Quote(s[i+1 : j])
			}
			out = append(out, str)
			i = j + 1
		case unicode.IsLetter(rune(c)) || c == '_' || c == ':':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == ':') {
				j++
			}
			out = append(out, s[i:j])
			i = j
		case unicode.IsDigit(rune(c)) || c == '.':
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || unicode.IsLetter(rune(s[j])) || s[j] == '.') {
				j++
			}
			out = append(out, s[i:j])
			i = j
		case strings.HasPrefix(s[i:], "=~") || strings.HasPrefix(s[i:], "!~") || strings.HasPrefix(s[i:], "!=") ||
			strings.HasPrefix(s[i:], "==") || strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<="):
			out = append(out, s[i:i+2])
			i += 2
		default:
			out = append(out, string(c))
			i++
		}
	}
	return out, nil
}

// targetLabels are the labels Prometheus adds to every series it scrapes through a
// ServiceMonitor; the operator does not export them, but queries may use them.
var targetLabels = []string{"namespace", "pod", "instance", "job", "service", "endpoint", "container"}

// catalog is what a query may refer to: the series names of the exported families, with their
// labels, and for some labels the values the operator's code can give them.
type catalog struct {
	series map[string][]string        // series name → label names
	values map[string]map[string]bool // label → every value it can take (for the labels below)
}

func newCatalog(t *testing.T, fams map[string]*family) *catalog {
	t.Helper()
	c := &catalog{series: map[string][]string{}, values: map[string]map[string]bool{}}
	for name, f := range fams {
		labels := f.labelNames()
		switch f.typ {
		case "HISTOGRAM":
			c.series[name+"_bucket"] = append(slices.Clone(labels), "le")
			c.series[name+"_sum"] = labels
			c.series[name+"_count"] = labels
		case "SUMMARY":
			c.series[name] = append(slices.Clone(labels), "quantile")
			c.series[name+"_sum"] = labels
			c.series[name+"_count"] = labels
		default:
			c.series[name] = labels
		}
		// What the run observed counts as possible too.
		for _, s := range f.series {
			for l, v := range s.labels {
				c.add(l, v)
			}
		}
	}
	root := testenv.RepoRoot()
	// The values the code defines, read from its constants so that a new one is known here at
	// once: condition types and reasons, error classes (the outcome label), Graph operations.
	for _, v := range constStrings(t, filepath.Join(root, "api", "v1alpha1", "conditions.go"), "Condition") {
		c.add("condition", v)
	}
	for _, v := range constStrings(t, filepath.Join(root, "api", "v1alpha1", "conditions.go"), "Reason") {
		c.add("reason", v)
	}
	for _, v := range constStrings(t, filepath.Join(root, "internal", "pim", "errors.go"), "Class") {
		c.add("outcome", v)
	}
	for _, v := range constStrings(t, filepath.Join(root, "internal", "graph", "operations.go"), "Op") {
		c.add("operation", v)
	}
	for _, v := range constStrings(t, filepath.Join(root, "controllers", "metrics.go"), "Outcome") {
		c.add("outcome", v)
	}
	c.add("outcome", "success")
	for _, v := range []string{"True", "False", "Unknown"} {
		c.add("status", v)
	}
	for _, k := range controllers.Kinds {
		c.add("kind", k.Name)
		c.add("kind", string(k.Graph))
		c.add("controller", controllerName(k))
		c.add("name", controllerName(k))
	}
	// controller-runtime's reconcile results.
	for _, v := range []string{"success", "error", "requeue", "requeue_after"} {
		c.add("result", v)
	}
	return c
}

func (c *catalog) add(label, value string) {
	if c.values[label] == nil {
		c.values[label] = map[string]bool{}
	}
	c.values[label][value] = true
}

// checkedLabels are the labels whose values a query must take from the code's: a value the code
// never writes would make a panel empty or an alert silent.
var checkedLabels = []string{"condition", "reason", "outcome", "operation", "status", "kind", "controller", "result"}

// operatorLabels select the operator's own controllers among every controller-runtime operator
// the same Prometheus scrapes: a regex on them must match all of this operator's controllers
// (a new kind included) and nothing else's.
var operatorLabels = map[string]bool{"controller": true, "name": true}

// check returns what is wrong with expr's references.
func (c *catalog) check(expr string) []string {
	q, err := scanQuery(expr)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if len(q.refs) == 0 {
		return []string{"refers to no metric"}
	}
	usable := map[string]bool{}
	for _, l := range targetLabels {
		usable[l] = true
	}
	for _, ref := range q.refs {
		labels, ok := c.series[ref.metric]
		if !ok {
			problems = append(problems, fmt.Sprintf("metric %s is not exported by the operator", ref.metric))
			continue
		}
		for _, l := range labels {
			usable[l] = true
		}
		for _, m := range ref.matchers {
			if !slices.Contains(labels, m.label) && !slices.Contains(targetLabels, m.label) {
				problems = append(problems, fmt.Sprintf("%s has no label %s (labels: %v)", ref.metric, m.label, labels))
				continue
			}
			problems = append(problems, c.checkValue(ref.metric, m)...)
		}
	}
	for _, l := range q.grouping {
		if !usable[l] {
			problems = append(problems, fmt.Sprintf("groups by %s, which none of its metrics has", l))
		}
	}
	return problems
}

func (c *catalog) checkValue(metric string, m matcher) []string {
	if !slices.Contains(checkedLabels, m.label) && !operatorLabels[m.label] {
		return nil
	}
	domain := c.values[m.label]
	switch m.op {
	case "=", "!=":
		if !domain[m.value] {
			return []string{fmt.Sprintf("%s{%s%s%q}: the operator never sets %s to %q (it sets %v)",
				metric, m.label, m.op, m.value, m.label, m.value, sortedKeys(domain))}
		}
	case "=~", "!~":
		re, err := regexp.Compile("^(?:" + m.value + ")$")
		if err != nil {
			return []string{fmt.Sprintf("%s{%s%s%q}: %v", metric, m.label, m.op, m.value, err)}
		}
		var hits []string
		for v := range domain {
			if re.MatchString(v) {
				hits = append(hits, v)
			}
		}
		if len(hits) == 0 {
			return []string{fmt.Sprintf("%s{%s%s%q} matches none of the values the operator sets (%v)",
				metric, m.label, m.op, m.value, sortedKeys(domain))}
		}
		if operatorLabels[m.label] && m.op == "=~" {
			for _, k := range controllers.Kinds {
				if !re.MatchString(controllerName(k)) {
					return []string{fmt.Sprintf("%s{%s=~%q} leaves out the controller %s", metric, m.label, m.value, controllerName(k))}
				}
			}
		}
	}
	return nil
}

// controllerName is the name controller-runtime gives a kind's controller, its workqueue and
// their metrics' controller and name labels.
func controllerName(k controllers.Kind) string { return strings.ToLower(k.Name) }

// constStrings are the values of the string constants in file whose names start with prefix.
func constStrings(t *testing.T, file, prefix string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						out = append(out, v)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no string constants %s* in %s", prefix, file)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The scanner reads what the rules and the dashboard write.
func TestScanQuery(t *testing.T) {
	q, err := scanQuery(`sum by (namespace, kind) (rate(pim_operator_graph_requests_total{outcome=~"Transient|UserFixable", kind!='x'}[10m]))
	  / ignoring (outcome) group_left sum by (namespace) (rate(pim_operator_graph_requests_total[10m])) > 0.1
	  unless count(up) or vector(0)`)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(q.refs, q.grouping)
	want := `[{pim_operator_graph_requests_total [{outcome =~ Transient|UserFixable} {kind != x}]} {pim_operator_graph_requests_total []} {up []}] [namespace kind outcome namespace]`
	if got != want {
		t.Errorf("scanQuery:\n got %s\nwant %s", got, want)
	}
}

// The checks catch what they exist for: a metric or label the operator does not export, a
// value its code never writes, a controller regex that leaves out one of its kinds.
func TestCatalogCheck(t *testing.T) {
	c := newCatalog(t, map[string]*family{
		"pim_operator_graph_requests_total": {name: "pim_operator_graph_requests_total", typ: "COUNTER",
			series: []series{{labels: map[string]string{"kind": "assignment", "operation": "createRequest", "outcome": "success"}}}},
		"controller_runtime_reconcile_total": {name: "controller_runtime_reconcile_total", typ: "COUNTER",
			series: []series{{labels: map[string]string{"controller": "pimassignmentrequest", "result": "success"}}}},
	})
	for expr, want := range map[string]string{
		`sum(rate(pim_operator_graph_requests_totl[5m]))`:                                           "not exported",
		`sum(rate(pim_operator_graph_requests_total{result="x"}[5m]))`:                              "has no label result",
		`sum(rate(pim_operator_graph_requests_total{outcome="Unauthorized"}[5m]))`:                  "never sets outcome",
		`sum(rate(pim_operator_graph_requests_total{outcome=~"Timeout|Gone"}[5m]))`:                 "matches none",
		`sum by (reason) (rate(pim_operator_graph_requests_total[5m]))`:                             "groups by reason",
		`sum(rate(controller_runtime_reconcile_total{controller=~"pimassignment.*"}[5m]))`:          "leaves out the controller",
		`sum by (namespace, kind) (rate(pim_operator_graph_requests_total{outcome="success"}[5m]))`: "",
	} {
		problems := strings.Join(c.check(expr), "; ")
		if want == "" && problems != "" || want != "" && !strings.Contains(problems, want) {
			t.Errorf("check(%s) = %q, want %q", expr, problems, want)
		}
	}
}
