// Package testenv starts a real kube-apiserver and etcd (envtest) with the operator's CRDs
// installed, for the tests of every package whose behaviour crosses the API server.
//
// The binaries come from KUBEBUILDER_ASSETS, which `make test` sets to the cache that
// hack/envtest/build.sh fills from Go modules. Nothing is downloaded.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	accessv1alpha1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// Env is a running control plane with the CRDs installed.
type Env struct {
	*envtest.Environment
	Config *rest.Config
	Client client.Client
	Scheme *k8sruntime.Scheme
}

// RepoRoot is the checkout's root directory, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Scheme returns a scheme with the built-in kinds and the operator's API.
func Scheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := accessv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// Start starts the control plane. Call Stop when done.
func Start() (*Env, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run the tests with `make test`, " +
			"or export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}
	scheme := Scheme()
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest from %s: %w", assets, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Env{Environment: env, Config: cfg, Client: c, Scheme: scheme}, nil
}

// KubectlPath is the kubectl built next to kube-apiserver.
func (e *Env) KubectlPath() string {
	return filepath.Join(e.BinaryAssetsDirectory, "kubectl")
}

// GVK is the PIMAssignmentRequest kind.
var GVK = schema.GroupVersionKind{Group: accessv1alpha1.GroupVersion.Group, Version: accessv1alpha1.GroupVersion.Version, Kind: "PIMAssignmentRequest"}

// Kstatus is what kstatus (Flux, kubectl wait, cli-utils) computes for obj: the result GitOps
// tools show for it.
func Kstatus(obj client.Object, kind string) (kstatus.Status, error) {
	m, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return "", err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(accessv1alpha1.GroupVersion.String())
	u.SetKind(kind)
	res, err := kstatus.Compute(u)
	if err != nil {
		return "", err
	}
	return res.Status, nil
}

// CheckConditions fails t unless conds hold every condition of spec, a comma-separated list of
// "Type=Status/Reason".
func CheckConditions(t testing.TB, conds []metav1.Condition, spec string) {
	t.Helper()
	for _, c := range strings.Split(spec, ",") {
		typ, rest, _ := strings.Cut(c, "=")
		st, reason, _ := strings.Cut(rest, "/")
		got := meta.FindStatusCondition(conds, typ)
		if got == nil || string(got.Status) != st || got.Reason != reason {
			t.Errorf("condition %s: got %+v, want %s/%s", typ, got, st, reason)
		}
	}
}
