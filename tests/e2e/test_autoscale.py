"""Autoscale end to end, as a user drives it: ``kubectl apply`` of the example's web tier, then
``scaleset-operator sim load`` against the real operator on the local control plane.

- load 80% -> out by rule, one instance per PT5M cooldown, to the maximum;
- load 10% -> in to the minimum, the instance protected from scale-in kept;
- every change is an Event with the rule and metric value, and ``status.autoscale`` shows it;
- ``capacityOwner: External``: a capacity set in the cloud (``sim scale``) survives a model push and
  ``kubectl scale`` (the spec's number is not written back).

The simulator runs 100x faster than real time (a PT5M cooldown is 3 s). The capacity over time, with
the rule and metric value behind each change, is printed (run with ``-s``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from scaleset_operator.localcp import ControlPlane, Kubectl
from tests.e2e.journeys import events, eventually, example, get, instances, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess, operator_process

SPEED = 100.0
RULES = [
    {
        "metricTrigger": {
            "metricName": "Percentage CPU",
            "timeWindow": "PT5M",
            "operator": "GreaterThan",
            "threshold": 70,
        },
        "scaleAction": {"direction": "Increase", "type": "ChangeCount", "value": 1, "cooldown": "PT5M"},
    },
    {
        "metricTrigger": {
            "metricName": "Percentage CPU",
            "timeWindow": "PT5M",
            "operator": "LessThan",
            "threshold": 30,
        },
        "scaleAction": {"direction": "Decrease", "type": "ChangeCount", "value": 1, "cooldown": "PT5M"},
    },
]
PROFILES = [{"name": "default", "capacity": {"minimum": 2, "maximum": 4, "default": 2}, "rules": RULES}]


@pytest.fixture(scope="module")
def fast_operator(
    control_plane: ControlPlane, scaleset_crds: list[str], operator_namespace: str
) -> Iterator[OperatorProcess]:
    del scaleset_crds
    with operator_process(control_plane, speed=SPEED, namespaces=[operator_namespace]) as op:
        yield op


def sim_json(op: OperatorProcess, *args: str) -> Any:
    return json.loads(op.sim(*args, "--json").stdout)


def replicas(kubectl: Kubectl, ns: str, name: str) -> int:
    return int(get(kubectl, ns, name).get("status", {}).get("replicas", 0))


def changes(kubectl: Kubectl, ns: str, name: str) -> list[tuple[str, str]]:
    return [
        (e["reason"], e["message"])
        for e in events(kubectl, ns, name)
        if e["reason"] in ("AutoscaledOut", "AutoscaledIn", "CapacityChanged")
    ]


def timeline(op: OperatorProcess, name: str) -> list[str]:
    """The cloud's scale actions (the simulator's autoscale history): time, from, to, rule's metric."""
    rows = [
        f"{a['time'][11:19]}  {a['oldCapacity']} -> {a['newCapacity']}  {a['reason']:<9} "
        f"{a['metricName']} {a['metricValue']:g}"
        for a in sim_json(op, "autoscale", name)["actions"]
    ]
    return ["TIME      CHANGE  REASON    METRIC (simulated clock)", *rows]


def test_load_scales_out_by_rule_then_in_to_the_minimum_keeping_protection(
    kubectl: Kubectl, fast_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns, name = operator_namespace, "shop"
    kubectl.apply(with_name(example("autoscale-web-tier"), name, **{"autoscale.profiles": PROFILES}), namespace=ns)
    obj = wait_ready(kubectl, ns, name, timeout=60)
    assert obj["status"]["autoscale"]["state"] == "Applied"
    fast_operator.sim("load", name, "80")
    eventually(lambda: replicas(kubectl, ns, name), lambda n: n == 4, timeout=60)
    actions = sim_json(fast_operator, "autoscale", name)["actions"]
    times = [datetime.fromisoformat(a["time"]) for a in actions]
    assert [(a["oldCapacity"], a["newCapacity"]) for a in actions] == [(2, 3), (3, 4)]
    assert all((b - a).total_seconds() >= 300 for a, b in pairwise(times)), f"cooldown not respected: {times}"
    rule_out = "rule 0 'Percentage CPU' Average 80 > 70, profile default"
    eventually(
        lambda: changes(kubectl, ns, name),
        lambda seen: seen == [("AutoscaledOut", f"2 -> 3: {rule_out}"), ("AutoscaledOut", f"3 -> 4: {rule_out}")],
        timeout=30,
    )
    protected = max((i["instanceId"] for i in instances(get(kubectl, ns, name))), key=int)
    fast_operator.sim("protect", name, protected, "--scale-in")
    fast_operator.sim("load", name, "10")
    eventually(lambda: replicas(kubectl, ns, name), lambda n: n == 2, timeout=90)
    obj = get(kubectl, ns, name)
    assert protected in {i["instanceId"] for i in instances(obj)}, "scale-in removed the protected instance"
    last = obj["status"]["autoscale"]["lastScaleAction"]
    assert (last["reason"], last["newCapacity"], last["metricName"], last["threshold"]) == (
        "ScaleIn",
        2,
        "Percentage CPU",
        30,
    )
    assert [r for r, _ in changes(kubectl, ns, name)] == ["AutoscaledOut"] * 2 + ["AutoscaledIn"] * 2
    assert obj["spec"]["sku"]["capacity"] == 2 and obj["status"]["capacity"]["owner"] == "Autoscale"
    print("\n".join(["", *timeline(fast_operator, name), "operator Events:"]))
    print("\n".join(f"  {reason}: {message}" for reason, message in changes(kubectl, ns, name)))


def test_an_external_owner_keeps_its_capacity_through_a_model_push_and_kubectl_scale(
    kubectl: Kubectl, fast_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns, name = operator_namespace, "batch"
    manifest = with_name(example("autoscale-web-tier"), name, capacityOwner="External", autoscale=None)
    manifest["spec"]["virtualMachineProfile"]["osProfile"]["computerNamePrefix"] = "batch"
    kubectl.apply(manifest, namespace=ns)
    wait_ready(kubectl, ns, name, timeout=60)
    fast_operator.sim("scale", name, "4")
    eventually(lambda: get(kubectl, ns, name)["status"].get("capacity", {}).get("observed"), lambda n: n == 4)
    kubectl.ok("scale", f"vmss/{name}", "-n", ns, "--replicas=6")
    kubectl.ok("patch", f"vmss/{name}", "-n", ns, "--type=merge", "-p", '{"spec":{"sku":{"name":"Standard_D4s_v5"}}}')

    def rolled(obj: dict[str, Any]) -> bool:
        status = obj.get("status", {})
        return status.get("updatedReplicas") == 4 and status.get("observedGeneration") == obj["metadata"]["generation"]

    obj = eventually(lambda: get(kubectl, ns, name), rolled, timeout=90)
    assert obj["status"]["replicas"] == 4, "the spec's number was written back"
    assert len(sim_json(fast_operator, "instances", name)["instances"]) == 4
    assert changes(kubectl, ns, name)[0][0] == "CapacityChanged"
