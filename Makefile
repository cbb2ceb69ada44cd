# pim-operator — run `make help` for the targets.

IMG ?= pim-operator:dev
# Tests run with the race detector; `make build` alone sets CGO_ENABLED=0 (race needs cgo).
GO_TEST_FLAGS ?= -race -count=1 -timeout 30m
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.1
# The envtest binaries (kube-apiserver, etcd, kubectl) are built from Go modules and cached
# outside the checkout; hack/envtest/build.sh prints their directory.
ENVTEST_DIR = $(shell hack/envtest/build.sh)
# helm and promtool (the chart's and the alerts' tests) are built from Go modules and cached
# outside the checkout the same way; hack/tools/build.sh prints each binary's path.
HELM = $(shell hack/tools/build.sh helm)
PROMTOOL = $(shell hack/tools/build.sh promtool)
CHART ?= charts/pim-operator

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help: every target and what it does.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Try it

.PHONY: demo
demo: ## Run the operator on a local control plane with the Graph emulator and walk through its job (DEMO_KEEP=1 keeps it running).
	hack/demo.sh

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and the RBAC role from the kubebuilder markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths="./controllers/..." output:rbac:artifacts:config=config/rbac
	$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases
	@$(MAKE) --no-print-directory chart-files

.PHONY: generate
generate: controller-gen ## Generate the DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run gofmt over the module.
	gofmt -l -w $$(git ls-files '*.go' | grep -v '^hack/envtest/')

.PHONY: vet
vet: ## Run go vet over the module.
	go vet ./...

.PHONY: envtest
envtest: ## Build kube-apiserver, etcd and kubectl from Go modules into the cache (cold: ~9 min).
	@hack/envtest/build.sh

.PHONY: tools
tools: ## Build helm and promtool from Go modules into the cache, for the chart and alert tests (cold: ~4 min).
	@hack/tools/build.sh >/dev/null

.PHONY: chart-files
chart-files: ## Copy config/'s CRDs, alerts and dashboard into the Helm chart (make manifests runs it).
	rm -f $(CHART)/files/crds/*.yaml
	cp config/crd/bases/*.yaml $(CHART)/files/crds/
	cp config/prometheus/prometheusrule.yaml $(CHART)/files/prometheusrule.yaml
	cp config/grafana/pim-operator.json $(CHART)/files/dashboard.json

.PHONY: test
test: manifests generate kustomize envtest tools ## Run every test (unit, envtest, emulator, chart, alerts) with -race.
	KUBEBUILDER_ASSETS="$(ENVTEST_DIR)" KUSTOMIZE="$(KUSTOMIZE)" HELM="$(HELM)" PROMTOOL="$(PROMTOOL)" go test $(GO_TEST_FLAGS) ./...

.PHONY: bench
bench: manifests generate envtest ## Benchmark the operator end to end against a plain-client baseline, and the Graph write limiter (BENCH_ARGS="-n 1000 -idle 60s"; docs/benchmarks.md).
	KUBEBUILDER_ASSETS="$(ENVTEST_DIR)" go run ./hack/bench $(BENCH_ARGS)

.PHONY: soak
soak: manifests generate envtest ## The whole lifecycle under Graph faults, leader SIGKILLs and a kube-apiserver restart, two bin/manager replicas (SOAK_ARGS="-n 300"; docs/reliability.md).
	KUBEBUILDER_ASSETS="$(ENVTEST_DIR)" go run ./hack/soak $(SOAK_ARGS)

##@ Build

.PHONY: build
build: manifests generate ## Build the manager into bin/manager and the kubectl plugin into bin/kubectl-pim.
	CGO_ENABLED=0 go build -trimpath -o bin/manager .
	CGO_ENABLED=0 go build -trimpath -o bin/kubectl-pim ./cmd/kubectl-pim

.PHONY: run
run: manifests generate ## Run the manager against the cluster in ~/.kube/config (or $KUBECONFIG).
	go run . $(RUN_ARGS)

.PHONY: docker-build
docker-build: ## Build the manager image (needs a Docker engine; these machines have none).
	docker build -t $(IMG) .

.PHONY: build-installer
build-installer: manifests generate kustomize ## Write dist/install.yaml: CRDs and the operator in one file.
	mkdir -p dist
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default > dist/install.yaml

##@ Deployment

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster in ~/.kube/config.
	$(KUSTOMIZE) build config/crd | kubectl apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Delete the CRDs, and with them every PIMAssignmentRequest (read README: this can end access).
	$(KUSTOMIZE) build config/crd | kubectl delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the operator (image IMG) into the cluster in ~/.kube/config.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | kubectl apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Remove the operator but keep the CRDs and every object (access is left as it is).
	$(KUSTOMIZE) build config/default | hack/without-crds.sh | kubectl delete --ignore-not-found -f -

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Install kustomize into bin/.
$(KUSTOMIZE):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
