# The public interface: make setup | test | demo | lint | crds | kind-*.
# Every target runs the set-up it needs, so a fresh clone needs one command.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup venv binaries tools test unit lint crds demo clean

setup: venv binaries tools ## virtualenv + pinned kube-apiserver/etcd + helm/kstatus-check (cached)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

binaries: venv
	hack/build-control-plane.sh

tools: ## pinned helm + kstatus-check built from their Go modules into .cache/ (cached)
	hack/build-go-tools.sh

lint: venv
	$(BIN)/ruff check operator tests bench
	$(BIN)/ruff format --check operator tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

crds: venv ## regenerate crds/ from the pydantic models
	$(BIN)/scaleset-operator crds --output-dir crds

test: setup lint ## the whole suite, what CI runs
	$(BIN)/pytest -q

unit: venv
	$(BIN)/pytest -q tests/unit

clean:
	rm -rf $(VENV) .cache
