package charts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The chart is rendered as the release config/default corresponds to: its names then equal
// kustomize's (namePrefix pim-operator-), so objects compare by kind and name.
const (
	release   = "pim-operator"
	namespace = "pim-operator-system"
)

var (
	chartDir       = filepath.Join(testenv.RepoRoot(), "charts", "pim-operator")
	productionFile = filepath.Join(chartDir, "ci", "production-values.yaml")
)

// Both values files must lint cleanly, warnings included.
func TestChartLints(t *testing.T) {
	helm(t, "lint", "--strict", chartDir)
	helm(t, "lint", "--strict", chartDir, "-f", productionFile)
}

// Everything the chart renders, with the default and the production values, is admitted by a
// real API server (server-side dry run, strict field validation: a misspelt or misplaced field
// fails here, not silently in a cluster).
func TestChartIsAdmitted(t *testing.T) {
	renders := map[string][]*unstructured.Unstructured{
		"default":    render(t),
		"production": render(t, "-f", productionFile),
	}
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()
	installMonitoringCRDs(t, env.Client)
	// A dry-run Namespace is not persisted, and Helm installs into an existing one.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	for name, objs := range renders {
		t.Run(name, func(t *testing.T) {
			kinds := map[string]int{}
			for _, obj := range objs {
				kinds[obj.GetKind()]++
				if err := env.Client.Patch(ctx, obj, client.Apply, client.DryRunAll, client.FieldValidation("Strict"),
					client.FieldOwner("chart-test"), client.ForceOwnership); err != nil {
					t.Errorf("%s %s/%s not admitted: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
				}
			}
			want := []string{"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
				"Role", "RoleBinding", "Deployment", "Service"}
			if name == "production" {
				want = append(want, "ServiceMonitor", "PrometheusRule", "NetworkPolicy", "ConfigMap", "PodDisruptionBudget")
			}
			for _, k := range want {
				if kinds[k] == 0 {
					t.Errorf("the %s render has no %s; kinds: %v", name, k, kinds)
				}
			}
		})
	}
}

// The chart grants exactly what config/ grants: every Role and ClusterRole with the same rules,
// every binding with the same role and subjects. config/rbac/role.yaml is generated from the
// markers in controllers/, so a new marker fails this test until the chart has it too.
func TestChartRBACMatchesConfig(t *testing.T) {
	want := rbacObjects(t, kustomizeBuild(t, "default"))
	got := rbacObjects(t, render(t))
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("config/ has %s, the chart does not: add it to charts/pim-operator/templates/rbac.yaml", key)
			continue
		}
		if missing, extra := diffPermissions(w.rules, g.rules); len(missing)+len(extra) > 0 {
			t.Errorf("%s: the chart's rules differ from config/rbac (charts/pim-operator/templates/rbac.yaml)\n"+
				"  granted by config/ only: %v\n  granted by the chart only: %v", key, missing, extra)
		}
		if !reflect.DeepEqual(w.roleRef, g.roleRef) {
			t.Errorf("%s: roleRef %+v in the chart, %+v in config/", key, g.roleRef, w.roleRef)
		}
		if !reflect.DeepEqual(w.subjects, g.subjects) {
			t.Errorf("%s: subjects %+v in the chart, %+v in config/", key, g.subjects, w.subjects)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("the chart has %s, config/ does not: remove it or add it to config/rbac", key)
		}
	}
}

// The manager runs with the same security settings, probes, environment, identity and grace
// period whichever way it is installed; the production values cannot weaken them either.
func TestChartDeploymentMatchesConfig(t *testing.T) {
	want := deployment(t, kustomizeBuild(t, "default"))
	for name, objs := range map[string][]*unstructured.Unstructured{
		"default": render(t), "production": render(t, "-f", productionFile),
	} {
		t.Run(name, func(t *testing.T) {
			got := deployment(t, objs)
			wp, gp := want.Spec.Template.Spec, got.Spec.Template.Spec
			wc, gc := manager(t, wp), manager(t, gp)
			same := func(what string, w, g any) {
				t.Helper()
				if !equality.Semantic.DeepEqual(w, g) {
					t.Errorf("%s differs from config/manager:\n  config/: %s\n  chart:   %s", what, show(w), show(g))
				}
			}
			same("pod securityContext", wp.SecurityContext, gp.SecurityContext)
			same("container securityContext", wc.SecurityContext, gc.SecurityContext)
			same("hostNetwork, hostPID, hostIPC", []bool{wp.HostNetwork, wp.HostPID, wp.HostIPC}, []bool{gp.HostNetwork, gp.HostPID, gp.HostIPC})
			same("automountServiceAccountToken", wp.AutomountServiceAccountToken, gp.AutomountServiceAccountToken)
			same("volumes", wp.Volumes, gp.Volumes)
			same("volumeMounts", wc.VolumeMounts, gc.VolumeMounts)
			same("terminationGracePeriodSeconds", wp.TerminationGracePeriodSeconds, gp.TerminationGracePeriodSeconds)
			same("command", wc.Command, gc.Command)
			same("livenessProbe", wc.LivenessProbe, gc.LivenessProbe)
			same("readinessProbe", wc.ReadinessProbe, gc.ReadinessProbe)
			for _, e := range wc.Env {
				i := slices.IndexFunc(gc.Env, func(g corev1.EnvVar) bool { return g.Name == e.Name })
				if i < 0 {
					t.Errorf("config/manager sets %s, the chart does not", e.Name)
					continue
				}
				same("env "+e.Name, e, gc.Env[i])
			}
			for k, v := range want.Spec.Template.Labels {
				if got.Spec.Template.Labels[k] != v {
					t.Errorf("pod label %s=%q in config/manager, %q in the chart", k, v, got.Spec.Template.Labels[k])
				}
			}
			if name != "default" {
				return
			}
			// config/default's own choices, which the chart's defaults repeat.
			same("serviceAccountName", wp.ServiceAccountName, gp.ServiceAccountName)
			same("resources", wc.Resources, gc.Resources)
			for _, a := range wc.Args {
				if !slices.Contains(gc.Args, a) {
					t.Errorf("config/default runs the manager with %s, the chart's defaults do not (args %v)", a, gc.Args)
				}
			}
		})
	}
}

// The chart's CRDs are config/crd/bases, unchanged but for the chart's labels and the keep
// policy that makes `helm uninstall` leave them — and every request object — in place.
func TestChartCRDsMatchConfig(t *testing.T) {
	bases := filepath.Join(testenv.RepoRoot(), "config", "crd", "bases")
	sameFiles(t, bases, filepath.Join(chartDir, "files", "crds"), "*.yaml")

	want := map[string]*unstructured.Unstructured{}
	files, _ := filepath.Glob(filepath.Join(bases, "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range decodeAll(t, b) {
			want[o.GetName()] = o
		}
	}
	got := map[string]*unstructured.Unstructured{}
	for _, o := range render(t) {
		if o.GetKind() == "CustomResourceDefinition" {
			got[o.GetName()] = o
		}
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("the chart renders CRDs %v, config/crd/bases has %v", keys(got), keys(want))
	}
	for name, w := range want {
		g := got[name]
		if g == nil {
			t.Errorf("the chart does not render CRD %s", name)
			continue
		}
		if p := g.GetAnnotations()["helm.sh/resource-policy"]; p != "keep" {
			t.Errorf("CRD %s: helm.sh/resource-policy is %q, want keep", name, p)
		}
		g = g.DeepCopy()
		g.SetLabels(nil)
		ann := g.GetAnnotations()
		delete(ann, "helm.sh/resource-policy")
		g.SetAnnotations(ann)
		w = w.DeepCopy()
		w.SetLabels(nil)
		if !reflect.DeepEqual(normalize(t, w.Object), normalize(t, g.Object)) {
			t.Errorf("CRD %s as rendered differs from config/crd/bases", name)
		}
	}
	for _, o := range render(t, "--set", "crds.install=false") {
		if o.GetKind() == "CustomResourceDefinition" {
			t.Errorf("crds.install=false still renders CRD %s", o.GetName())
		}
	}
}

// The chart ships config/prometheus's alerts and config/grafana's dashboard as they are; the
// alerts only gain the labels the values ask for.
func TestChartMonitoringMatchesConfig(t *testing.T) {
	cfg := filepath.Join(testenv.RepoRoot(), "config")
	sameFile(t, filepath.Join(cfg, "prometheus", "prometheusrule.yaml"), filepath.Join(chartDir, "files", "prometheusrule.yaml"))
	sameFile(t, filepath.Join(cfg, "grafana", "pim-operator.json"), filepath.Join(chartDir, "files", "dashboard.json"))

	b, err := os.ReadFile(filepath.Join(cfg, "prometheus", "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wantSpec := normalize(t, decodeAll(t, b)[0].Object["spec"])

	rule := only(t, render(t, "--set", "metrics.prometheusRule.enabled=true"), "PrometheusRule")
	if got := normalize(t, rule.Object["spec"]); !reflect.DeepEqual(got, wantSpec) {
		t.Errorf("the chart's PrometheusRule spec differs from config/prometheus/prometheusrule.yaml")
	}

	rule = only(t, render(t, "-f", productionFile), "PrometheusRule")
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	n := 0
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			labels, _, _ := unstructured.NestedStringMap(r.(map[string]any), "labels")
			n++
			if labels["team"] != "platform" || labels["severity"] == "" {
				t.Errorf("alert %v: labels %v, want team=platform (alertLabels) and its own severity", r.(map[string]any)["alert"], labels)
			}
		}
	}
	if n == 0 {
		t.Error("the production PrometheusRule has no rules")
	}

	cm := only(t, render(t, "-f", productionFile), "ConfigMap")
	data, _, _ := unstructured.NestedString(cm.Object, "data", "pim-operator.json")
	dash, err := os.ReadFile(filepath.Join(cfg, "grafana", "pim-operator.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(data) != strings.TrimSpace(string(dash)) {
		t.Error("the dashboard ConfigMap does not hold config/grafana/pim-operator.json")
	}
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("the dashboard ConfigMap's labels %v lack grafana_dashboard=1", cm.GetLabels())
	}
}

// The values reach the manager: image, Graph auth, cloud and base URL, the workload identity's
// client id (annotation and pod label), the policy mode and group-policy check, the watched
// namespaces, the write limit, replicas and leader election.
func TestChartValues(t *testing.T) {
	prod := render(t, "-f", productionFile)
	d := deployment(t, prod)
	c := manager(t, d.Spec.Template.Spec)
	if got, want := c.Image, "registry.example.com/platform/pim-operator@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"; got != want {
		t.Errorf("image %q, want %q", got, want)
	}
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas %d, want 2", *d.Spec.Replicas)
	}
	for _, a := range []string{"--leader-elect", "--graph-auth=workload-identity", "--graph-cloud=public", "--policy-mode=enforce",
		"--watch-namespaces=team-a,team-b", "--graph-write-qps=8", "--graph-write-burst=16", "--zap-log-level=info",
		"--metrics-bind-address=:8443"} {
		if !slices.Contains(c.Args, a) {
			t.Errorf("production args %v lack %s", c.Args, a)
		}
	}
	if d.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
		t.Error("the pods lack the label azure.workload.identity/use=true")
	}
	sa := only(t, prod, "ServiceAccount")
	if got := sa.GetAnnotations()["azure.workload.identity/client-id"]; got != "6d0c6a52-3b7e-4b8f-9c1d-2e3f4a5b6c7d" {
		t.Errorf("ServiceAccount annotation azure.workload.identity/client-id = %q", got)
	}
	if got := sa.GetAnnotations()["azure.workload.identity/tenant-id"]; got != "72f988bf-86f1-41af-91ab-2d7cd011db47" {
		t.Errorf("ServiceAccount annotation azure.workload.identity/tenant-id = %q", got)
	}

	d = deployment(t, render(t, "--set", "graph.auth=client-secret", "--set", "graph.cloud=usgov",
		"--set", "graph.baseURL=https://graph.microsoft.us/v1.0", "--set", "policyMode=disabled",
		"--set", "leaderElection.enabled=false", "--set", "image.tag=v9.9.9", "--set", "groupPolicyCheck=enforce"))
	c = manager(t, d.Spec.Template.Spec)
	for _, a := range []string{"--graph-auth=client-secret", "--graph-cloud=usgov", "--graph-base-url=https://graph.microsoft.us/v1.0",
		"--policy-mode=disabled", "--group-policy-check=enforce"} {
		if !slices.Contains(c.Args, a) {
			t.Errorf("args %v lack %s", c.Args, a)
		}
	}
	if slices.Contains(c.Args, "--leader-elect") {
		t.Error("leaderElection.enabled=false still passes --leader-elect")
	}
	if _, ok := d.Spec.Template.Labels["azure.workload.identity/use"]; ok {
		t.Error("graph.auth=client-secret still labels the pods for workload identity")
	}
	if c.Image != "pim-operator:v9.9.9" {
		t.Errorf("image %q, want pim-operator:v9.9.9", c.Image)
	}

	// What must not render at all.
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"replicas=2", "leaderElection.enabled=false"}, "replicas > 1 needs leaderElection.enabled"},
		{[]string{"graph.auth=password"}, "/graph/auth"},
		{[]string{"policyMode=audit"}, "/policyMode"},
		{[]string{"workloadIdentity.clientId=not-a-guid"}, "/workloadIdentity/clientId"},
	} {
		args := []string{"template", release, chartDir, "--namespace", namespace}
		for _, s := range tc.set {
			args = append(args, "--set", s)
		}
		out, err := runHelm(t, args...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("helm template --set %v: want a failure naming %q, got err=%v\n%s", tc.set, tc.want, err, out)
		}
	}
}

// --- helm and kustomize -------------------------------------------------------------------

var tools struct {
	sync.Mutex
	paths map[string]string
}

// tool is $env, as `make test` sets it, or the binary hack/tools/build.sh builds from Go
// modules into its cache outside the checkout (a warm cache answers at once).
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	tools.Lock()
	defer tools.Unlock()
	if p, ok := tools.paths[name]; ok {
		return p
	}
	cmd := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "tools", "build.sh"), name)
	cmd.Stderr = os.Stderr // the build's progress
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/tools/build.sh %s: %v", name, err)
	}
	p := strings.TrimSpace(string(out))
	if tools.paths == nil {
		tools.paths = map[string]string{}
	}
	tools.paths[name] = p
	return p
}

// runHelm runs helm with its state in a temporary directory (no repositories or plugins of the
// machine's user) and returns its combined output.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(tool(t, "HELM", "helm"), args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_DATA_HOME="+filepath.Join(home, "data"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runHelm(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// render is `helm template` of the chart as release pim-operator in pim-operator-system.
func render(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out := helm(t, append([]string{"template", release, chartDir, "--namespace", namespace}, args...)...)
	objs := decodeAll(t, []byte(out))
	if len(objs) == 0 {
		t.Fatal("helm template rendered no objects")
	}
	return objs
}

func kustomizeBuild(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	b, err := testenv.KustomizeBuild(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return decodeAll(t, b)
}

func decodeAll(t *testing.T, b []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := testenv.DecodeObjects(b)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// --- comparisons --------------------------------------------------------------------------

type rbacObject struct {
	rules    []rbacv1.PolicyRule
	roleRef  *rbacv1.RoleRef
	subjects []rbacv1.Subject
}

// rbacObjects are the roles and bindings among objs by "Kind namespace/name".
func rbacObjects(t *testing.T, objs []*unstructured.Unstructured) map[string]rbacObject {
	t.Helper()
	out := map[string]rbacObject{}
	for _, o := range objs {
		key := fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
		switch o.GetKind() {
		case "ClusterRole", "Role":
			var r rbacv1.ClusterRole
			fromUnstructured(t, o, &r)
			out[key] = rbacObject{rules: r.Rules}
		case "ClusterRoleBinding", "RoleBinding":
			var b rbacv1.ClusterRoleBinding
			fromUnstructured(t, o, &b)
			subjects := append([]rbacv1.Subject(nil), b.Subjects...)
			sort.Slice(subjects, func(i, j int) bool { return fmt.Sprint(subjects[i]) < fmt.Sprint(subjects[j]) })
			out[key] = rbacObject{roleRef: &b.RoleRef, subjects: subjects}
		}
	}
	if len(out) == 0 {
		t.Fatal("no RBAC objects")
	}
	return out
}

// diffPermissions compares two rule lists as the sets of permissions they grant, one
// (apiGroup, resource, resourceName, verb) or (URL, verb) each, so that rules split, merged or
// ordered differently compare equal.
func diffPermissions(want, got []rbacv1.PolicyRule) (missing, extra []string) {
	w, g := permissions(want), permissions(got)
	for p := range w {
		if !g[p] {
			missing = append(missing, p)
		}
	}
	for p := range g {
		if !w[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func permissions(rules []rbacv1.PolicyRule) map[string]bool {
	out := map[string]bool{}
	orAll := func(s []string) []string {
		if len(s) == 0 {
			return []string{""}
		}
		return s
	}
	for _, r := range rules {
		for _, v := range r.Verbs {
			for _, u := range r.NonResourceURLs {
				out[fmt.Sprintf("%s %s", v, u)] = true
			}
			for _, grp := range r.APIGroups {
				for _, res := range r.Resources {
					for _, n := range orAll(r.ResourceNames) {
						p := fmt.Sprintf("%s %s.%s", v, res, grp)
						if n != "" {
							p += "/" + n
						}
						out[p] = true
					}
				}
			}
		}
	}
	return out
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	fromUnstructured(t, only(t, objs, "Deployment"), &d)
	return &d
}

func manager(t *testing.T, spec corev1.PodSpec) corev1.Container {
	t.Helper()
	for _, c := range spec.Containers {
		if c.Name == "manager" {
			return c
		}
	}
	t.Fatalf("no container named manager in %v", spec.Containers)
	return corev1.Container{}
}

func only(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s, want 1", len(found), kind)
	}
	return found[0]
}

func fromUnstructured(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// normalize is v through JSON, so that numbers decoded by different paths (int64, float64)
// compare equal.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func show(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\n", "; "))
}

// sameFiles fails unless dir and copyDir hold the same files matching pattern, byte for byte.
func sameFiles(t *testing.T, dir, copyDir, pattern string) {
	t.Helper()
	want, _ := filepath.Glob(filepath.Join(dir, pattern))
	got, _ := filepath.Glob(filepath.Join(copyDir, pattern))
	base := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = filepath.Base(p)
		}
		return out
	}
	if !slices.Equal(base(want), base(got)) {
		t.Errorf("%s holds %v, %s holds %v: run `make manifests` (it copies config/ into the chart)",
			dir, base(want), copyDir, base(got))
		return
	}
	for i := range want {
		sameFile(t, want[i], got[i])
	}
}

func sameFile(t *testing.T, original, copied string) {
	t.Helper()
	a, err := os.ReadFile(original)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(copied)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s is not a copy of %s: run `make manifests` (it copies config/ into the chart)", copied, original)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// --- the Prometheus operator's kinds ------------------------------------------------------

// monitoringCRDs stand in for the Prometheus operator's ServiceMonitor and PrometheusRule
// CRDs, which envtest does not have and no Go module ships. Their schemas are the part of the
// real ones (monitoring.coreos.com/v1) that the chart writes, without unknown fields, so strict
// field validation still catches a misspelt field; a field the chart starts to use must be
// added here from the real schema.
const monitoringCRDs = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [endpoints, selector]
            properties:
              endpoints:
                type: array
                items:
                  type: object
                  properties:
                    path: {type: string}
                    port: {type: string}
                    scheme: {type: string, enum: [http, https, HTTP, HTTPS]}
                    interval: {type: string, pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$'}
                    scrapeTimeout: {type: string, pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$'}
                    bearerTokenFile: {type: string}
                    tlsConfig:
                      type: object
                      properties:
                        insecureSkipVerify: {type: boolean}
                        serverName: {type: string}
              selector:
                type: object
                properties:
                  matchLabels: {type: object, additionalProperties: {type: string}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: prometheusrules.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: PrometheusRule, listKind: PrometheusRuleList, plural: prometheusrules, singular: prometheusrule}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              groups:
                type: array
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string, minLength: 1}
                    interval: {type: string}
                    rules:
                      type: array
                      items:
                        type: object
                        required: [expr]
                        properties:
                          alert: {type: string}
                          record: {type: string}
                          expr: {x-kubernetes-int-or-string: true}
                          for: {type: string}
                          keep_firing_for: {type: string}
                          labels: {type: object, additionalProperties: {type: string}}
                          annotations: {type: object, additionalProperties: {type: string}}
`

func installMonitoringCRDs(t *testing.T, c client.Client) {
	t.Helper()
	ctx := t.Context()
	for _, crd := range decodeAll(t, []byte(monitoringCRDs)) {
		if err := c.Create(ctx, crd); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		if err := waitEstablished(ctx, c, crd.GetName()); err != nil {
			t.Fatal(err)
		}
	}
}

func waitEstablished(ctx context.Context, c client.Client, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("apiextensions.k8s.io/v1")
		u.SetKind("CustomResourceDefinition")
		if err := c.Get(ctx, client.ObjectKey{Name: name}, u); err != nil {
			return err
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, cond := range conds {
			m := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("CRD %s not established after 30s", name)
}
