"""Crash safety: SIGKILL the operator at several moments of a rolling upgrade and restart it.

The cloud must outlive the operator, so this runs the ARM-compatible simulator endpoint as its own
process and the operator with ``--backend azure`` against it (the real SDK client). The cloud's own
write log then proves what the status claims: the rollout completes, no instance is upgraded twice,
no batch exceeds the policy, and the batch history in status (written with the intent record, so no
SIGKILL can lose a batch) holds every batch the cloud was sent.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from typing import Any

from scaleset_operator.localcp import ControlPlane, Kubectl
from scaleset_operator.planner.rolling_policy import batch_size
from tests.e2e.journeys import condition, eventually, example, get, wait_ready, with_name
from tests.fixtures.arm_simulator import AZURE_OPERATOR_ENV, ArmSimulator
from tests.fixtures.operator import operator_process

CAPACITY = 10
BATCH_PERCENT = 20


def test_sigkill_at_several_points_of_a_rollout_never_repeats_or_loses_work(
    control_plane: ControlPlane,
    kubectl: Kubectl,
    scaleset_crds: list[str],
    namespace: str,
    arm_simulator: ArmSimulator,
) -> None:
    del scaleset_crds
    args = arm_simulator.operator_args()
    env = AZURE_OPERATOR_ENV
    manifest = with_name(example("rolling-web-tier"), "crash", **{"sku.capacity": CAPACITY})
    with operator_process(control_plane, backend="azure", namespaces=[namespace], extra_args=args, env=env):
        kubectl.apply(manifest, namespace=namespace)
        wait_ready(kubectl, namespace, "crash", timeout=120)
    kubectl.ok(
        "patch", "vmss", "crash", "-n", namespace, "--type=merge", "-p", '{"spec":{"sku":{"name":"Standard_D4s_v5"}}}'
    )

    kills = 0
    for delay in (0.3, 1.1, 0.7, 1.9, 0.5, 2.6):  # different moments: recording, sending, waiting on health
        with operator_process(control_plane, backend="azure", namespaces=[namespace], extra_args=args, env=env) as op:
            time.sleep(delay)
            os.killpg(op.pid, signal.SIGKILL)
            op.process.wait(timeout=10)
            kills += 1
        obj = get(kubectl, namespace, "crash")
        if (obj["status"].get("rollingUpgrade") or {}).get("runningStatus", {}).get("code") == "Completed":
            break
    assert kills >= 3, "the rollout finished before the operator could be killed a few times"

    with operator_process(control_plane, backend="azure", namespaces=[namespace], extra_args=args, env=env):
        obj = eventually(
            lambda: get(kubectl, namespace, "crash"),
            lambda o: (
                (o["status"].get("rollingUpgrade") or {}).get("runningStatus", {}).get("code") == "Completed"
                and o["status"].get("updatedReplicas") == CAPACITY
            ),
            timeout=120,
        )
    assert condition(obj, "Stalled")["status"] == "False"
    upgrades = [c for c in arm_simulator.writes("crash") if c["operation"] == "upgrade"]
    per_instance = Counter(i for c in upgrades for i in c["instanceIds"])  # type: ignore[attr-defined]
    assert set(per_instance) == {str(i) for i in range(CAPACITY)}
    assert max(per_instance.values()) == 1, f"instances upgraded twice: {per_instance}"
    limit = batch_size(CAPACITY, BATCH_PERCENT)
    assert all(len(c["instanceIds"]) <= limit for c in upgrades), upgrades  # type: ignore[arg-type]
    progress = obj["status"]["rollingUpgrade"]["progress"]
    assert progress["successfulInstanceCount"] == CAPACITY and progress["failedInstanceCount"] == 0
    assert_the_batch_history_is_complete(obj["status"], upgrades)


def assert_the_batch_history_is_complete(status: dict[str, Any], upgrades: list[dict[str, Any]]) -> None:
    """Every batch once, numbered 1..n, each ended Succeeded; every instance in exactly one batch; each
    call in the cloud's write log belongs to one recorded batch."""
    history = [b for b in status.get("batchHistory", []) if b["kind"] == "ModelUpgrade"]
    expected = -(-CAPACITY // batch_size(CAPACITY, BATCH_PERCENT))
    assert [b["number"] for b in history] == list(range(1, expected + 1)), history
    assert all(b["result"] == "Succeeded" and b.get("endTime") for b in history), history
    succeeded = [i for b in history for i in b["succeeded"]]
    assert sorted(succeeded, key=int) == [str(i) for i in range(CAPACITY)], history
    for call in upgrades:
        assert any(set(call["instanceIds"]) <= set(b["instanceIds"]) for b in history), (call, history)
