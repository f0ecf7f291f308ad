"""Every manifest in examples/ applies as shipped and converges (with what it says it needs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import EXAMPLES, condition, get, wait_ready
from tests.fixtures.operator import OperatorProcess

GALLERY = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/golden/images/worker"
)
CASES = {
    "rolling-web-tier": ("web", 5),
    "manual-batch-tier": ("batch", 4),
    "automatic-os-upgrade": ("api", 10),
    "gallery-image": ("worker", 3),
    "maintenance-window": ("db-proxy", 5),
    # Created at spec.sku.capacity (the profile's minimum); with the default 20% load autoscale keeps it there.
    "autoscale-web-tier": ("shop", 2),
}


def test_every_example_is_covered() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.yaml")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_applies_and_converges(
    name: str, kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    scaleset, capacity = CASES[name]
    if name == "manual-batch-tier":
        kubectl.ok("create", "secret", "generic", "batch-admin", "-n", ns, "--from-literal=password=Example-Passw0rd")
    if name == "gallery-image":
        scaleset_operator.sim("publish-gallery-image", "--id", GALLERY, "--version", "1.0.0", "--regions", "westeurope")
    kubectl.ok("apply", "-n", ns, "-f", str(Path(EXAMPLES, f"{name}.yaml")))
    obj = wait_ready(kubectl, ns, scaleset, timeout=90)
    assert obj["status"]["replicas"] == capacity
    assert condition(obj, "Stalled")["status"] == "False"
    if name in ("automatic-os-upgrade", "gallery-image", "maintenance-window"):
        assert condition(get(kubectl, ns, scaleset), "AutomaticOSUpgrade")["status"] == "True"
    if name == "manual-batch-tier":
        op = kubectl.json("get", "scalesetoperation", "batch-upgrade-0-1", "-n", ns)
        kubectl.ok(
            "wait",
            "scalesetoperation/batch-upgrade-0-1",
            "-n",
            ns,
            "--for=jsonpath={.status.phase}=Succeeded",
            "--timeout=60s",
        )
        assert op["spec"]["action"] == "UpgradeInstances"
