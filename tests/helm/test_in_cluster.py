"""The installed chart on a real cluster (kind): ``make kind-up kind-load kind-install kind-e2e``.

Collected only when ``SCALESET_E2E_KUBECONFIG`` names a kubeconfig for a cluster where the chart is
installed (``make kind-install``; release namespace ``SCALESET_E2E_NAMESPACE``, default
``scaleset-system``). Where there is no Docker, ``tests/helm/test_install.py`` checks the same
chart on the local control plane, running the operator process as the chart's ServiceAccount.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaleset_operator.localcp import Kubectl

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = os.environ.get("SCALESET_E2E_KUBECONFIG", "")
RELEASE_NAMESPACE = os.environ.get("SCALESET_E2E_NAMESPACE", "scaleset-system")
SELECTOR = "app.kubernetes.io/name=scaleset-operator"


@pytest.fixture(scope="module")
def cluster() -> Kubectl:
    return Kubectl(kubeconfig=Path(EXTERNAL), timeout=180)


@pytest.fixture
def scratch(cluster: Kubectl) -> Iterator[str]:
    name = f"kind-e2e-{uuid.uuid4().hex[:6]}"
    cluster.ok("create", "namespace", name)
    yield name
    cluster("delete", "namespace", name, "--wait=false")


def test_the_operator_pods_are_ready_and_locked_down(cluster: Kubectl) -> None:
    cluster.ok("wait", "--for=condition=Ready", "pod", "-l", SELECTOR, "-n", RELEASE_NAMESPACE, "--timeout=120s")
    pods = cluster.json("get", "pods", "-l", SELECTOR, "-n", RELEASE_NAMESPACE)["items"]
    assert pods
    for pod in pods:
        assert pod["spec"]["securityContext"]["runAsUser"] == 65532
        container = pod["spec"]["containers"][0]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert all(s["restartCount"] == 0 for s in pod["status"]["containerStatuses"]), pod["status"]


def test_a_scale_set_becomes_ready(cluster: Kubectl, scratch: str) -> None:
    manifest: dict[str, Any] = yaml.safe_load((REPO_ROOT / "examples" / "rolling-web-tier.yaml").read_text())
    manifest["spec"]["sku"]["capacity"] = 2
    cluster.apply(manifest, namespace=scratch)
    cluster.ok("wait", "--for=condition=Ready", "scalesets.scaleset.dev/web", "-n", scratch, "--timeout=180s")
    cluster.ok("delete", "scalesets.scaleset.dev/web", "-n", scratch, "--timeout=120s")


def test_the_service_account_is_limited(cluster: Kubectl) -> None:
    pod = cluster.json("get", "pods", "-l", SELECTOR, "-n", RELEASE_NAMESPACE)["items"][0]
    subject = f"system:serviceaccount:{RELEASE_NAMESPACE}:{pod['spec']['serviceAccountName']}"
    for verb, resource, expected in [
        ("list", "scalesets.scaleset.dev", "yes"),
        ("list", "pods", "no"),
        ("list", "secrets", "no"),
        ("delete", "scalesets.scaleset.dev", "no"),
    ]:
        got = cluster("auth", "can-i", verb, resource, "--all-namespaces", f"--as={subject}").stdout.strip()
        assert got == expected, (verb, resource, got)
