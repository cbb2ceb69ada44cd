package controllers

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SealSecretName is the Secret, in the operator's namespace, that holds the key the operator
// signs what it has proven with (seal.go). The first replica to start creates it; every
// replica reads the same key. Losing it only costs a fresh read of Graph per object.
const SealSecretName = "pim-operator-seal"

const sealKeyField = "key"

// +kubebuilder:rbac:groups="",namespace=pim-operator-system,resources=secrets,verbs=get;create

// loadSealKey reads the seal key from the Secret in namespace, creating it with 32 random
// bytes when it does not exist yet.
func loadSealKey(ctx context.Context, c client.Client, namespace string) ([]byte, error) {
	for range 2 {
		var s corev1.Secret
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: SealSecretName}, &s)
		switch {
		case err == nil:
			if key := s.Data[sealKeyField]; len(key) >= 32 {
				return key, nil
			}
			return nil, fmt.Errorf("secret %s/%s has no key of at least 32 bytes under %q", namespace, SealSecretName, sealKeyField)
		case !apierrors.IsNotFound(err):
			return nil, fmt.Errorf("reading the seal key %s/%s: %w", namespace, SealSecretName, err)
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		s = corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: SealSecretName,
				Labels: map[string]string{"app.kubernetes.io/name": "pim-operator"}},
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{sealKeyField: key},
		}
		err = c.Create(ctx, &s)
		if err == nil {
			return key, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating the seal key %s/%s: %w", namespace, SealSecretName, err)
		}
		// Another replica created it first: read theirs.
	}
	return nil, fmt.Errorf("the seal key %s/%s keeps changing", namespace, SealSecretName)
}
