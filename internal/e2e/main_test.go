package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/pim-operator/pim-operator/internal/childproc"
	"github.com/pim-operator/pim-operator/internal/testenv"
)

const (
	// operatorNamespace is where config/default installs the operator.
	operatorNamespace = "pim-operator-system"
	// operatorUser is the ServiceAccount config/default creates for the manager, as the API
	// server names it; the RBAC bindings of config/rbac name it as their subject.
	operatorUser = "system:serviceaccount:" + operatorNamespace + ":pim-operator-controller-manager"
	// fieldOwner owns what the test applies server-side.
	fieldOwner = "pim-operator-e2e"
)

// rbacKinds are the kinds of config/default that the test installs for real: the operator's
// identity and its permissions. The Deployment and Service need a cluster that runs pods;
// the CRDs are installed by testenv and the Namespace is created by the test.
var rbacKinds = map[string]bool{
	"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true, "Role": true, "RoleBinding": true,
}

// suite is what TestMain sets up for every test.
type suite struct {
	env *testenv.Env
	dir string // temporary directory: binaries, kubeconfigs, logs

	adminKubeconfig      string // system:masters, for kubectl
	restrictedKubeconfig string // the operator's ServiceAccount, with only config/rbac's grants

	// manifests is `kustomize build config/default`, decoded.
	manifests    []*unstructured.Unstructured
	manifestsErr error

	builds  sync.WaitGroup
	binErr  map[string]error // by binary name, valid after builds.Wait
	binPath map[string]string
}

var s *suite

// rootCtx bounds every command the tests run (kubectl); teardown cancels it, so that no kubectl
// outlives the test and no open watch delays the API server's shutdown.
var rootCtx, cancelRoot = context.WithCancel(context.Background())

// TestMain builds the binaries (while the control plane starts), starts envtest, installs the
// shipped RBAC and writes the two kubeconfigs. Every process it or a test starts is stopped
// before it returns, also on SIGINT/SIGTERM and shortly before go test's -timeout fires.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx := rootCtx
	var teardownOnce sync.Once
	var st *suite
	teardown := func() {
		teardownOnce.Do(func() {
			cancelRoot()
			childproc.StopAll()
			if st != nil {
				st.builds.Wait()
				if st.env != nil {
					if err := st.env.Stop(); err != nil {
						fmt.Fprintf(os.Stderr, "e2e: stopping the control plane: %v\n", err)
					}
				}
				if os.Getenv("E2E_KEEP_DIR") == "" {
					_ = os.RemoveAll(st.dir)
				}
			}
		})
	}
	defer teardown()

	// go test kills the test binary when -timeout passes, and a terminal's Ctrl-C kills it
	// too; neither runs deferred functions. Stop the children first.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping the operator, the emulator and the control plane\n", sig)
		teardown()
		os.Exit(1)
	}()
	// When go test itself dies (`go test | head` ends with head), our next write to its pipe
	// would kill us with SIGPIPE. Receiving SIGPIPE turns that into an error; whether it
	// came from our output going away or from a socket, a parent that is gone means stop.
	parent := os.Getppid()
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-pipes:
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			if os.Getppid() != parent {
				teardown()
				os.Exit(1)
			}
		}
	}()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && d > time.Minute {
			watchdog := time.AfterFunc(d-20*time.Second, func() {
				fmt.Fprintf(os.Stderr, "e2e: -test.timeout (%v) is near: stopping every process the test started\n", d)
				teardown()
			})
			defer watchdog.Stop()
		}
	}

	var err error
	st, err = setUp(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e setup failed: %v\n", err)
		return 1
	}
	s = st
	return m.Run()
}

func setUp(ctx context.Context) (*suite, error) {
	dir, err := os.MkdirTemp("", "pim-operator-e2e-")
	if err != nil {
		return nil, err
	}
	st := &suite{dir: dir, binErr: map[string]error{}, binPath: map[string]string{}}

	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return st, errors.New("KUBEBUILDER_ASSETS is not set: the end-to-end test needs kube-apiserver, " +
			"etcd and kubectl. Run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}

	// Compile while the control plane starts: the manager links the Graph SDK.
	st.builds.Add(1)
	go func() {
		defer st.builds.Done()
		for _, b := range []struct{ name, pkg string }{
			{"graph-emulator", "./hack/graph-emulator"},
			{"manager", "."},
		} {
			st.binPath[b.name], st.binErr[b.name] = build(ctx, dir, b.name, b.pkg)
		}
	}()

	st.env, err = testenv.Start()
	if err != nil {
		return st, err
	}
	if _, err := os.Stat(st.env.KubectlPath()); err != nil {
		return st, fmt.Errorf("kubectl is not next to kube-apiserver in KUBEBUILDER_ASSETS: %w", err)
	}

	// The namespace first: a dry-run Namespace is not persisted, and the RBAC lives in it.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}}
	if err := st.env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return st, err
	}

	// The shipped RBAC, for real. A broken config/default fails TestManifestsAreAdmitted
	// and TestOperatorFlow with this error, not the whole package.
	st.manifests, st.manifestsErr = kustomizeBuild(ctx, "default")
	if st.manifestsErr == nil {
		for _, obj := range st.manifests {
			if !rbacKinds[obj.GetKind()] {
				continue
			}
			if err := st.env.Client.Patch(ctx, obj.DeepCopy(), client.Apply,
				client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
				st.manifestsErr = fmt.Errorf("applying %s %s: %w", obj.GetKind(), obj.GetName(), err)
				break
			}
		}
	}

	// kubectl acts as a cluster administrator; the manager as its ServiceAccount, which holds
	// nothing but what config/rbac binds to it (and what every authenticated user may do).
	st.adminKubeconfig, err = st.writeKubeconfig("admin.kubeconfig",
		envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}})
	if err != nil {
		return st, err
	}
	st.restrictedKubeconfig, err = st.writeKubeconfig("manager.kubeconfig", envtest.User{
		Name:   operatorUser,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + operatorNamespace, "system:authenticated"},
	})
	if err != nil {
		return st, err
	}
	return st, nil
}

func (st *suite) writeKubeconfig(file string, user envtest.User) (string, error) {
	u, err := st.env.ControlPlane.AddUser(user, nil)
	if err != nil {
		return "", fmt.Errorf("adding user %s: %w", user.Name, err)
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(st.dir, file)
	return path, os.WriteFile(path, kc, 0o600)
}

// binary waits for the build of one binary and returns its path, failing the test when it
// did not build.
func (st *suite) binary(t *testing.T, name string) string {
	t.Helper()
	st.builds.Wait()
	if err := st.binErr[name]; err != nil {
		t.Fatalf("building %s: %v", name, err)
	}
	return st.binPath[name]
}

// build compiles one main package of the module into dir. It builds the way this test binary
// was built (-race or not, no -trimpath), so that on a cold cache the Graph SDK compiles once
// for the whole `go test ./...`, not once for the unit tests and again here.
func build(ctx context.Context, dir, name, pkg string) (string, error) {
	goTool, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, name)
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	start := time.Now()
	stdout, stderr, err := childproc.Run(ctx, testenv.RepoRoot(), nil, "", goTool, append(args, pkg)...)
	if err != nil {
		return "", fmt.Errorf("go %s %s: %w\n%s%s", strings.Join(args, " "), pkg, err, stdout, stderr)
	}
	fmt.Fprintf(os.Stderr, "e2e: built %s in %v\n", name, time.Since(start).Round(time.Second))
	return out, nil
}

// kustomizeBuild is `kustomize build config/<dir>`, decoded.
func kustomizeBuild(ctx context.Context, dir string) ([]*unstructured.Unstructured, error) {
	b, err := testenv.KustomizeBuild(ctx, dir)
	if err != nil {
		return nil, err
	}
	objs, err := testenv.DecodeObjects(b)
	if err == nil && len(objs) == 0 {
		err = fmt.Errorf("kustomize build config/%s produced no objects", dir)
	}
	return objs, err
}
