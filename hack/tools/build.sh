#!/usr/bin/env bash
# Builds the chart and alert tools the tests use — helm and promtool — from Go modules into a
# cache outside the checkout, keyed by version, the way hack/envtest/build.sh keeps the envtest
# binaries: no step downloads a release archive, and a warm cache answers in milliseconds.
#
#   hack/tools/build.sh [helm|promtool]...   (no argument: both)
#
# Prints the path of each binary asked for, one a line, in the order asked; progress goes to
# stderr, so `HELM=$(hack/tools/build.sh helm)` works.
set -euo pipefail

# Helm 4: Helm 3's announced support ended with its security fixes in November 2026. Charts
# of apiVersion v2, as charts/pim-operator is, install with Helm 3 as well.
HELM_VERSION=v4.3.1
PROMETHEUS_VERSION=v0.316.0

cache_root=${TOOLS_CACHE_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/pim-operator-tools}
platform="$(go env GOOS)-$(go env GOARCH)"

# The progress line is redrawn in place on a terminal; in a log (CI) a line every 30 seconds
# says the build is alive without flooding it.
if [ -t 2 ]; then tick=1; else tick=30; fi

# build name version package tags ldflags: compiles package@version into the cache.
build() {
  local name=$1 version=$2 pkg=$3 tags=$4 ldflags=$5
  local dest="$cache_root/$name-$version-$platform"
  if [ -x "$dest/$name" ]; then
    return 0
  fi
  mkdir -p "$cache_root"
  local tmp
  tmp=$(mktemp -d "$cache_root/.build-$name.XXXXXX")
  # A failed or interrupted build leaves nothing that looks like a cached binary.
  trap 'rm -rf "$tmp"' EXIT
  echo ">> $name $version is not in $dest: building it from Go modules ($pkg)." >&2
  local start=$SECONDS
  # `go install pkg@version` builds with the module's own go.mod and go.sum, so the tool's
  # dependencies are exactly its release's and never touch the operator's module.
  GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go install -v -trimpath -tags "$tags" -ldflags "-s -w $ldflags" "$pkg@$version" 2>"$tmp/build.log" &
  local pid=$! waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if [ $((waited % tick)) -eq 0 ]; then
      progress "$name" "$version" "$start" "$tmp/build.log"
    fi
  done
  if ! wait "$pid"; then
    [ "$tick" -eq 1 ] && echo >&2
    echo ">> building $name $version failed:" >&2
    cat "$tmp/build.log" >&2
    exit 1
  fi
  [ "$tick" -eq 1 ] && printf '\r\033[K' >&2
  mkdir -p "$dest"
  mv "$tmp/$name" "$dest/$name"
  rm -rf "$tmp"
  trap - EXIT
  echo ">> $name $version built in $((SECONDS - start))s: $dest/$name" >&2
}

# progress name version start log: one line of what the go command has done so far. `go install
# -v` names each package as it compiles it, and the go command announces each module download.
progress() {
  local name=$1 version=$2 start=$3 log=$4 downloads packages elapsed line
  downloads=$(grep -c '^go: downloading' "$log" || true)
  packages=$(grep -vc '^go: ' "$log" || true)
  elapsed=$((SECONDS - start))
  line=$(printf '>> building %s %s: %dm%02ds, %d modules downloaded, %d packages compiled' \
    "$name" "$version" $((elapsed / 60)) $((elapsed % 60)) "$downloads" "$packages")
  if [ "$tick" -eq 1 ]; then
    printf '\r\033[K%s' "$line" >&2
  else
    echo "$line" >&2
  fi
}

path_of() {
  case $1 in
  helm)
    # Helm 4 reads its default Kubernetes version from the client-go it was built with.
    build helm "$HELM_VERSION" helm.sh/helm/v4/cmd/helm "" \
      "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
    echo "$cache_root/helm-$HELM_VERSION-$platform/helm"
    ;;
  promtool)
    # remove_all_sd leaves out Prometheus' service-discovery plugins (the AWS, Azure, GCE and
    # Kubernetes SDKs among them): checking and unit-testing rules needs none of them, and
    # they are most of the compile.
    # Module version v0.MNN.P is Prometheus M.NN.P.
    local v=${PROMETHEUS_VERSION#v0.} n
    n=${v%%.*}
    build promtool "$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/promtool remove_all_sd \
      "-X github.com/prometheus/common/version.Version=$((10#$n / 100)).$((10#$n % 100)).${v#*.} -X github.com/prometheus/common/version.Branch=HEAD"
    echo "$cache_root/promtool-$PROMETHEUS_VERSION-$platform/promtool"
    ;;
  *)
    echo "hack/tools/build.sh: unknown tool $1 (want helm or promtool)" >&2
    exit 2
    ;;
  esac
}

if [ $# -eq 0 ]; then
  set -- helm promtool
fi
for tool in "$@"; do
  path_of "$tool"
done
