// Package e2e is the end-to-end test of the operator: hack/demo.sh's walkthrough as a Go test.
//
// It builds the manager binary and the standalone Graph emulator (hack/graph-emulator), starts a
// real kube-apiserver and etcd (envtest, internal/testenv), installs the RBAC objects that
// `kustomize build config/default` produces, and runs the manager as the restricted identity
// those objects bind (the ServiceAccount pim-operator-system/pim-operator-controller-manager),
// so the test proves that the shipped RBAC is sufficient. The real kubectl, as an
// administrator, then drives the samples from config/samples through their lives: create,
// Granted, cancel (204), adminRemove of an active assignment, adoption of a pending portal
// activation, and deletion through the finalizer; the emulator's call log proves that every
// object caused exactly one create. The test also server-side dry-runs every object of
// `kustomize build config/default`.
//
// Run it with `make test`, or:
//
//	KUBEBUILDER_ASSETS=$(hack/envtest/build.sh) go test ./internal/e2e/ -v
//
// The package holds only tests. The first run compiles the manager (the Graph SDK takes
// minutes cold; the manager is built with -race when the test is); later runs take about a
// minute. Every process the test starts is stopped when it ends, also on Ctrl-C and shortly
// before go test's -timeout. On failure the manager's and the emulator's logs are printed;
// E2E_KEEP_DIR=1 keeps the temporary directory with the logs, kubeconfigs and binaries.
package e2e
