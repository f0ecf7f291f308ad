"""Fixtures for the Helm chart tests: the pinned helm binary (``make tools``) and a renderer."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.go_tools import require_go_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "helm" / "scaleset-operator"

# The kind tier runs only against a real cluster (make kind-e2e sets SCALESET_E2E_KUBECONFIG); without
# one it is not collected at all, so no test of the default tiers is ever skipped.
collect_ignore = [] if os.environ.get("SCALESET_E2E_KUBECONFIG") else ["test_in_cluster.py"]

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Helm:
    """The pinned helm with private config/cache dirs (never the developer's ~/.config/helm)."""

    binary: Path
    home: Path
    kubeconfig: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def _env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
            **self.env,
        }
        env.pop("KUBECONFIG", None)
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        return env

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), *args], capture_output=True, text=True, env=self._env(), timeout=timeout, check=False
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self(*args)
        assert result.returncode == 0, (
            f"helm {' '.join(args)} exited {result.returncode}:\n{result.stderr}{result.stdout}"
        )
        return result

    def values_file(self, values: Mapping[str, Any]) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        path = self.home / f"values-{uuid.uuid4().hex[:8]}.yaml"
        path.write_text(yaml.safe_dump(dict(values)))
        return path

    def template(
        self, values: Mapping[str, Any] | None = None, *extra: str, release: str = "t", namespace: str = "ops"
    ) -> list[Manifest]:
        """``helm template`` -> the rendered objects (``--include-crds`` etc. via ``extra``)."""
        args = ["template", release, str(CHART), "--namespace", namespace, *extra]
        if values:
            args += ["-f", str(self.values_file(values))]
        out = self.ok(*args).stdout
        return [d for d in yaml.safe_load_all(out) if d]

    def template_fails(self, values: Mapping[str, Any]) -> str:
        result = self("template", "t", str(CHART), "-f", str(self.values_file(values)))
        assert result.returncode != 0, f"expected helm template to refuse {dict(values)}:\n{result.stdout}"
        return result.stderr

    def with_kubeconfig(self, kubeconfig: Path) -> Helm:
        return Helm(binary=self.binary, home=self.home, kubeconfig=kubeconfig, env=self.env)


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm(binary=require_go_tool("helm"), home=tmp_path_factory.mktemp("helm-home"))


def find(manifests: list[Manifest], kind: str, name: str | None = None, namespace: str | None = None) -> Manifest:
    found = [
        m
        for m in manifests
        if m["kind"] == kind
        and (name is None or m["metadata"]["name"] == name)
        and (namespace is None or m["metadata"].get("namespace") == namespace)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''} {namespace or ''}, found {len(found)}"
    return found[0]


def kinds(manifests: list[Manifest]) -> list[str]:
    return sorted(m["kind"] for m in manifests)
