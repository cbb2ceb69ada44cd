package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// cluster is a real kube-apiserver and etcd (envtest's control plane) whose API server can be
// stopped and started again while etcd keeps running: its serving certificates live in a
// directory of the soak's (envtest would delete a directory of its own on stop), its port and
// its client CA stay, so the managers' kubeconfigs keep working across the restart.
type cluster struct {
	env    *envtest.Environment
	cfg    *rest.Config // cluster administrator, for the driver
	client client.Client
	scheme *k8sruntime.Scheme
	// managerKubeconfig is the file the manager processes read (--kubeconfig).
	managerKubeconfig string

	mu       sync.Mutex
	restarts []apiRestart
}

// apiRestart is one stop and start of kube-apiserver.
type apiRestart struct {
	Stop, Stopped, Ready time.Time
	Err                  string
}

func startCluster(dir, assets, crdDir string) (*cluster, error) {
	certDir := filepath.Join(dir, "kube-apiserver")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		ControlPlane:          envtest.ControlPlane{APIServer: &envtest.APIServer{CertDir: certDir}},
		// A shared machine may be slow to start kube-apiserver again.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest from %s: %w", assets, err)
	}
	c := &cluster{env: env, scheme: k8sruntime.NewScheme()}
	if err := clientgoscheme.AddToScheme(c.scheme); err != nil {
		_ = env.Stop()
		return nil, err
	}
	c.cfg = rest.CopyConfig(cfg)
	c.cfg.Timeout = 30 * time.Second
	if c.client, err = client.New(c.cfg, client.Options{Scheme: c.scheme}); err != nil {
		_ = env.Stop()
		return nil, err
	}
	// The managers authenticate as a user of their own (a cluster administrator: the shipped
	// RBAC is internal/e2e's business, not the soak's).
	u, err := env.ControlPlane.AddUser(envtest.User{Name: "pim-operator-soak", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	kc, err := u.KubeConfig()
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	c.managerKubeconfig = filepath.Join(dir, "manager.kubeconfig")
	if err := os.WriteFile(c.managerKubeconfig, kc, 0o600); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return c, nil
}

func (c *cluster) stop() error { return c.env.Stop() }

// restartAPIServer stops kube-apiserver (SIGTERM, as a rolling update of the control plane
// does) and starts it again on the same port with the same certificates; etcd keeps running.
func (c *cluster) restartAPIServer() apiRestart {
	as := c.env.ControlPlane.APIServer
	r := apiRestart{Stop: time.Now()}
	if err := as.Stop(); err != nil {
		r.Err = "stop: " + err.Error()
	}
	r.Stopped = time.Now()
	if err := as.Start(); err != nil {
		r.Err = strings.TrimPrefix(r.Err+"; start: "+err.Error(), "; ")
	}
	r.Ready = time.Now()
	c.mu.Lock()
	c.restarts = append(c.restarts, r)
	c.mu.Unlock()
	return r
}

// ensureNamespaces creates the namespaces the soak uses.
func (c *cluster) ensureNamespaces(ctx context.Context, names ...string) error {
	for _, n := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}
		if err := c.client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// createPolicy creates the PIMAccessPolicy that permits the soak's namespaces, groups and
// durations, for active assignments and, when the CRD has the eligibility grant, for
// eligibility. It reports whether the eligibility grant was accepted: the API server is asked
// to reject unknown fields, so a CRD without the grant says so instead of dropping it.
func (c *cluster) createPolicy(ctx context.Context, w workloadShape) (eligibilityGranted bool, err error) {
	groups := func() []any {
		var out []any
		for g := range w.groups {
			out = append(out, map[string]any{"groupId": groupID(g), "accessIds": []any{"member", "owner"}})
		}
		return out
	}
	spec := map[string]any{
		"namespaces":           toAny(w.namespaces),
		"groups":               groups(),
		"maxDuration":          assignmentLength.String(),
		"requireJustification": true,
	}
	newPolicy := func(spec map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": apiVersion, "kind": "PIMAccessPolicy",
			"metadata": map[string]any{"name": "soak"},
			"spec":     spec,
		}}
		return u
	}
	withEligibility := map[string]any{}
	for k, v := range spec {
		withEligibility[k] = v
	}
	withEligibility["eligibility"] = map[string]any{"groups": groups(), "maxDuration": eligibilityLength.String()}
	err = c.client.Create(ctx, newPolicy(withEligibility), client.FieldValidation("Strict"))
	switch {
	case err == nil:
		return true, nil
	case !strings.Contains(err.Error(), "unknown field"):
		return false, fmt.Errorf("creating the soak's PIMAccessPolicy: %w", err)
	}
	if err := c.client.Create(ctx, newPolicy(spec), client.FieldValidation("Strict")); err != nil {
		return false, fmt.Errorf("creating the soak's PIMAccessPolicy: %w", err)
	}
	return false, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
