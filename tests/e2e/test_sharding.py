"""Sharding on the local control plane: shard processes split the ScaleSets, never act on one together.

The shards must share one cloud for its log to mean anything, so they run ``--backend azure``
against the ARM-compatible simulator as its own process. Each shard's Azure calls carry
``shard/I/N`` in their User-Agent and the endpoint logs it with every request: for each scale set
the log shows which shard called, in order. The engine's write log shows what was done, so a
double action (an instance upgraded twice, a scale set created twice) is visible too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
from collections import Counter
from collections.abc import Iterator
from itertools import groupby
from typing import Any

import pytest

from scaleset_operator.localcp import ControlPlane, Kubectl
from scaleset_operator.sharding import owner
from tests.e2e.journeys import eventually, example, with_name
from tests.fixtures.arm_simulator import AZURE_OPERATOR_ENV, ArmSimulator
from tests.fixtures.operator import OperatorProcess, operator_process

pytestmark = pytest.mark.controlplane

NAMES = [f"web{i}" for i in range(6)]
CAPACITY = 5
LEASE_SECONDS = 6
SHARD = re.compile(r"shard/(\d+)/(\d+)")
POLLS = ("operation.status", "operation.result")


def shard_of(request: dict[str, Any]) -> str:
    found = SHARD.search(request["client"])
    assert found, f"a request without a shard in its User-Agent: {request}"
    return f"{found.group(1)}/{found.group(2)}"


def callers(arm: ArmSimulator) -> dict[str, list[str]]:
    """Scale set -> the shard of each of its requests, in order (LRO status polls left out: a poller
    started by a shard may finish after it handed the scale set over; it only reads)."""
    runs: dict[str, list[str]] = {}
    for request in arm.requests():
        if request["scaleSet"] in NAMES and request["operation"] not in POLLS:
            runs.setdefault(request["scaleSet"], []).append(shard_of(request))
    return runs


@contextlib.contextmanager
def shards(
    control_plane: ControlPlane, arm: ArmSimulator, namespace: str, count: int, only: list[int] | None = None
) -> Iterator[dict[int, OperatorProcess]]:
    with contextlib.ExitStack() as stack:
        yield {
            i: stack.enter_context(shard(control_plane, arm, namespace, f"{i}/{count}")) for i in only or range(count)
        }


def shard(control_plane: ControlPlane, arm: ArmSimulator, namespace: str, spec: str) -> Any:
    args = [*arm.operator_args(), "--shard", spec, "--lease-namespace", namespace]
    args += ["--lease-duration", str(LEASE_SECONDS), "--lease-name", "fleet"]
    return operator_process(
        control_plane, backend="azure", namespaces=[namespace], extra_args=args, env=AZURE_OPERATOR_ENV
    )


def apply_all(kubectl: Kubectl, namespace: str, **spec: Any) -> None:
    for name in NAMES:
        kubectl.apply(
            with_name(example("rolling-web-tier"), name, **{"sku.capacity": CAPACITY, **spec}), namespace=namespace
        )


def all_converged(kubectl: Kubectl, namespace: str, sku: str = "Standard_D2s_v5", capacity: int = CAPACITY) -> None:
    def done(items: list[dict[str, Any]]) -> bool:
        return len(items) == len(NAMES) and all(
            o.get("status", {}).get("observedGeneration") == o["metadata"]["generation"]
            and o["status"].get("updatedReplicas") == capacity
            and o["status"].get("readyReplicas") == capacity
            and o["status"].get("rollout") is None
            and o["spec"]["sku"]["name"] == sku
            for o in items
        )

    eventually(lambda: kubectl.json("get", "vmss", "-n", namespace)["items"], done, timeout=180, interval=1)


def assert_each_instance_upgraded_once(arm: ArmSimulator) -> None:
    for name in NAMES:
        upgrades = Counter(i for c in arm.writes(name) if c["operation"] == "upgrade" for i in c["instanceIds"])
        assert set(upgrades) == {str(i) for i in range(CAPACITY)}, f"{name}: {upgrades}"
        assert max(upgrades.values()) == 1, f"{name}: an instance upgraded twice: {upgrades}"


def test_three_shards_split_the_scale_sets_and_a_killed_shard_resumes_without_double_actions(
    control_plane: ControlPlane, kubectl: Kubectl, scaleset_crds: list[str], namespace: str, arm_simulator: ArmSimulator
) -> None:
    del scaleset_crds
    with shards(control_plane, arm_simulator, namespace, 3) as running:
        apply_all(kubectl, namespace)
        all_converged(kubectl, namespace)
        seen = callers(arm_simulator)
        assert set(seen) == set(NAMES), "every scale set was reconciled"
        for name, calls in seen.items():
            assert set(calls) == {f"{owner(namespace, name, 3)}/3"}, f"{name} was called by {set(calls)}"
        assert len({owner(namespace, name, 3) for name in NAMES}) > 1, "the ScaleSets landed on several shards"
        creates = Counter(c["scaleSet"] for c in arm_simulator.writes() if c["operation"] == "apply")
        assert creates == dict.fromkeys(NAMES, 1), "each scale set created once"

        victim = owner(namespace, NAMES[0], 3)
        os.killpg(running[victim].pid, signal.SIGKILL)
        running[victim].process.wait(timeout=10)
        marker = len(arm_simulator.requests())
        apply_all(kubectl, namespace, **{"sku.name": "Standard_D4s_v5"})  # a rolling model upgrade everywhere
        with shard(control_plane, arm_simulator, namespace, f"{victim}/3"):
            all_converged(kubectl, namespace, sku="Standard_D4s_v5")
        after = [r for r in arm_simulator.requests()[marker:] if r["scaleSet"] in NAMES and r["operation"] not in POLLS]
        for request in after:
            assert shard_of(request) == f"{owner(namespace, request['scaleSet'], 3)}/3", request
    assert_each_instance_upgraded_once(arm_simulator)


def test_going_from_three_shards_to_two_hands_over_without_overlap(
    control_plane: ControlPlane, kubectl: Kubectl, scaleset_crds: list[str], namespace: str, arm_simulator: ArmSimulator
) -> None:
    """What the chart's rollout does, with rollouts in flight: shard 0 restarts as 0/2 while 1/3 and
    2/3 still run (they step down when they see the newer layout), then 1/3 and 2/3 go and 1/2 comes."""
    del scaleset_crds
    with contextlib.ExitStack() as stack:
        old = {i: stack.enter_context(shard(control_plane, arm_simulator, namespace, f"{i}/3")) for i in range(3)}
        apply_all(kubectl, namespace)
        all_converged(kubectl, namespace)
        arm_simulator.post("/durations", {"upgrade": 120})  # batches of ~6 s: the handover is mid-rollout
        apply_all(kubectl, namespace, **{"sku.name": "Standard_D4s_v5"})  # rollouts start under N=3
        # a change is previewed, then pushed, then rolled out (a pass each): hand over once batches run
        eventually(
            lambda: started_under(arm_simulator, "1/3") and started_under(arm_simulator, "2/3"), bool, timeout=120
        )
        old[0].stop()
        with shard(control_plane, arm_simulator, namespace, "0/2"):
            eventually(lambda: stepped_down(old[1]) and stepped_down(old[2]), bool, timeout=60)
            old[1].stop()
            old[2].stop()
            with shard(control_plane, arm_simulator, namespace, "1/2"):
                all_converged(kubectl, namespace, sku="Standard_D4s_v5")
                assert leases(kubectl, namespace) == {"fleet-shard-0": "2", "fleet-shard-1": "2", "fleet-shard-2": "3"}

    for name, calls in callers(arm_simulator).items():
        runs = [key for key, _ in groupby(calls)]
        assert len(runs) <= 2, f"{name}: shards took turns {runs}: two layouts acted on it"
        assert runs[0] == f"{owner(namespace, name, 3)}/3", f"{name}: {runs}"
        assert runs[-1] in (runs[0], f"{owner(namespace, name, 2)}/2"), f"{name}: {runs}"
    upgraders = {name: {shard_of(r) for r in upgrades} for name, upgrades in upgrade_requests(arm_simulator).items()}
    handed_over = [name for name, by in upgraders.items() if len(by) == 2]
    assert handed_over, f"no rollout was handed over mid-way, the test proved nothing: {upgraders}"
    assert_each_instance_upgraded_once(arm_simulator)


def started_under(arm: ArmSimulator, layout: str) -> bool:
    """A batch of some rollout was sent by shard ``layout`` (``I/N``)."""
    return any(shard_of(r) == layout for requests in upgrade_requests(arm).values() for r in requests)


def upgrade_requests(arm: ArmSimulator) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for request in arm.requests():
        if request["operation"] == "vmss.manualupgrade" and request["status"] < 300:
            found.setdefault(request["scaleSet"], []).append(request)
    return found


def stepped_down(process: OperatorProcess) -> bool:
    return "stepping down" in process.log_file.read_text()


def leases(kubectl: Kubectl, namespace: str) -> dict[str, str]:
    """Lease name -> the layout (N) it carries."""
    found = json.loads(kubectl.ok("get", "leases", "-n", namespace, "-o", "json").stdout)["items"]
    return {item["metadata"]["name"]: item["metadata"]["annotations"]["scaleset.dev/shards"] for item in found}
