"""Upgrade journeys with kubectl: the reimage lab (seed 002), Manual mode, rolling batches, operations,
a Flexible scale set (VMs named after it, health from the Application Health extension)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import condition, events, eventually, example, get, instances, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess

EXTENSION = {
    "name": "RollingUpgradeTest",
    "properties": {
        "publisher": "Microsoft.Azure.Extensions",
        "type": "CustomScript",
        "typeHandlerVersion": "2.1",
        "settings": {"commandToExecute": "echo 'Rolling upgrade applied' > /tmp/rolling-upgrade-marker.txt"},
    },
}


def patch(kubectl: Kubectl, ns: str, name: str, spec: dict[str, Any]) -> None:
    kubectl.ok("patch", "vmss", name, "-n", ns, "--type=merge", "-p", json.dumps({"spec": spec}))


def operation(kubectl: Kubectl, ns: str, name: str, **spec: Any) -> dict[str, Any]:
    manifest = {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSetOperation",
        "metadata": {"name": name},
        "spec": spec,
    }
    kubectl.ok("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(manifest))
    kubectl.ok(
        "wait", f"scalesetoperation/{name}", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s"
    )
    result: dict[str, Any] = kubectl.json("get", "scalesetoperation", name, "-n", ns)
    return result


def settled(generation: int) -> Any:
    def check(obj: dict[str, Any]) -> bool:
        status = obj.get("status", {})
        return status.get("observedGeneration") == generation and condition(obj, "Reconciling").get("status") == "False"

    return check


def test_reimage_lab_as_a_user_journey(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    """Rolling policy; adding an extension propagates by itself; resizing the data disk 32 -> 64 GB
    leaves the disks at 32 with latestModelApplied true; a ReimageAll operation brings them to 64."""
    ns = operator_namespace
    kubectl.apply(with_name(example("rolling-web-tier"), "lab", **{"sku.capacity": 2}), namespace=ns)
    wait_ready(kubectl, ns, "lab")

    patch(kubectl, ns, "lab", {"virtualMachineProfile": {"extensionProfile": {"extensions": [EXTENSION]}}})
    obj = eventually(lambda: get(kubectl, ns, "lab"), settled(2))
    assert obj["status"]["rollingUpgrade"]["runningStatus"]["code"] == "Completed"
    assert obj["status"]["rollingUpgrade"]["progress"]["successfulInstanceCount"] == 2
    assert all(i["latestModelApplied"] for i in instances(obj))

    patch(
        kubectl,
        ns,
        "lab",
        {"virtualMachineProfile": {"storageProfile": {"dataDisks": [{"lun": 0, "diskSizeGB": 64}]}}},
    )
    obj = eventually(lambda: get(kubectl, ns, "lab"), settled(3))
    assert all(i["latestModelApplied"] for i in instances(obj))
    assert [d["diskSizeGB"] for i in instances(obj) for d in i["dataDisks"]] == [32, 32]
    assert all(
        "dataDisks[lun=0].diskSizeGB: 32 != 64 (needs ReimageAll)" in i["differsFromModel"] for i in instances(obj)
    )
    drift = condition(obj, "ReimageRequired")
    assert drift["status"] == "True" and drift["message"].startswith("2 instances need a reimage")

    op = operation(kubectl, ns, "lab-reimage-all", scaleSetName="lab", action="ReimageAll", allInstances=True)
    assert op["status"]["affectedInstances"] == ["0", "1"]
    obj = eventually(
        lambda: get(kubectl, ns, "lab"), lambda o: condition(o, "ReimageRequired").get("status") == "False"
    )
    assert [d["diskSizeGB"] for i in instances(obj) for d in i["dataDisks"]] == [64, 64]
    warnings = [e for e in events(kubectl, ns, "lab") if e["reason"] == "DataDisksErased"]
    assert warnings and "data on the data disks of 0, 1 is lost" in warnings[0]["message"]
    crd = kubectl.json("get", "crd", "scalesetoperations.scaleset.dev")
    description = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["action"]
    assert "DATA ON DATA DISKS IS LOST" in description["description"]


def test_manual_mode_and_an_upgrade_instances_operation_on_two_instances(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(
        with_name(example("rolling-web-tier"), "manual", **{"upgradePolicy.mode": "Manual", "sku.capacity": 4}),
        namespace=ns,
    )
    wait_ready(kubectl, ns, "manual")
    patch(kubectl, ns, "manual", {"sku": {"name": "Standard_D4s_v5"}})
    obj = eventually(lambda: get(kubectl, ns, "manual"), settled(2))
    assert obj["status"]["updatedReplicas"] == 0

    op = operation(kubectl, ns, "upgrade-two", scaleSetName="manual", action="UpgradeInstances", instanceIds=["1", "3"])
    assert op["status"]["affectedInstances"] == ["1", "3"]
    assert op["status"]["startTime"] and op["status"]["completionTime"]
    assert_wall_clock_times(op)
    obj = eventually(lambda: get(kubectl, ns, "manual"), lambda o: o["status"]["updatedReplicas"] == 2)
    assert {i["instanceId"]: i["latestModelApplied"] for i in instances(obj)} == {
        "0": False,
        "1": True,
        "2": False,
        "3": True,
    }
    table = kubectl.ok("get", "scalesetoperation", "-n", ns).stdout.splitlines()
    assert table[0].split()[:4] == ["NAME", "SCALESET", "ACTION", "PHASE"]
    assert any(line.split()[:4] == ["upgrade-two", "manual", "UpgradeInstances", "Succeeded"] for line in table[1:])


def status_times(value: Any) -> list[str]:
    """Every RFC 3339 time in a status, but the simulated ones (``simulatedClock``)."""
    if isinstance(value, dict):
        return [t for key, item in value.items() if key != "simulatedClock" for t in status_times(item)]
    if isinstance(value, list):
        return [t for item in value for t in status_times(item)]
    is_time = isinstance(value, str) and len(value) == 20 and value[10] == "T" and value.endswith("Z")
    return [value] if is_time else []


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_wall_clock_times(obj: dict[str, Any]) -> None:
    """Issue 15: status times are wall-clock UTC although the simulator runs 50 times faster."""
    now = datetime.now(UTC) + timedelta(seconds=1)
    ahead = [t for t in status_times(obj["status"]) if parse_time(t) > now]
    assert not ahead, f"status times ahead of the wall clock ({now:%H:%M:%S}): {ahead}"


def test_rolling_upgrade_batches_are_visible_and_bounded(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(with_name(example("rolling-web-tier"), "roll", **{"sku.capacity": 10}), namespace=ns)
    wait_ready(kubectl, ns, "roll")
    patch(kubectl, ns, "roll", {"sku": {"name": "Standard_D4s_v5"}})
    obj = eventually(lambda: get(kubectl, ns, "roll"), settled(2), timeout=120)
    assert obj["status"]["updatedReplicas"] == 10
    upgrades = [
        c
        for c in json.loads(scaleset_operator.sim("--json", "calls", "--log").stdout)["writes"]
        if c["scaleSet"] == "roll" and c["operation"] == "upgrade"
    ]
    assert [len(c["instanceIds"]) for c in upgrades] == [2, 2, 2, 2, 2]
    assert Counter(i for c in upgrades for i in c["instanceIds"]).most_common(1)[0][1] == 1
    started = [e for e in events(kubectl, ns, "roll") if e["reason"] == "BatchStarted"]
    assert len(started) == 5

    # Wall-clock times in status; the rollout's simulated ones beside them, 50 times further apart.
    assert_wall_clock_times(obj)
    status = obj["status"]
    ended = status["lastRollouts"][0]
    simulated = status["simulatedClock"]["times"]
    wall = parse_time(ended["endTime"]) - parse_time(ended["startTime"])
    sim = parse_time(simulated["lastRollouts[0].endTime"]) - parse_time(simulated["lastRollouts[0].startTime"])
    assert status["simulatedClock"]["speed"] == 50
    assert sim >= timedelta(seconds=5 * 30) and wall <= sim / 10, (wall, sim)


def test_operations_fail_clearly_for_unknown_targets(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(with_name(example("rolling-web-tier"), "target", **{"sku.capacity": 2}), namespace=ns)
    wait_ready(kubectl, ns, "target")
    for name, spec in (
        ("no-such-instance", {"scaleSetName": "target", "action": "Restart", "instanceIds": ["9"]}),
        ("no-such-scaleset", {"scaleSetName": "ghost", "action": "Restart", "allInstances": True}),
    ):
        manifest = {
            "apiVersion": "scaleset.dev/v1alpha1",
            "kind": "ScaleSetOperation",
            "metadata": {"name": name},
            "spec": spec,
        }
        kubectl.ok("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(manifest))
    kubectl.ok(
        "wait", "scalesetoperation/no-such-instance", "-n", ns, "--for=jsonpath={.status.phase}=Failed", "--timeout=30s"
    )
    message = kubectl.json("get", "scalesetoperation", "no-such-instance", "-n", ns)["status"]["message"]
    assert message == "instance IDs 9 not found in the scale set (it has: 0, 1)"
    kubectl.ok(
        "wait", "scalesetoperation/no-such-scaleset", "-n", ns, "--for=jsonpath={.status.phase}=Failed", "--timeout=60s"
    )
    message = kubectl.json("get", "scalesetoperation", "no-such-scaleset", "-n", ns)["status"]["message"]
    assert message == f"ScaleSet 'ghost' not found in namespace {ns}"


def test_a_flexible_scale_set_rolls_out_and_replaces_a_deleted_vm(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(with_name(example("flexible-web-tier"), "flex", **{"sku.capacity": 2}), namespace=ns)
    obj = wait_ready(kubectl, ns, "flex", timeout=90)
    vms = [i["instanceId"] for i in instances(obj)]
    assert len(vms) == 2 and all(re.fullmatch(r"flex_[0-9a-f]{8}", vm) for vm in vms), vms
    assert {i["healthState"] for i in instances(obj)} == {"Healthy"}
    assert condition(obj, "ModelDrifted")["reason"] == "InSync"

    patch(kubectl, ns, "flex", {"sku": {"name": "Standard_D4s_v5", "capacity": 2}})
    obj = eventually(lambda: get(kubectl, ns, "flex"), settled(2), timeout=90)
    assert obj["status"]["rollingUpgrade"]["runningStatus"]["code"] == "Completed"
    assert all(i["latestModelApplied"] for i in instances(obj))

    done = operation(kubectl, ns, "delete-one", scaleSetName="flex", action="DeleteInstances", instanceIds=[vms[0]])
    assert done["status"]["affectedInstances"] == [vms[0]]
    obj = eventually(
        lambda: get(kubectl, ns, "flex"),
        lambda o: o["status"].get("readyReplicas") == 2 and vms[0] not in [i["instanceId"] for i in instances(o)],
    )
    assert condition(obj, "Ready")["status"] == "True"
