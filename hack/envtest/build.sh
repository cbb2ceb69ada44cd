#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from Go modules into a cache outside the checkout,
# keyed by version, the way setup-envtest keeps ~/.local/share/kubebuilder-envtest.
# Prints the directory to use as KUBEBUILDER_ASSETS on its last line.
set -euo pipefail

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.0
cache_root=${ENVTEST_CACHE_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/pim-operator-envtest}
dest="$cache_root/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}-$(go env GOOS)-$(go env GOARCH)"
here=$(cd "$(dirname "$0")" && pwd)

if [ -x "$dest/kube-apiserver" ] && [ -x "$dest/kubectl" ] && [ -x "$dest/etcd" ]; then
  echo "$dest"
  exit 0
fi

mkdir -p "$dest"
tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

version_ldflags="-X k8s.io/component-base/version.gitVersion=${KUBE_VERSION}"
version_ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
version_ldflags+=" -X k8s.io/component-base/version.gitMinor=37"
version_ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
version_ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=${KUBE_VERSION}"

build() { # name package
  local start=$SECONDS
  echo ">> building $1 (from $2)" >&2
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w ${version_ldflags}" -o "$tmp/$1" "$2")
  echo ">> $1 built in $((SECONDS - start))s" >&2
}

echo ">> envtest binaries not in $dest: building them from Go modules." >&2
echo ">> A cold build takes about 9 minutes on 2 cores; later runs reuse the cache." >&2
build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kubectl k8s.io/kubernetes/cmd/kubectl
mv "$tmp"/etcd "$tmp"/kube-apiserver "$tmp"/kubectl "$dest"/
echo "$dest"
