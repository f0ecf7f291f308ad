"""Automatic OS image upgrades with kubectl and the simulator's controls (seed docs 001/004)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import condition, events, eventually, example, get, instances, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess

UBUNTU = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")
CURRENT = "2024.02.15"


def publish(op: OperatorProcess, version: str) -> None:
    publisher, offer, sku = UBUNTU
    op.sim("publish-image", "--publisher", publisher, "--offer", offer, "--sku", sku, "--version", version)


def reimages(op: OperatorProcess, name: str) -> list[dict[str, Any]]:
    writes = json.loads(op.sim("--json", "calls", "--log").stdout)["writes"]
    return [c for c in writes if c["scaleSet"] == name and c["operation"] == "reimage" and not c["error"]]


def history(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj.get("status", {}).get("osUpgradeHistory", []))


def auto(name: str, capacity: int, **spec: Any) -> dict[str, Any]:
    """The automatic OS upgrade example in one zone, so batches are limited by the percentage alone
    (a batch never spans two zones or two update domains)."""
    return with_name(example("automatic-os-upgrade"), name, **{"sku.capacity": capacity, "zones": [], **spec})


def test_published_version_rolls_out_in_batches_and_is_recorded(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(auto("osup", 10), namespace=ns)
    wait_ready(kubectl, ns, "osup")
    publish(scaleset_operator, "2024.03.01")
    obj = eventually(lambda: get(kubectl, ns, "osup"), lambda o: bool(history(o)), timeout=120)
    entry = history(obj)[0]
    assert entry["runningStatus"]["code"] == "Completed"
    assert entry["startedBy"] == "Platform"
    assert entry["targetImageReference"]["version"] == "2024.03.01"
    assert entry["progress"]["successfulInstanceCount"] == 10
    assert {i["imageVersion"] for i in instances(get(kubectl, ns, "osup"))} == {"2024.03.01"}
    batches = reimages(scaleset_operator, "osup")
    assert [len(c["instanceIds"]) for c in batches] == [2, 2, 2, 2, 2]  # 20% of 10, never two zones at once
    assert len({i for c in batches for i in c["instanceIds"]}) == 10
    assert len([e for e in events(kubectl, ns, "osup") if e["reason"] == "BatchStarted"]) == 5


def test_bad_image_first_batch_is_rolled_back_and_the_rollout_faults(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(auto("badimg", 10, **{"rolloutPolicy.healthTimeout": "PT2M"}), namespace=ns)
    before = {i["imageVersion"] for i in instances(wait_ready(kubectl, ns, "badimg"))}
    scaleset_operator.sim("bad-image", "2024.04.01")
    try:
        publish(scaleset_operator, "2024.04.01")
        obj = eventually(lambda: get(kubectl, ns, "badimg"), lambda o: bool(history(o)), timeout=120)
        obj = eventually(lambda: get(kubectl, ns, "badimg"), lambda o: o["status"]["readyReplicas"] == 10)
    finally:
        scaleset_operator.sim("bad-image", "2024.04.01", "--clear")
    entry = history(obj)[0]
    assert entry["runningStatus"]["code"] == "Faulted"
    assert entry["rollbackInfo"]["successfullyRolledbackInstanceCount"] == 2
    assert entry["error"]["code"] == "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade"
    assert {i["imageVersion"] for i in instances(obj)} == before  # the first batch was restored
    stalled = condition(obj, "Stalled")
    assert stalled["status"] == "True" and stalled["reason"] == entry["error"]["code"]
    assert [len(c["instanceIds"]) for c in reimages(scaleset_operator, "badimg")] == [2, 2]  # forward, rollback


def test_too_many_unhealthy_instances_keep_the_upgrade_from_starting(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(auto("sick", 5), namespace=ns)
    wait_ready(kubectl, ns, "sick")
    for iid in ("0", "1"):
        scaleset_operator.sim("set-health", "sick", iid, "Unhealthy")
    try:
        publish(scaleset_operator, "2024.05.01")
        obj = eventually(
            lambda: get(kubectl, ns, "sick"),
            lambda o: (
                condition(o, "AutomaticOSUpgrade").get("reason")
                == "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade"
            ),
        )
        assert "2 of 5 instances are unhealthy" in condition(obj, "AutomaticOSUpgrade")["message"]
        assert condition(obj, "Ready")["reason"] == "InstancesUnhealthy"
        assert reimages(scaleset_operator, "sick") == []
    finally:
        # Health comes back for both at once: hold rollouts while the two instances are cleared one
        # after the other, or an upgrade may start in between and judge the second one unhealthy.
        kubectl.ok("patch", "vmss", "sick", "-n", ns, "--type=merge", "-p", '{"spec":{"paused":true}}')
        for iid in ("0", "1"):
            scaleset_operator.sim("set-health", "sick", iid, "clear")
        kubectl.ok("patch", "vmss", "sick", "-n", ns, "--type=merge", "-p", '{"spec":{"paused":false}}')
    obj = eventually(lambda: get(kubectl, ns, "sick"), lambda o: bool(history(o)), timeout=120)
    assert history(obj)[0]["runningStatus"]["code"] == "Completed"  # it starts once health is back


def test_five_or_fewer_instances_upgrade_one_at_a_time(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(auto("small", 4), namespace=ns)
    wait_ready(kubectl, ns, "small")
    publish(scaleset_operator, "2024.06.01")
    eventually(lambda: get(kubectl, ns, "small"), lambda o: bool(history(o)), timeout=120)
    assert [len(c["instanceIds"]) for c in reimages(scaleset_operator, "small")] == [1, 1, 1, 1]


def test_closed_maintenance_window_holds_until_it_opens(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    now = datetime.fromisoformat(json.loads(scaleset_operator.sim("--json", "clock").stdout)["now"]).astimezone(UTC)
    opens = (now + timedelta(days=2)).replace(hour=3, minute=0, second=0, microsecond=0)
    window = {"days": [opens.strftime("%A")], "start": "03:00", "end": "04:00"}
    kubectl.apply(auto("windowed", 3, **{"rolloutPolicy.maintenanceWindows": [window]}), namespace=ns)
    wait_ready(kubectl, ns, "windowed")
    publish(scaleset_operator, "2024.07.01")
    obj = eventually(
        lambda: get(kubectl, ns, "windowed"),
        lambda o: condition(o, "RolloutProgressing").get("reason") == "OutsideMaintenanceWindow",
    )
    assert "next opens" in condition(obj, "RolloutProgressing")["message"]
    assert reimages(scaleset_operator, "windowed") == []
    current = datetime.fromisoformat(json.loads(scaleset_operator.sim("--json", "clock").stdout)["now"])
    scaleset_operator.sim("clock", "--advance", str(int((opens - current.astimezone(UTC)).total_seconds()) + 60))
    obj = eventually(lambda: get(kubectl, ns, "windowed"), lambda o: bool(history(o)), timeout=120)
    assert history(obj)[0]["runningStatus"]["code"] == "Completed"


def test_gallery_version_not_replicated_to_the_region_is_ignored(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    gallery = example("gallery-image")["spec"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["id"]
    scaleset_operator.sim("publish-gallery-image", "--id", gallery, "--version", "2.0.0", "--regions", "westeurope")
    kubectl.apply(with_name(example("gallery-image"), "golden", **{"sku.capacity": 2}), namespace=ns)
    wait_ready(kubectl, ns, "golden")
    scaleset_operator.sim("publish-gallery-image", "--id", gallery, "--version", "2.1.0", "--regions", "eastus")
    obj = eventually(lambda: get(kubectl, ns, "golden"), lambda o: o["status"].get("latestImageVersion") == "2.0.0")
    assert condition(obj, "AutomaticOSUpgrade")["reason"] == "UpToDate"
    assert reimages(scaleset_operator, "golden") == []
    scaleset_operator.sim("replicate-gallery-image", "--id", gallery, "--version", "2.1.0", "--region", "westeurope")
    obj = eventually(lambda: get(kubectl, ns, "golden"), lambda o: bool(history(o)), timeout=120)
    assert {i["imageVersion"] for i in instances(obj)} == {"2.1.0"}


def test_requirements_not_met_are_refused_with_a_condition(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    manifest = auto("pinned", 1)
    manifest["spec"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["version"] = CURRENT
    manifest["spec"]["virtualMachineProfile"]["extensionProfile"] = {"extensions": []}
    kubectl.apply(manifest, namespace=ns)
    obj = eventually(lambda: get(kubectl, ns, "pinned"), lambda o: condition(o, "Stalled").get("status") == "True")
    message = condition(obj, "AutomaticOSUpgrade")["message"]
    assert condition(obj, "AutomaticOSUpgrade")["reason"] == "AutomaticOSUpgradeRequirementsNotMet"
    assert "version 'latest'" in message and "health signal is required" in message
