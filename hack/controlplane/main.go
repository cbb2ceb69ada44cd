// Command controlplane runs a local Kubernetes control plane (etcd and kube-apiserver on
// loopback, as envtest starts them) until it is interrupted, and writes a kubeconfig for it.
// `make demo` uses it so that a user can try the operator without a cluster.
//
//	KUBEBUILDER_ASSETS=$(hack/envtest/build.sh) go run ./hack/controlplane --write-kubeconfig .demo/kubeconfig
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func main() {
	kubeconfig := flag.String("write-kubeconfig", ".demo/kubeconfig", "where to write the kubeconfig of a cluster administrator")
	flag.Parse()
	if err := run(*kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "controlplane:", err)
		os.Exit(1)
	}
}

func run(kubeconfigPath string) error {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return fmt.Errorf("KUBEBUILDER_ASSETS is not set; export KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)")
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	defer func() { _ = env.Stop() }()

	admin, err := env.ControlPlane.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(kubeconfigPath), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	fmt.Printf("control plane ready at %s; kubeconfig written to %s\n", env.Config.Host, kubeconfigPath)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	fmt.Println("control plane stopping")
	return nil
}
