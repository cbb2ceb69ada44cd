package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// KustomizeBuild runs `kustomize build config/<dir>` with $KUSTOMIZE (as `make test` sets it)
// or bin/kustomize, and returns its output.
func KustomizeBuild(ctx context.Context, dir string) ([]byte, error) {
	kustomize := os.Getenv("KUSTOMIZE")
	if kustomize == "" {
		kustomize = filepath.Join(RepoRoot(), "bin", "kustomize")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kustomize, "build", filepath.Join(RepoRoot(), "config", dir))
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kustomize build config/%s (`make kustomize` installs bin/kustomize; "+
			"`make manifests` writes config/rbac/role.yaml): %w\n%s", dir, err, stderr.String())
	}
	return out.Bytes(), nil
}

// DecodeObjects decodes a stream of YAML or JSON documents, leaving out empty ones.
func DecodeObjects(b []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("decoding: %w", err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// FreeLocalAddr is a loopback address with a port nobody listens on now, for a server a test
// or tool starts in another process.
func FreeLocalAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}
