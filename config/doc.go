// Package config holds the operator's kustomize manifests; its tests check that they install.
package config
