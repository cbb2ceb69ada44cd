package config

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pim-operator/pim-operator/internal/testenv"
)

// Every object that `make deploy` and the samples would create is admitted by a real API
// server (server-side dry run), so a broken manifest fails here rather than in a user's cluster.
func TestManifestsAreAdmitted(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()

	// A dry-run Namespace is not persisted, so the namespaced objects need the real one.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pim-operator-system"}}
	if err := env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	for _, dir := range []string{"default", "samples"} {
		t.Run(dir, func(t *testing.T) {
			objs := kustomizeBuild(t, dir)
			if len(objs) == 0 {
				t.Fatalf("kustomize build config/%s produced no objects", dir)
			}
			for _, obj := range objs {
				if obj.GetNamespace() == "" && dir == "samples" {
					obj.SetNamespace("default")
				}
				err := env.Client.Patch(ctx, obj, client.Apply, client.DryRunAll,
					client.FieldOwner("manifests-test"), client.ForceOwnership)
				if err != nil {
					t.Errorf("%s %s/%s not admitted: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
				}
			}
		})
	}
}

// `make undeploy` pipes config/default through hack/without-crds.sh: it must keep every object
// but the CRDs, whose deletion would delete every PIMAssignmentRequest and end their access.
func TestUndeployKeepsCRDs(t *testing.T) {
	built := kustomizeOutput(t, "default")
	cmd := exec.Command("bash", filepath.Join(testenv.RepoRoot(), "hack", "without-crds.sh"))
	cmd.Stdin = bytes.NewReader(built)
	filtered, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/without-crds.sh: %v", err)
	}
	all, kept := decodeAll(t, built), decodeAll(t, filtered)
	var wantKept []string
	for _, o := range all {
		if o.GetKind() != "CustomResourceDefinition" {
			wantKept = append(wantKept, o.GetKind()+"/"+o.GetName())
		}
	}
	var gotKept []string
	for _, o := range kept {
		gotKept = append(gotKept, o.GetKind()+"/"+o.GetName())
	}
	if len(wantKept) == len(all) {
		t.Fatal("config/default has no CustomResourceDefinition: the test would prove nothing")
	}
	if fmt.Sprint(gotKept) != fmt.Sprint(wantKept) {
		t.Fatalf("undeploy would delete %v, want %v", gotKept, wantKept)
	}
}

func kustomizeBuild(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	return decodeAll(t, kustomizeOutput(t, dir))
}

func kustomizeOutput(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := testenv.KustomizeBuild(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeAll(t *testing.T, yaml []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := testenv.DecodeObjects(yaml)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}
