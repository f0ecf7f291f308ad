"""Rollouts people trust, with kubectl (docs/rollouts.md): canary steps with a bake time held at a
manual step until ``Promote``; a failing Prometheus gate rolling the model back; ``Rollback`` to the
previous revision (real ControllerRevisions); ``scaleset-operator diff`` on a disk resize; a drain
Job that fails blocking its batch.

The Prometheus gates query ``tests/prometheus_server.py``, a small Prometheus-compatible server
(the instant query API) on loopback started here. The local control plane runs no controllers, so
drain Jobs never run: the test marks a Job Failed through its status subresource with kubectl, as
the Job controller would.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import condition, events, eventually, example, get, instances, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess, operator_command
from tests.prometheus_server import PrometheusServer

TOKEN = "e2e-gate-token"
ERRORS = "sum(rate(http_errors[5m]))"


@pytest.fixture(scope="module")
def prometheus() -> Iterator[PrometheusServer]:
    server = PrometheusServer(token=TOKEN).start_in_thread()
    server.set(ERRORS, 0.001)
    server.set("errors_after_the_change", 0.4)
    yield server
    server.stop_thread()


def gate(query: str) -> dict[str, Any]:
    prometheus = {"secretRef": {"name": "prom"}, "query": query, "operator": "LessThan", "threshold": 0.05}
    return {"name": "error-rate", "interval": "PT1M", "prometheus": prometheus}


def prometheus_secret(kubectl: Kubectl, ns: str, server: PrometheusServer) -> None:
    kubectl("delete", "secret", "prom", "-n", ns, "--ignore-not-found")
    kubectl.ok(
        "create",
        "secret",
        "generic",
        "prom",
        "-n",
        ns,
        f"--from-literal=url={server.url}",
        f"--from-literal=token={TOKEN}",
    )


def patch(kubectl: Kubectl, ns: str, name: str, spec: dict[str, Any]) -> None:
    kubectl.ok("patch", "vmss", name, "-n", ns, "--type=merge", "-p", json.dumps({"spec": spec}))


def operate(kubectl: Kubectl, ns: str, name: str, **spec: Any) -> None:
    manifest = {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSetOperation",
        "metadata": {"name": name},
        "spec": spec,
    }
    kubectl.ok("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(manifest))


def finished(kubectl: Kubectl, ns: str, name: str) -> dict[str, Any]:
    return eventually(
        lambda: get(kubectl, ns, name, "scalesetoperation"),
        lambda o: o.get("status", {}).get("phase") in ("Succeeded", "Failed"),
        timeout=90,
    )


def reason(obj: dict[str, Any], kind: str) -> str | None:
    return condition(obj, kind).get("reason")


def timeline(kubectl: Kubectl, ns: str, name: str) -> str:
    """The ScaleSet's Events, oldest first, as ``kubectl get events`` prints them."""
    return kubectl.ok(
        "get",
        "events",
        "-n",
        ns,
        "--field-selector",
        f"involvedObject.name={name}",
        "--sort-by=.lastTimestamp",
        "-o",
        "custom-columns=TIME:.lastTimestamp,TYPE:.type,REASON:.reason,MESSAGE:.message",
    ).stdout


def test_a_canary_with_a_gate_held_at_a_manual_step_until_promote(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str, prometheus: PrometheusServer
) -> None:
    ns = operator_namespace
    prometheus_secret(kubectl, ns, prometheus)
    steps = [
        {"percent": 10, "bakeTime": "PT5M", "gates": [gate(ERRORS)]},
        {"percent": 50, "pause": {}},
        {"percent": 100, "bakeTime": "PT2M"},
    ]
    kubectl.apply(
        with_name(example("rolling-web-tier"), "canary", **{"sku.capacity": 10, "rolloutPolicy.steps": steps}),
        namespace=ns,
    )
    wait_ready(kubectl, ns, "canary", timeout=90)
    patch(kubectl, ns, "canary", {"sku": {"name": "Standard_D4s_v5"}})
    obj = eventually(
        lambda: get(kubectl, ns, "canary"),
        lambda o: reason(o, "RolloutProgressing") == "WaitingForPromotion",
        timeout=90,
    )
    assert obj["status"]["updatedReplicas"] == 5
    assert condition(obj, "RolloutProgressing")["message"] == "step 2/3 (50%): held until a Promote operation"
    assert obj["status"]["rollout"]["step"]["index"] == 1
    passed = [e for e in events(kubectl, ns, "canary") if e["reason"] == "StepCompleted"]
    assert passed and "gates passed: error-rate (0.001)" in passed[0]["message"]
    assert ERRORS in prometheus.queries

    operate(kubectl, ns, "canary-promote", scaleSetName="canary", action="Promote")
    assert finished(kubectl, ns, "canary-promote")["status"]["phase"] == "Succeeded"
    kubectl.ok("wait", "vmss/canary", "-n", ns, "--for=condition=Ready", "--timeout=90s")
    obj = get(kubectl, ns, "canary")
    assert obj["status"]["updatedReplicas"] == 10 and obj["status"]["lastRollouts"][0]["outcome"] == "Completed"
    reasons = [e["reason"] for e in events(kubectl, ns, "canary")]
    assert reasons.count("StepReached") == 3 and "Promoted" in reasons

    # the change preview of a manifest not applied yet: a data disk resize needs a reimage everywhere
    manifest = with_name(
        example("rolling-web-tier"),
        "canary",
        **{
            "sku.capacity": 10,
            "sku.name": "Standard_D4s_v5",
            "rolloutPolicy.steps": steps,
            "virtualMachineProfile.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}],
        },
    )
    path = Path(scaleset_operator.log_file).with_name("canary-64.yaml")
    path.write_text(yaml.safe_dump(manifest))
    diff = subprocess.run(
        [*operator_command(), "diff", "-f", str(path), "-n", ns, "--kubeconfig", str(scaleset_operator.kubeconfig)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert diff.returncode == 1, diff.stderr
    assert f"ScaleSet {ns}/canary: ReimageRequired: reimage required" in diff.stdout
    names = ", ".join(f"web{i:06d}" for i in range(10))
    assert f"reimage required on 10 instances: {names}" in diff.stdout
    assert get(kubectl, ns, "canary")["metadata"]["generation"] == 2, "diff writes nothing"


def test_a_failing_gate_rolls_back_then_a_rollback_to_the_previous_revision(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str, prometheus: PrometheusServer
) -> None:
    ns = operator_namespace
    prometheus_secret(kubectl, ns, prometheus)
    steps = [
        {"percent": 25, "bakeTime": "PT2M", "gates": [gate(ERRORS)]},
        {"percent": 75, "bakeTime": "PT3M", "gates": [gate("errors_after_the_change")]},
    ]
    policy = {"steps": steps, "onGateFailure": "Rollback"}
    kubectl.apply(
        with_name(example("rolling-web-tier"), "gated", **{"sku.capacity": 4, "rolloutPolicy": policy}), namespace=ns
    )
    wait_ready(kubectl, ns, "gated", timeout=90)
    patch(kubectl, ns, "gated", {"sku": {"name": "Standard_D4s_v5"}})
    obj = eventually(
        lambda: get(kubectl, ns, "gated"),
        lambda o: (
            reason(o, "RolledBack") == "GateFailed"
            and not o["status"].get("rollout")
            and o["status"]["lastRollouts"][0]["kind"] == "Rollback"
        ),
        timeout=120,
    )
    status = obj["status"]
    assert status["pinnedRevision"]["revision"] == 1
    assert status["pinnedRevision"]["message"] == "step 2/2: gate error-rate: 0.4 is not < 0.05"
    assert status["lastRollouts"][0]["outcome"] == "Completed" and status["lastRollouts"][1]["outcome"] == "Faulted"
    assert all(i["latestModelApplied"] for i in instances(obj)) and status["updatedReplicas"] == 4
    assert reason(obj, "Stalled") == "RolledBack"
    assert status["lastRollouts"][1]["successful"] == 3 and status["lastRollouts"][0]["successful"] == 3
    print(f"\n--- gate-triggered rollback, kubectl get events:\n{timeline(kubectl, ns, 'gated')}")

    # fix forward (releases the pin), then roll back to the previous revision with an operation
    patch(kubectl, ns, "gated", {"sku": {"name": "Standard_D8s_v5"}, "rolloutPolicy": {"steps": None}})
    obj = eventually(
        lambda: get(kubectl, ns, "gated"),
        lambda o: o["status"].get("observedGeneration") == 3 and reason(o, "Ready") == "Converged",
        timeout=90,
    )
    assert "pinnedRevision" not in obj["status"]
    assert [r["revision"] for r in obj["status"]["revisions"]] == [3, 2, 1]
    operate(kubectl, ns, "gated-back", scaleSetName="gated", action="Rollback")
    op = finished(kubectl, ns, "gated-back")
    assert op["status"]["phase"] == "Succeeded", op["status"]
    assert op["status"]["message"] == "rollback to revision 2: Completed (4 instances)"
    obj = get(kubectl, ns, "gated")
    assert obj["status"]["pinnedRevision"]["revision"] == 2 and reason(obj, "RolledBack") == "Rollback"
    revisions = kubectl.json("get", "controllerrevisions", "-n", ns, "-l", "scaleset.dev/scaleset=gated")["items"]
    assert sorted(r["revision"] for r in revisions) == [1, 2, 3]
    assert all(r["metadata"]["ownerReferences"][0]["uid"] == obj["metadata"]["uid"] for r in revisions)
    pinned = next(r for r in revisions if r["revision"] == 2)
    assert pinned["data"]["spec"]["sku"] == {"name": "Standard_D4s_v5", "tier": "Standard"}
    print(f"\n--- Rollback operation, kubectl get events:\n{timeline(kubectl, ns, 'gated')}")


def test_a_failed_drain_job_blocks_its_batch(
    kubectl: Kubectl, scaleset_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns = operator_namespace
    template = {
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "drain",
                            "image": "busybox:1.37",
                            "command": ["sh", "-c", "echo draining $INSTANCE_NAME"],
                        }
                    ],
                }
            },
        }
    }
    kubectl.apply(
        with_name(
            example("rolling-web-tier"),
            "drained",
            **{"sku.capacity": 2, "rolloutPolicy.drain": {"jobTemplate": template, "timeout": "PT30M"}},
        ),
        namespace=ns,
    )
    wait_ready(kubectl, ns, "drained", timeout=90)
    patch(kubectl, ns, "drained", {"sku": {"name": "Standard_D4s_v5"}})
    jobs = eventually(
        lambda: kubectl.json("get", "jobs", "-n", ns, "-l", "scaleset.dev/scaleset=drained")["items"],
        lambda items: len(items) == 1,
    )
    job = jobs[0]
    name = job["metadata"]["name"]
    env = {e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["INSTANCE_NAME"] == "web000000" and env["DISRUPTION"] == "Upgrade"
    obj = get(kubectl, ns, "drained")
    assert reason(obj, "RolloutProgressing") == "Draining" and obj["status"]["updatedReplicas"] == 0
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    failure = {
        "reason": "BackoffLimitExceeded",
        "message": "Job has reached the specified backoff limit",
        "status": "True",
        "lastTransitionTime": now,
    }
    kubectl.ok(
        "patch",
        "job",
        name,
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(
            {
                "status": {
                    "startTime": now,
                    "failed": 1,
                    "conditions": [{"type": "FailureTarget", **failure}, {"type": "Failed", **failure}],
                }
            }
        ),
    )
    obj = eventually(lambda: get(kubectl, ns, "drained"), lambda o: reason(o, "Stalled") == "DrainFailed")
    assert (
        f"drain Job {name} (BackoffLimitExceeded: Job has reached the specified backoff limit) failed"
        in condition(obj, "Stalled")["message"]
    )
    assert obj["status"]["updatedReplicas"] == 0, "the batch is not sent"
    warned = [e for e in events(kubectl, ns, "drained") if e["reason"] == "DrainFailed"]
    assert len(warned) == 1 and name in warned[0]["message"]
