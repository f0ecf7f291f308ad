"""The first end-to-end slice, driven with kubectl exactly as a user types it.

apply an example -> wait Ready -> `kubectl get vmss` columns -> `kubectl scale` -> instances change
by the scale-in policy -> edit the model (Automatic converges, Manual does not) -> delete with each
deletion policy. Plus: an idle, converged ScaleSet writes nothing, to the API server or the backend.
"""

from __future__ import annotations

import json
import time

from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import condition, eventually, example, get, instances, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess


def sim_json(op: OperatorProcess, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(op.sim("--json", *args).stdout)


def test_apply_example_wait_ready_and_see_the_columns(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.ok("apply", "-n", ns, "-f", "examples/rolling-web-tier.yaml")
    obj = wait_ready(kubectl, ns, "web")
    status = obj["status"]
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert (status["replicas"], status["readyReplicas"], status["updatedReplicas"]) == (5, 5, 5)
    assert [i["name"] for i in instances(obj)] == [f"web00000{n}" for n in range(5)]

    table = kubectl.ok("get", "vmss", "web", "-n", ns).stdout.splitlines()
    assert table[0].split() == ["NAME", "DESIRED", "CURRENT", "UP-TO-DATE", "READY", "IMAGE", "UPGRADE", "AGE"]
    row = table[1].split()
    assert row[:5] == ["web", "5", "5", "5", "5"]
    assert row[5].endswith(":2024.02.15") and row[6] == "UpToDate"

    assert kubectl.ok("get", "scaleset", "web", "-n", ns, "-o", "name").stdout.strip() == "scaleset.scaleset.dev/web"
    assert "scaleset.scaleset.dev/web" in kubectl.ok("get", "scaleset-operator", "-n", ns, "-o", "name").stdout

    listed = sim_json(scaleset_operator, "instances", "web")
    assert len(listed["instances"]) == 5


def test_kubectl_scale_follows_the_scale_in_policy(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(with_name(example("rolling-web-tier"), "scaled"), namespace=ns)
    wait_ready(kubectl, ns, "scaled")
    kubectl.ok("scale", "vmss/scaled", "-n", ns, "--replicas=2")
    obj = eventually(
        lambda: get(kubectl, ns, "scaled"), lambda o: len(instances(o)) == 2 and o["status"]["replicas"] == 2
    )
    assert [i["instanceId"] for i in instances(obj)] == ["0", "1"]  # Default: balanced, highest IDs go
    kubectl.ok("scale", "vmss/scaled", "-n", ns, "--replicas=3")
    obj = eventually(lambda: get(kubectl, ns, "scaled"), lambda o: len(instances(o)) == 3)
    assert [i["instanceId"] for i in instances(obj)] == ["0", "1", "5"]  # a new ID, never a reused one
    wait_ready(kubectl, ns, "scaled")


def test_model_edit_converges_in_automatic_mode_but_not_in_manual(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    base = example("rolling-web-tier")
    kubectl.apply(with_name(base, "auto", **{"upgradePolicy.mode": "Automatic", "sku.capacity": 3}), namespace=ns)
    kubectl.apply(with_name(base, "manual", **{"upgradePolicy.mode": "Manual", "sku.capacity": 3}), namespace=ns)
    wait_ready(kubectl, ns, "auto")
    wait_ready(kubectl, ns, "manual")
    for name in ("auto", "manual"):
        kubectl.ok("patch", "vmss", name, "-n", ns, "--type=merge", "-p", '{"spec":{"sku":{"name":"Standard_D4s_v5"}}}')
    auto = eventually(
        lambda: get(kubectl, ns, "auto"),
        lambda o: (
            o["status"].get("observedGeneration") == 2
            and o["status"]["updatedReplicas"] == 3
            and condition(o, "Ready").get("status") == "True"
        ),
    )
    assert all(i["latestModelApplied"] for i in instances(auto))
    manual = eventually(
        lambda: get(kubectl, ns, "manual"),
        lambda o: o["status"].get("observedGeneration") == 2 and condition(o, "Ready").get("status") == "True",
    )
    assert manual["status"]["updatedReplicas"] == 0
    assert not any(i["latestModelApplied"] for i in instances(manual))
    assert "await a manual upgrade" in condition(manual, "Ready")["message"]
    assert manual["status"]["upgradeState"] == "ManualPending 3"


def test_delete_policy_delete_removes_the_cloud_scale_set_and_orphan_leaves_it(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    base = with_name(example("rolling-web-tier"), "doomed", **{"sku.capacity": 1})
    kubectl.apply(base, namespace=ns)
    kubectl.apply(with_name(base, "kept", deletionPolicy="Orphan"), namespace=ns)
    wait_ready(kubectl, ns, "doomed")
    wait_ready(kubectl, ns, "kept")
    assert {"doomed", "kept"} <= {s["name"] for s in sim_json(scaleset_operator, "list")["scaleSets"]}
    kubectl.ok("delete", "vmss", "doomed", "kept", "-n", ns, "--timeout=60s")
    names = {s["name"] for s in sim_json(scaleset_operator, "list")["scaleSets"]}
    assert "doomed" not in names and "kept" in names


def test_a_scale_set_gone_from_the_backend_never_blocks_deletion(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(with_name(example("rolling-web-tier"), "vanished", **{"sku.capacity": 1}), namespace=ns)
    wait_ready(kubectl, ns, "vanished")
    scaleset_operator.sim("remove", "vanished")
    kubectl.ok("delete", "vmss", "vanished", "-n", ns, "--timeout=60s")
    assert kubectl("get", "vmss", "vanished", "-n", ns).returncode != 0


def test_idle_converged_scale_set_writes_nothing(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(with_name(example("rolling-web-tier"), "idle", **{"sku.capacity": 2}), namespace=ns)
    obj = wait_ready(kubectl, ns, "idle")
    time.sleep(2)  # let the last status write after Ready land
    obj = get(kubectl, ns, "idle")
    version = obj["metadata"]["resourceVersion"]
    events_before = len(kubectl.json("get", "events", "-n", ns)["items"])
    calls_before = sim_json(scaleset_operator, "calls")["total"]
    # The idle resync is 30 simulated seconds; at speed 50 a real 4 s spans several intervals.
    time.sleep(4)
    after = get(kubectl, ns, "idle")
    calls_after = sim_json(scaleset_operator, "calls")["total"]
    assert after["metadata"]["resourceVersion"] == version, "an idle ScaleSet must not be written"
    assert len(kubectl.json("get", "events", "-n", ns)["items"]) == events_before
    assert calls_after["writes"] == calls_before["writes"], "an idle ScaleSet must cause no backend writes"
    assert calls_after["reads"] > calls_before["reads"], "the operator should still be observing"


def test_scale_subresource_serves_replicas_and_a_selector_for_an_hpa(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    kubectl.apply(with_name(example("rolling-web-tier"), "hpa", **{"sku.capacity": 2}), namespace=ns)
    wait_ready(kubectl, ns, "hpa")
    scale = json.loads(
        kubectl.ok("get", "--raw", f"/apis/scaleset.dev/v1alpha1/namespaces/{ns}/scalesets/hpa/scale").stdout
    )
    assert scale["kind"] == "Scale"
    assert scale["spec"]["replicas"] == 2 and scale["status"]["replicas"] == 2
    assert scale["status"]["selector"] == "scaleset.dev/name=hpa"
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "hpa"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "scaleset.dev/v1alpha1", "kind": "ScaleSet", "name": "hpa"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
                }
            ],
        },
    }
    kubectl.apply(hpa, namespace=ns)  # the API server accepts a ScaleSet as an HPA target
