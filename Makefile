# The public interface: make setup | test | demo | lint | crds | lock | kind-*.
# Every target runs the set-up it needs, so a fresh clone needs one command.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup venv lock binaries tools test unit lint crds demo demo-down clean
.PHONY: chart-sync kind-up kind-load kind-install kind-e2e kind-down

setup: venv binaries tools ## virtualenv + pinned kube-apiserver/etcd + helm/kstatus-check (cached)

venv: $(VENV)/.installed

# Exactly the locked, hashed versions (requirements/*.txt, `make lock`): what is tested is what ships.
$(VENV)/.installed: pyproject.toml requirements/build.txt requirements/dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/build.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

lock: venv ## recompile requirements/*.txt (hashed lock files) from pyproject.toml with the pinned uv
	$(PY) hack/lock.py

binaries: venv
	hack/build-control-plane.sh

tools: ## pinned helm + kstatus-check built from their Go modules into .cache/ (cached)
	hack/build-go-tools.sh

lint: venv
	$(BIN)/ruff check operator tests bench hack
	$(BIN)/ruff format --check operator tests bench hack
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(PY) hack/check_size.py

crds: venv ## regenerate crds/ from the pydantic models
	$(BIN)/scaleset-operator crds --output-dir crds

test: setup lint ## the whole suite, what CI runs
	$(BIN)/pytest -q

unit: venv ## the fast tier: planner and simulator, no control plane
	$(BIN)/pytest -q tests/planner tests/simulator

demo: setup ## local control plane + operator on the simulator + an example converging live
	$(PY) hack/demo.py up

demo-down: ## stop what make demo started
	$(PY) hack/demo.py down

clean:
	rm -rf $(VENV) .cache

# -- Helm chart and kind (docs/helm.md, docs/kind.md) ------------------------------------------
CHART := helm/scaleset-operator
TOOLS := .cache/bin
KIND_CLUSTER ?= scaleset
KIND_KUBECONFIG ?= $(CURDIR)/.cache/kind-$(KIND_CLUSTER).kubeconfig
KIND_NAMESPACE ?= scaleset-system
IMAGE_REPOSITORY ?= scaleset-operator
IMAGE_TAG ?= dev
DOCKER ?= docker

chart-sync: crds ## copy the generated CRDs and the Argo CD Lua checks into the chart (tests fail on drift)
	rm -f $(CHART)/crds/*.yaml $(CHART)/files/argocd/*.lua
	cp crds/*.yaml $(CHART)/crds/
	cp gitops/argocd/*.lua $(CHART)/files/argocd/

kind-up: ## a kind cluster from kind-config.yaml (needs Docker; kind is built pinned if not on PATH)
	hack/build-go-tools.sh kind
	$(TOOLS)/kind get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)' \
		|| $(TOOLS)/kind create cluster --name $(KIND_CLUSTER) --config kind-config.yaml \
			--kubeconfig $(KIND_KUBECONFIG) --wait 120s
	$(TOOLS)/kind export kubeconfig --name $(KIND_CLUSTER) --kubeconfig $(KIND_KUBECONFIG)

kind-load: ## build the operator image and load it into the kind cluster
	hack/build-go-tools.sh kind
	$(DOCKER) build -t $(IMAGE_REPOSITORY):$(IMAGE_TAG) .
	$(TOOLS)/kind load docker-image $(IMAGE_REPOSITORY):$(IMAGE_TAG) --name $(KIND_CLUSTER)

kind-install: tools ## helm install the chart into kind (fake backend, cluster-wide) and wait for it
	$(TOOLS)/helm upgrade --install scaleset-operator $(CHART) --kubeconfig $(KIND_KUBECONFIG) \
		--namespace $(KIND_NAMESPACE) --create-namespace \
		--set image.repository=$(IMAGE_REPOSITORY) --set image.tag=$(IMAGE_TAG) --set image.pullPolicy=Never \
		--set simulator.speed=50 --wait --timeout 180s

kind-e2e: venv ## the end-to-end tests against kind (SCALESET_E2E_KUBECONFIG); here they run on the local control plane
	SCALESET_E2E_KUBECONFIG=$(KIND_KUBECONFIG) SCALESET_E2E_NAMESPACE=$(KIND_NAMESPACE) \
		$(BIN)/pytest -q -rs tests/helm/test_in_cluster.py tests/e2e

kind-down: ## delete the kind cluster
	hack/build-go-tools.sh kind
	$(TOOLS)/kind delete cluster --name $(KIND_CLUSTER) --kubeconfig $(KIND_KUBECONFIG)
	rm -f $(KIND_KUBECONFIG)
