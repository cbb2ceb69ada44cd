package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// The end-to-end tests run the plugin as people do: the real kubectl (built with the envtest
// control plane) finds kubectl-pim on PATH, against a real API server, with the operator's
// manager reconciling against the Graph emulator and enforcing the guard rails.
const (
	groupA        = "6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f" // team-a may ask for it
	groupDenied   = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b" // no policy lists it
	groupPlatform = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" // granted to namespaces labelled team=platform
	// me is the user of the "me" kubeconfig, named by an Entra object id as a cluster with
	// Entra ID authentication names users, so that request finds the principal itself.
	me        = "0f9e8d7c-6b5a-4c3d-8e1f-a2b3c4d5e6f7"
	colleague = "5c4b3a29-1807-4f6e-9d5c-4b3a29180706"
)

// principal returns an object id of the test's own: Graph allows one assignment per principal,
// group and access, so tests that ask for the same group must not share a principal.
func principalFor(n int) string { return fmt.Sprintf("%08d-0000-4000-8000-000000000000", n) }

type e2e struct {
	env     *testenv.Env
	emu     *graphemu.Emulator
	k8s     client.Client
	dir     string
	admin   string // kubeconfig: system:masters, contexts envtest (no namespace) and team-b
	meCfg   string // kubeconfig: user `me`, system:masters too, namespace team-a
	viewer  string // kubeconfig: may only read PIMAssignmentRequests in team-a
	pathEnv string // PATH with the plugin's directory first
	stop    func()
}

var (
	suiteOnce sync.Once
	suite     *e2e
	suiteErr  error
)

// setUp starts everything once, for the tests that need it; TestMain stops it.
func setUp(t *testing.T) *e2e {
	t.Helper()
	suiteOnce.Do(func() { suite, suiteErr = start() })
	if suiteErr != nil {
		t.Fatalf("setting up: %v", suiteErr)
	}
	return suite
}

func TestMain(m *testing.M) {
	code := m.Run()
	if suite != nil {
		suite.stop()
	}
	os.Exit(code)
}

func start() (_ *e2e, err error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}
	s := &e2e{}
	var stops []func()
	s.stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if s.dir, err = os.MkdirTemp("", "kubectl-pim-e2e-"); err != nil {
		return nil, err
	}
	stops = append(stops, func() { _ = os.RemoveAll(s.dir) })

	// The plugin compiles while the control plane starts.
	built := make(chan error, 1)
	go func() { built <- buildPlugin(filepath.Join(s.dir, "bin")) }()

	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	if s.env, err = testenv.Start(); err != nil {
		return nil, err
	}
	stops = append(stops, func() { _ = s.env.Stop() })
	s.k8s = s.env.Client
	gEnv, stopGraph, err := graphtest.Start(graphemu.Options{MinActiveAge: time.Second})
	if err != nil {
		return nil, err
	}
	stops = append(stops, stopGraph)
	s.emu = gEnv.Emulator

	ctx := context.Background()
	for name, labels := range map[string]map[string]string{
		"pim-operator-system": nil, "team-a": {"team": "platform"}, "team-b": nil,
	} {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		if err := s.k8s.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
	}
	member := []v1.AccessID{v1.AccessMember}
	both := []v1.AccessID{v1.AccessMember, v1.AccessOwner}
	for _, p := range []*v1.PIMAccessPolicy{
		{ObjectMeta: metav1.ObjectMeta{Name: "team-a-oncall"}, Spec: v1.PIMAccessPolicySpec{
			Namespaces:           []string{"team-a"},
			Groups:               []v1.AllowedGroup{{GroupID: groupA, AccessIDs: member}},
			MaxDuration:          *v1.DurationOf(8 * time.Hour),
			Eligibility:          &v1.EligibilityGrant{Groups: []v1.AllowedGroup{{GroupID: groupA, AccessIDs: both}}, MaxDuration: *v1.DurationOf(2160 * time.Hour)},
			RequireJustification: true,
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "platform"}, Spec: v1.PIMAccessPolicySpec{
			NamespaceSelector: &v1.NamespaceSelector{MatchLabels: map[string]v1.LabelValue{"team": "platform"}},
			Groups:            []v1.AllowedGroup{{GroupID: groupPlatform, AccessIDs: both, Principals: []string{me}}},
			MaxDuration:       *v1.DurationOf(720 * time.Hour),
			RequireTicket:     true,
		}},
	} {
		if err := s.k8s.Create(ctx, p); err != nil {
			return nil, err
		}
	}

	mgr, err := controllers.NewManager(s.env.Config, controllers.Config{
		Graph: gEnv.Client,
		Options: controllers.Options{PollInterval: 200 * time.Millisecond, MaxPollInterval: time.Second,
			MinActiveAge: time.Second, StalledBackoff: time.Second, ReplicationGrace: time.Second},
		PolicyMode:             controllers.PolicyModeEnforce,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		OperatorNamespace:      "pim-operator-system",
		Now:                    s.emu.Now,
	})
	if err != nil {
		return nil, err
	}
	mgrCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(mgrCtx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	stops = append(stops, func() { cancel(); <-done })

	if s.admin, err = s.kubeconfig("admin", envtest.User{Name: "pim-admin", Groups: []string{"system:masters"}}, ""); err != nil {
		return nil, err
	}
	if s.meCfg, err = s.kubeconfig("me", envtest.User{Name: me, Groups: []string{"system:masters"}}, "team-a"); err != nil {
		return nil, err
	}
	if s.viewer, err = s.kubeconfig("viewer", envtest.User{Name: "viewer"}, "team-a"); err != nil {
		return nil, err
	}
	read := []string{"get", "list", "watch"}
	for _, o := range []client.Object{
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "assignment-viewer"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{"pimassignmentrequests"}, Verbs: read}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "assignment-viewer"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "assignment-viewer"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "viewer"}}},
	} {
		if err := s.k8s.Create(ctx, o); err != nil {
			return nil, err
		}
	}
	if err := <-built; err != nil {
		return nil, err
	}
	s.pathEnv = filepath.Join(s.dir, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	return s, nil
}

// kubeconfig writes a kubeconfig for user whose current context has namespace ns; the admin's
// has a second context, team-b, with that namespace.
func (s *e2e) kubeconfig(file string, user envtest.User, ns string) (string, error) {
	u, err := s.env.ControlPlane.AddUser(user, nil)
	if err != nil {
		return "", err
	}
	b, err := u.KubeConfig()
	if err != nil {
		return "", err
	}
	cfg, err := clientcmd.Load(b)
	if err != nil {
		return "", err
	}
	cur := cfg.Contexts[cfg.CurrentContext]
	cur.Namespace = ns
	other := cur.DeepCopy()
	other.Namespace = "team-b"
	cfg.Contexts["team-b"] = other
	path := filepath.Join(s.dir, file+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// buildPlugin compiles the plugin into dir as kubectl-pim, the name kubectl looks for, the way
// this test binary was built (-race or not), so that it shares the build cache.
func buildPlugin(dir string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	args := []string{"build", "-o", filepath.Join(dir, "kubectl-pim")}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

type result struct {
	stdout, stderr string
	code           int
}

// kubectl runs the real kubectl with kubeconfig (KUBECONFIG) and PATH leading to the plugin.
func (s *e2e) kubectl(t *testing.T, kubeconfig string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.env.KubectlPath(), args...)
	home := filepath.Join(s.dir, "home") // kubectl's discovery cache, not the machine user's
	cmd.Env = append(os.Environ(), "PATH="+s.pathEnv, "HOME="+home, "KUBECACHEDIR="+filepath.Join(home, "cache"))
	if kubeconfig != "" {
		cmd.Env = append(cmd.Env, "KUBECONFIG="+kubeconfig)
	} else {
		cmd.Env = append(cmd.Env, "KUBECONFIG=")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("$ kubectl %s  → exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}

// ok runs kubectl and fails the test unless it exits 0.
func (s *e2e) ok(t *testing.T, kubeconfig string, args ...string) string {
	t.Helper()
	r := s.kubectl(t, kubeconfig, args...)
	if r.code != 0 {
		t.Fatalf("kubectl %s exited %d:\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// object reads a request object of either kind by the name a command printed.
func (s *e2e) object(t *testing.T, k controllers.Kind, ns, name string) controllers.Object {
	t.Helper()
	obj := k.New()
	if err := s.k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

var refPattern = regexp.MustCompile(`(pimassignmentrequest|pimeligibilityrequest)/([a-z0-9.-]+)`)

// printedName is the object a command's output names.
func printedName(t *testing.T, out string) (controllers.Kind, string) {
	t.Helper()
	m := refPattern.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the output names no object: %q", out)
	}
	k, _ := kindNamed(m[1])
	return k, m[2]
}

// kubectl finds the plugin on PATH.
func TestPluginIsDiscovered(t *testing.T) {
	s := setUp(t)
	out := s.ok(t, s.admin, "plugin", "list")
	if !strings.Contains(out, filepath.Join(s.dir, "bin", "kubectl-pim")) {
		t.Errorf("kubectl plugin list does not show kubectl-pim:\n%s", out)
	}
	if help := s.ok(t, s.admin, "pim", "--help"); !strings.Contains(help, "kubectl pim [command]") {
		t.Errorf("kubectl pim --help does not speak of itself as kubectl pim:\n%s", help)
	}
}

// request creates an active assignment for the caller, with a readable name, waits for the
// operator and prints the outcome in one line.
func TestRequestActive(t *testing.T) {
	s := setUp(t)
	r := s.kubectl(t, s.meCfg, "pim", "request", groupA, "--for", "8h", "--justification", "On-call, week 48",
		"--ticket", "ServiceNow:CHG0012345")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 {
		t.Errorf("the outcome is %d lines, want one", len(lines))
	}
	for _, want := range []string{"is Ready", "member of group " + groupA + " for " + me, "in force until", "[Graph: Provisioned]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("outcome %q lacks %q", r.stdout, want)
		}
	}
	k, name := printedName(t, r.stdout)
	if k.Name != "PIMAssignmentRequest" {
		t.Errorf("request created a %s", k.Name)
	}
	if !regexp.MustCompile(`^0f9e8d7c-member-6b1f3c9e-[a-z0-9]{5}$`).MatchString(name) {
		t.Errorf("generated name %q, want <who>-member-<group>-xxxxx", name)
	}
	obj := s.object(t, k, "team-a", name)
	spec := obj.GetRequestSpec()
	if spec.PrincipalID != me || spec.GroupID != groupA || spec.AccessID != v1.AccessMember ||
		spec.Justification != "On-call, week 48" || spec.Ticket == nil || spec.Ticket.System != "ServiceNow" ||
		spec.Ticket.Number != "CHG0012345" || spec.Schedule.Expiration.Duration.String() != "8h" {
		t.Errorf("spec %+v (schedule %+v) is not what was asked", spec, spec.Schedule)
	}
	if !meta.IsStatusConditionTrue(obj.GetRequestStatus().Conditions, v1.ConditionActive) {
		t.Errorf("the object is not Active: %+v", obj.GetRequestStatus().Conditions)
	}
}

// --eligible --owner --principal make an owner eligibility for someone else; -n picks the
// namespace, written before the subcommand as kubectl users write it.
func TestRequestEligibleOwner(t *testing.T) {
	s := setUp(t)
	out := s.ok(t, s.admin, "pim", "-n", "team-a", "request", groupA, "--for", "90d", "--eligible", "--owner",
		"--principal", colleague, "--justification", "Team lead")
	if !strings.Contains(out, "is Ready: eligible owner of group "+groupA+" for "+colleague) {
		t.Errorf("outcome %q", out)
	}
	k, name := printedName(t, out)
	obj := s.object(t, k, "team-a", name)
	if k.Name != "PIMEligibilityRequest" || obj.GetRequestSpec().AccessID != v1.AccessOwner ||
		obj.GetRequestSpec().Schedule.Expiration.Duration.String() != "2160h" || obj.GetRequestSpec().PrincipalID != colleague {
		t.Errorf("%s %s: spec %+v", k.Name, name, obj.GetRequestSpec())
	}
	if !regexp.MustCompile(`^5c4b3a29-owner-6b1f3c9e-`).MatchString(name) {
		t.Errorf("generated name %q, want the principal's, the access's and the group's", name)
	}
}

// A request no policy permits ends Stalled: the outcome says why, and the exit status is 1.
func TestRequestNotPermitted(t *testing.T) {
	s := setUp(t)
	r := s.kubectl(t, s.meCfg, "pim", "request", groupDenied, "--for", "1h", "--justification", "Curious")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stdout, "is Stalled (NotPermitted): ") || !strings.Contains(r.stdout, groupDenied) {
		t.Errorf("outcome %q does not say that no policy permits group %s", r.stdout, groupDenied)
	}
	if strings.Contains(r.stderr, "error:") {
		t.Errorf("a Stalled outcome is printed once, not again as an error: %q", r.stderr)
	}
	// Without a terminal the wait prints a line for each state it sees, on stderr.
	if !strings.Contains(r.stderr, "waiting for the operator") {
		t.Errorf("no progress on stderr: %q", r.stderr)
	}
}

// --no-wait -o yaml prints the object as created, with --name.
func TestRequestNoWait(t *testing.T) {
	s := setUp(t)
	out := s.ok(t, s.meCfg, "pim", "request", groupA, "--for", "30m", "--justification", "Quick look", "--principal", principalFor(4),
		"--name", "quick-look", "--start", "2h", "--no-wait", "-o", "yaml")
	var obj v1.PIMAssignmentRequest
	if err := yaml.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatal(err)
	}
	if obj.Kind != "PIMAssignmentRequest" || obj.APIVersion != v1.GroupVersion.String() || obj.Name != "quick-look" ||
		obj.Spec.Schedule.StartDateTime == nil {
		t.Errorf("-o yaml printed %s %s %s, start %v", obj.APIVersion, obj.Kind, obj.Name, obj.Spec.Schedule.StartDateTime)
	}
	start, err := obj.Spec.Schedule.StartDateTime.Get()
	if err != nil || time.Until(start) < 90*time.Minute || time.Until(start) > 150*time.Minute {
		t.Errorf("--start 2h gave %v (%v)", start, err)
	}
}

// Bad input is refused before anything is created, with what to write instead.
func TestRequestUsage(t *testing.T) {
	s := setUp(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{groupA, "--justification", "x"}, `required flag(s) "for"`},
		{[]string{"not-a-group", "--for", "1h", "--justification", "x"}, "GROUP must be the group's object id"},
		{[]string{groupA, "--for", "1 day", "--justification", "x"}, "is not a duration"},
		{[]string{groupA, "--for", "1h", "--justification", "x", "--ticket", "CHG1"}, "SYSTEM:NUMBER"},
		{[]string{groupA, "--for", "1h", "--justification", "x", "-o", "table"}, "unsupported output format"},
	} {
		r := s.kubectl(t, s.meCfg, append([]string{"pim", "request"}, tc.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("kubectl pim request %v: exit %d, stderr %q, want a failure saying %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// ls shows who has what, until when, and in what state, for both kinds; -A for every
// namespace; -o json the objects themselves.
func TestList(t *testing.T) {
	s := setUp(t)
	who := principalFor(1)
	active := s.ok(t, s.meCfg, "pim", "request", groupA, "--for", "2h", "--justification", "For ls", "--principal", who)
	_, activeName := printedName(t, active)
	eligible := s.ok(t, s.meCfg, "pim", "request", groupA, "--for", "720h", "--eligible", "--justification", "For ls", "--principal", who)
	_, eligibleName := printedName(t, eligible)
	other := s.ok(t, s.admin, "pim", "request", groupA, "--for", "1h", "--justification", "Elsewhere",
		"--principal", colleague, "-n", "team-b", "--name", "in-team-b", "--no-wait")
	if !strings.Contains(other, "pimassignmentrequest/in-team-b created") {
		t.Errorf("--no-wait printed %q", other)
	}

	rows := parseTable(t, s.ok(t, s.meCfg, "pim", "ls"))
	want := map[string][2]string{activeName: {"active", "Active"}, eligibleName: {"eligible", "Eligible"}}
	for name, w := range want {
		row, ok := rows[name]
		if !ok {
			t.Errorf("ls does not list %s", name)
			continue
		}
		if row["TYPE"] != w[0] || row["STATE"] != w[1] || row["PRINCIPAL"] != who || row["GROUP"] != groupA || row["ACCESS"] != "member" {
			t.Errorf("ls row for %s: %v, want type %s, state %s", name, row, w[0], w[1])
		}
		if !strings.Contains(row["UNTIL"], " UTC (in ") {
			t.Errorf("ls row for %s: UNTIL %q, want a time and the time left", name, row["UNTIL"])
		}
	}
	if _, ok := rows["in-team-b"]; ok {
		t.Error("ls without -A lists another namespace's object")
	}

	all := parseTable(t, s.ok(t, s.admin, "pim", "ls", "-A"))
	if row, ok := all["in-team-b"]; !ok || row["NAMESPACE"] != "team-b" {
		t.Errorf("ls -A: the team-b object is %v", row)
	}

	var list struct {
		Kind  string `json:"kind"`
		Items []struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(s.ok(t, s.meCfg, "pim", "ls", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, it := range list.Items {
		kinds[it.Kind] = true
		if it.Metadata.Namespace != "team-a" {
			t.Errorf("ls -o json lists %s/%s", it.Metadata.Namespace, it.Metadata.Name)
		}
	}
	for _, it := range list.Items {
		if len(it.Metadata.ManagedFields) > 0 {
			t.Errorf("ls -o json shows the managed fields of %s, which kubectl leaves out", it.Metadata.Name)
		}
	}
	if list.Kind != "List" || !kinds["PIMAssignmentRequest"] || !kinds["PIMEligibilityRequest"] {
		t.Errorf("ls -o json: kind %s with items of kinds %v", list.Kind, kinds)
	}
}

// why says in words why a request is stuck, the policy verdict, Graph's last error with its
// request-id, the conditions and the events.
func TestWhy(t *testing.T) {
	s := setUp(t)
	denied := s.kubectl(t, s.meCfg, "pim", "request", groupDenied, "--for", "1h", "--justification", "Why not")
	_, name := printedName(t, denied.stdout)
	out := s.ok(t, s.meCfg, "pim", "why", name)
	for _, want := range []string{
		"state:    Stalled: NotPermitted",
		"NotPermitted (Stalled=True): No PIMAccessPolicy permits what this object asks for",
		"What to do: Read the policy verdict below. `kubectl pim policies`",
		"Policy verdict: denied — ",
		"Last Graph error: none recorded",
		"Conditions:", "Events:", "Warning",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("why %s lacks %q", name, want)
		}
	}

	// Graph refuses the next create as its PIM policy would.
	s.emu.AddFault(graphemu.Fault{Operation: "createRequest", Status: 400, Code: "RoleAssignmentRequestPolicyValidationFailed",
		Message: "The following policy rules failed: [\"ExpirationRule\"]"})
	t.Cleanup(s.emu.ClearFaults)
	rejected := s.kubectl(t, s.meCfg, "pim", "request", groupA, "--for", "7h", "--justification", "Graph says no",
		"--principal", principalFor(2))
	if rejected.code != 1 || !strings.Contains(rejected.stdout, "is Stalled (GraphRejected)") {
		t.Fatalf("request against a refusing Graph: exit %d, %q", rejected.code, rejected.stdout)
	}
	_, name = printedName(t, rejected.stdout)
	out = s.ok(t, s.meCfg, "pim", "why", "pimar/"+name)
	for _, want := range []string{
		"GraphRejected (Stalled=True): Microsoft Graph refused the request as written",
		"Policy verdict: permitted — ",
		"Last Graph error: GraphRejected — ",
		"RoleAssignmentRequestPolicyValidationFailed",
		"request-id",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("why %s lacks %q", name, want)
		}
	}
}

// policies shows what the namespace may ask for, from the policies that select it by name or
// by label.
func TestPolicies(t *testing.T) {
	s := setUp(t)
	out := s.ok(t, s.meCfg, "pim", "policies")
	rows := parseRows(t, out)
	want := []string{
		"platform active " + groupPlatform + " member,owner 1 principal 720h no any time ticket",
		"team-a-oncall active " + groupA + " member any 8h no any time justification",
		"team-a-oncall eligible " + groupA + " member,owner any 2160h no any time justification",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("kubectl pim policies in team-a:\n%s\nwant rows:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if wide := s.ok(t, s.meCfg, "pim", "policies", "-o", "wide"); !strings.Contains(wide, me) {
		t.Errorf("-o wide does not list the principals:\n%s", wide)
	}
	if none := s.ok(t, s.admin, "pim", "policies", "-n", "team-b"); !strings.Contains(none, "No PIMAccessPolicy selects namespace team-b") {
		t.Errorf("policies in team-b: %q", none)
	}
}

// cancel ends live access and waits until the operator has removed it; a name that both kinds
// have must be written with its kind.
func TestCancel(t *testing.T) {
	s := setUp(t)
	_, name := printedName(t, s.ok(t, s.meCfg, "pim", "request", groupA, "--for", "1h", "--justification", "To cancel",
		"--principal", principalFor(3)))
	out := s.ok(t, s.meCfg, "pim", "cancel", name)
	if !strings.Contains(out, "pimassignmentrequest/"+name+" has ended (") {
		t.Errorf("cancel printed %q", out)
	}
	obj := s.object(t, controllers.AssignmentKind, "team-a", name)
	if !obj.GetRequestSpec().Cancelled || !meta.IsStatusConditionTrue(obj.GetRequestStatus().Conditions, v1.ConditionCancelled) ||
		meta.IsStatusConditionTrue(obj.GetRequestStatus().Conditions, v1.ConditionActive) {
		t.Errorf("after cancel: cancelled=%v, conditions %+v", obj.GetRequestSpec().Cancelled, obj.GetRequestStatus().Conditions)
	}

	s.ok(t, s.meCfg, "pim", "request", groupA, "--for", "1h", "--justification", "Twin", "--name", "twin", "--no-wait")
	s.ok(t, s.meCfg, "pim", "request", groupA, "--for", "1h", "--justification", "Twin", "--name", "twin", "--eligible", "--no-wait")
	r := s.kubectl(t, s.meCfg, "pim", "cancel", "twin")
	if r.code == 0 || !strings.Contains(r.stderr, "write pimar/twin or pimer/twin") {
		t.Errorf("cancel of an ambiguous name: exit %d, %q", r.code, r.stderr)
	}
	if out := s.ok(t, s.meCfg, "pim", "cancel", "pimer/twin", "--no-wait"); !strings.Contains(out, "pimeligibilityrequest/twin cancellation asked for") {
		t.Errorf("cancel pimer/twin --no-wait printed %q", out)
	}
	if !s.object(t, controllers.EligibilityKind, "team-a", "twin").GetRequestSpec().Cancelled ||
		s.object(t, controllers.AssignmentKind, "team-a", "twin").GetRequestSpec().Cancelled {
		t.Error("cancel pimer/twin did not cancel the eligibility alone")
	}
}

// --kubeconfig and --context work as kubectl's do, the context's namespace included.
func TestKubeconfigFlags(t *testing.T) {
	s := setUp(t)
	s.ok(t, s.admin, "pim", "-n", "team-b", "request", groupA, "--for", "1h", "--justification", "Flags",
		"--principal", colleague, "--name", "flags", "--no-wait")
	out := s.ok(t, "", "pim", "--kubeconfig", s.admin, "--context", "team-b", "ls")
	if _, ok := parseTable(t, out)["flags"]; !ok {
		t.Errorf("ls in context team-b (namespace team-b) does not list flags:\n%s", out)
	}
	r := s.kubectl(t, "", "pim", "--kubeconfig", s.admin, "--context", "nowhere", "ls")
	if r.code == 0 || !strings.Contains(r.stderr, "nowhere") {
		t.Errorf("--context nowhere: exit %d, %q", r.code, r.stderr)
	}
}

// parseTable reads a kubectl-style table by NAME, splitting rows at the header's columns (a
// cell such as "2026-12-01 19:40 UTC (in 1h)" holds spaces).
func parseTable(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		t.Fatal("no table")
	}
	header := lines[0]
	type col struct {
		name       string
		start, end int
	}
	var cols []col
	re := regexp.MustCompile(`[A-Z]+( [A-Z]+)*`)
	for _, m := range re.FindAllStringIndex(header, -1) {
		cols = append(cols, col{name: header[m[0]:m[1]], start: m[0]})
	}
	for i := range cols {
		cols[i].end = -1
		if i+1 < len(cols) {
			cols[i].end = cols[i+1].start
		}
	}
	rows := map[string]map[string]string{}
	for _, line := range lines[1:] {
		row := map[string]string{}
		for _, c := range cols {
			if c.start >= len(line) {
				continue
			}
			end := c.end
			if end < 0 || end > len(line) {
				end = len(line)
			}
			row[c.name] = strings.TrimSpace(line[c.start:end])
		}
		rows[row["NAME"]] = row
	}
	return rows
}

// parseRows is a table's rows with their cells joined by single spaces.
func parseRows(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var rows []string
	for _, l := range lines[1:] {
		rows = append(rows, strings.Join(strings.Fields(l), " "))
	}
	return rows
}

// Someone who may read only one kind still sees it, told what is left out; policies says which
// role it takes to read them.
func TestLimitedRights(t *testing.T) {
	s := setUp(t)
	s.ok(t, s.admin, "pim", "-n", "team-a", "request", groupA, "--for", "1h", "--justification", "Seen by the viewer",
		"--principal", principalFor(5), "--name", "for-the-viewer", "--no-wait")
	r := s.kubectl(t, s.viewer, "pim", "ls")
	if r.code != 0 {
		t.Fatalf("ls as a viewer of one kind: exit %d", r.code)
	}
	if _, ok := parseTable(t, r.stdout)["for-the-viewer"]; !ok {
		t.Errorf("ls as a viewer does not list for-the-viewer:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "not allowed to list PIMEligibilityRequests here") {
		t.Errorf("ls does not say that eligibilities are left out: %q", r.stderr)
	}
	r = s.kubectl(t, s.viewer, "pim", "policies")
	if r.code == 0 || !strings.Contains(r.stderr, "pimaccesspolicy-viewer-role") {
		t.Errorf("policies without the right to read them: exit %d, %q", r.code, r.stderr)
	}
}
