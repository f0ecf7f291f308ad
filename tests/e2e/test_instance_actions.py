"""Instance actions and declared protection with kubectl, against the real operator and API server:
protect an instance in the manifest, deallocate the others with a ScaleSetOperation, see a refused
action say why, start them again, then remove the protection from the manifest."""

from __future__ import annotations

import json
from typing import Any

import yaml

from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import condition, eventually, example, get, instances, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess


def operate(kubectl: Kubectl, ns: str, name: str, phase: str, **spec: Any) -> dict[str, Any]:
    manifest = {"apiVersion": "scaleset.dev/v1alpha1", "kind": "ScaleSetOperation", "metadata": {"name": name}}
    kubectl.ok("apply", "-n", ns, "-f", "-", input=yaml.safe_dump({**manifest, "spec": spec}))
    kubectl.ok(
        "wait", f"scalesetoperation/{name}", "-n", ns, f"--for=jsonpath={{.status.phase}}={phase}", "--timeout=60s"
    )
    result: dict[str, Any] = kubectl.json("get", "scalesetoperation", name, "-n", ns)
    return result


def powers(obj: dict[str, Any]) -> list[str]:
    return [i["powerState"] for i in instances(obj)]


def test_actions_and_declared_protection_as_a_user_journey(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    leader = [{"instance": "web000002", "protectFromScaleSetActions": True}]
    kubectl.apply(
        with_name(example("rolling-web-tier"), "power", **{"sku.capacity": 3, "instanceProtection": leader}),
        namespace=ns,
    )
    wait_ready(kubectl, ns, "power")
    obj = eventually(
        lambda: get(kubectl, ns, "power"), lambda o: condition(o, "InstanceProtection").get("status") == "True"
    )
    assert [i["protectFromScaleSetActions"] for i in instances(obj)] == [False, False, True]

    dealloc = operate(kubectl, ns, "dealloc", "Succeeded", scaleSetName="power", action="Deallocate", allInstances=True)
    assert (dealloc["status"]["affectedInstances"], dealloc["status"]["skippedInstances"]) == (["0", "1"], ["2"])
    obj = eventually(
        lambda: get(kubectl, ns, "power"), lambda o: powers(o) == ["deallocated", "deallocated", "running"]
    )
    assert obj["status"]["readyReplicas"] == 1
    wait_ready(kubectl, ns, "power")  # deliberately stopped is settled: kstatus Current, not in progress

    refused = operate(kubectl, ns, "off", "Failed", scaleSetName="power", action="PowerOff", instanceIds=["0"])
    assert "instance 0 (web000000) is deallocated: Azure does not allow powerOff" in refused["status"]["message"]

    operate(kubectl, ns, "start", "Succeeded", scaleSetName="power", action="Start", allInstances=True)
    kubectl.ok(
        "patch", "vmss", "power", "-n", ns, "--type=merge", "-p", json.dumps({"spec": {"instanceProtection": []}})
    )
    obj = eventually(
        lambda: get(kubectl, ns, "power"),
        lambda o: powers(o) == ["running"] * 3 and not any(i["protectFromScaleIn"] for i in instances(o)),
    )
    assert obj["status"]["readyReplicas"] == 3 and not condition(obj, "InstanceProtection")
