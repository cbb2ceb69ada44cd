package charts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
	"github.com/pim-operator/pim-operator/internal/graphemu"
	"github.com/pim-operator/pim-operator/internal/graphtest"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

// `helm install` on a real API server installs the operator, and what the chart grants is
// enough to run it: a manager acting as the chart's ServiceAccount, and as nothing more, elects
// itself leader, keeps its seal key and takes a request to Graph and back. `helm uninstall`
// then removes the operator and leaves the CRDs, the request object and the access it holds.
func TestHelmInstallRunsTheOperator(t *testing.T) {
	env := &envtest.Environment{BinaryAssetsDirectory: os.Getenv("KUBEBUILDER_ASSETS"), Scheme: testenv.Scheme()}
	if env.BinaryAssetsDirectory == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := testenv.Scheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "chart-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	helm(t, "install", release, chartDir, "--namespace", namespace, "--create-namespace", "--kubeconfig", kubeconfig)
	var deploy appsv1.Deployment
	if err := admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: release + "-controller-manager"}, &deploy); err != nil {
		t.Fatalf("helm install left no Deployment: %v", err)
	}
	container := manager(t, deploy.Spec.Template.Spec)
	if !hasArg(container.Args, "--leader-elect") {
		t.Errorf("the chart's manager runs without --leader-elect: %v", container.Args)
	}

	// The manager as the Deployment's pod would authenticate: its ServiceAccount and groups.
	sa := rest.CopyConfig(cfg)
	sa.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + namespace + ":" + deploy.Spec.Template.Spec.ServiceAccountName,
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
	graph := graphtest.New(t, graphemu.Options{MinActiveAge: time.Second})
	mgr, err := controllers.NewManager(sa, controllers.Config{
		Graph: graph.Client, OperatorNamespace: namespace,
		LeaderElection: true, LeaderElectionNamespace: namespace,
		Options: controllers.Options{PollInterval: 200 * time.Millisecond, MaxPollInterval: 2 * time.Second,
			CreateSettlePeriod: 3 * time.Second, MinActiveAge: time.Second, GraphTimeout: 2 * time.Second},
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	stopManager := func() {
		if stop != nil {
			stop()
			if err := <-done; err != nil {
				t.Errorf("the manager, as the chart's ServiceAccount: %v", err)
			}
			stop = nil
		}
	}
	t.Cleanup(stopManager)

	team, group := "team-a", uuid.NewString()
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: team}},
		&v1.PIMAccessPolicy{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}, Spec: v1.PIMAccessPolicySpec{
			Namespaces: []string{team}, MaxDuration: *v1.DurationOf(8 * time.Hour),
			Groups: []v1.AllowedGroup{{GroupID: group, AccessIDs: []v1.AccessID{v1.AccessMember}}},
		}},
		&v1.PIMAssignmentRequest{ObjectMeta: metav1.ObjectMeta{Namespace: team, Name: "on-call"}, Spec: v1.RequestSpec{
			GroupID: group, PrincipalID: uuid.NewString(), Justification: "on-call",
			Schedule: &v1.Schedule{Expiration: v1.Expiration{Type: v1.ExpirationAfterDuration, Duration: v1.DurationOf(time.Hour)}},
		}},
	} {
		if err := admin.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	req := &v1.PIMAssignmentRequest{}
	key := client.ObjectKey{Namespace: team, Name: "on-call"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := admin.Get(ctx, key, req); err != nil {
			t.Fatal(err)
		}
		if meta.IsStatusConditionTrue(req.Status.Conditions, v1.ConditionReady) &&
			meta.IsStatusConditionTrue(req.Status.Conditions, v1.ConditionActive) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the request is not Ready and Active under the chart's RBAC: %+v", req.Status.Conditions)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := len(graph.Emulator.Requests()); got != 1 {
		t.Errorf("%d requests in Graph, want 1", got)
	}
	var seal corev1.Secret
	if err := admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: controllers.SealSecretName}, &seal); err != nil {
		t.Errorf("the manager kept no seal key in its namespace: %v", err)
	}

	stopManager()
	helm(t, "uninstall", release, "--namespace", namespace, "--kubeconfig", kubeconfig)
	if err := admin.Get(ctx, client.ObjectKeyFromObject(&deploy), &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("helm uninstall left the Deployment: %v", err)
	}
	var crds apiextensionsv1.CustomResourceDefinitionList
	if err := admin.List(ctx, &crds); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, crd := range crds.Items {
		if strings.HasSuffix(crd.Name, "."+v1.GroupVersion.Group) {
			kept = append(kept, crd.Name)
		}
	}
	if len(kept) != 3 {
		t.Errorf("helm uninstall kept CRDs %v, want all three", kept)
	}
	if err := admin.Get(ctx, key, req); err != nil {
		t.Errorf("helm uninstall took the request object with it: %v", err)
	}
	if live := graph.Emulator.Schedules(); len(live) != 1 {
		t.Errorf("%d live assignments in Graph after helm uninstall, want the request's one: %v", len(live), fmt.Sprint(live))
	}
}

func hasArg(args []string, arg string) bool {
	for _, a := range args {
		if a == arg || strings.HasPrefix(a, arg+"=") {
			return true
		}
	}
	return false
}
