"""Property-based sequences of the real reconcile loop, invariants checked at every step.

Random sizes (1-200), policies, instances that come up unhealthy, and operator crashes at random
points (before the backend call, or after it but before recording it). At every step:
- no batch exceeds the policy's batch size;
- no instance is sent the upgrade twice in one rollout;
- a rollout still rolling forward never violates the after-batch stop rule, and a Faulted one did;
- progress counts add up to the instances the rollout covers;
- kstatus truth: never Stalled (Flux: failed) while RolloutProgressing or Reconciling is True.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaleset_operator.planner import actions as act
from scaleset_operator.planner.rolling_policy import AFTER_BATCH_CODE, batch_size, exceeds
from tests.harness import Crash, Run, new_run
from tests.planner.specs import EXTENSION, changed, make_spec


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    capacity=st.integers(min_value=1, max_value=200),
    batch_percent=st.integers(min_value=5, max_value=100),
    max_unhealthy_upgraded=st.integers(min_value=0, max_value=100),
    unhealthy_share=st.sampled_from([0.0, 0.0, 0.05, 0.2, 0.5]),
    prioritize=st.booleans(),
    crashes=st.sets(st.integers(min_value=0, max_value=80), max_size=30),
    crash_after=st.booleans(),
    surge=st.booleans(),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_rolling_upgrade_invariants(
    capacity: int,
    batch_percent: int,
    max_unhealthy_upgraded: int,
    unhealthy_share: float,
    prioritize: bool,
    crashes: set[int],
    crash_after: bool,
    surge: bool,
    seed: int,
) -> None:
    spec = make_spec(
        **{
            "sku.capacity": capacity,
            "upgradePolicy.rollingUpgradePolicy": {
                "maxBatchInstancePercent": batch_percent,
                "maxUnhealthyInstancePercent": 100,
                "maxUnhealthyUpgradedInstancePercent": max_unhealthy_upgraded,
                "prioritizeUnhealthyInstances": prioritize,
                "maxSurge": surge,
            },
        }
    )
    doomed = {str(i) for i in range(capacity) if (i * 7919 + seed) % 1000 < unhealthy_share * 1000}
    crash: Crash = "after_act" if crash_after else "before_act"
    asyncio.run(_roll(new_run(spec), doomed, crashes, crash, capacity, batch_percent, max_unhealthy_upgraded))


async def _roll(
    run: Run, doomed: set[str], crashes: set[int], crash: Crash, capacity: int, batch_percent: int, limit: int
) -> None:
    await run.converge(tick=30)
    run.set_spec(changed(run.spec, **{"virtualMachineProfile.extensionProfile": {"extensions": [EXTENSION]}}))
    sent: dict[str, set[str]] = {}
    for number in range(2000):
        observed = run.cloud.snapshot(run.key)
        assert observed is not None
        for instance in observed.instances:  # doomed instances come up unhealthy once upgraded
            if instance.instance_id in doomed and instance.latest_model_applied:
                run.cloud.set_health_override(run.key, instance.instance_id, "Unhealthy")
        before = len(run.actions)
        await run.step(crash if number in crashes else None)
        _check(run, run.actions[before:], sent, capacity, batch_percent, limit)
        rolling = run.status.rollingUpgrade
        if (
            rolling is not None
            and rolling.runningStatus.code in ("Completed", "Faulted")
            and run.status.rollout is None
        ):
            break
        run.clock.advance(10)
    else:
        raise AssertionError("the rollout never finished")
    rolling = run.status.rollingUpgrade
    assert rolling is not None
    if rolling.runningStatus.code == "Completed":
        observed = run.cloud.snapshot(run.key)
        assert observed is not None
        assert all(i.latest_model_applied for i in observed.instances)
    else:
        assert rolling.error is not None


def _check(
    run: Run, executed: list[act.Action], sent: dict[str, set[str]], capacity: int, batch_percent: int, limit: int
) -> None:
    """Invariants after every pass; ``executed``: the backend calls the pass made."""
    status = run.status
    record = status.rollout
    for action in executed:
        if isinstance(action, act.ApplyModel):
            assert action.capacity - capacity <= batch_size(capacity, batch_percent), "surge exceeds the policy"
        if isinstance(action, act.UpgradeInstances):
            assert len(action.instance_ids) <= batch_size(capacity, batch_percent), "batch exceeds the policy"
            if record is not None:
                seen = sent.setdefault(record.startTime, set())
                twice = seen & set(action.instance_ids)
                assert not twice, f"instances upgraded twice in one rollout: {twice}"
                seen.update(action.instance_ids)
    if record is not None and record.fault is None:
        assert not exceeds(len(record.failed), len(record.done) + len(record.failed), limit), "stop rule missed"
    rolling = status.rollingUpgrade
    faulted = rolling is not None and rolling.runningStatus.code == "Faulted" and rolling.error is not None
    if faulted and rolling is not None and rolling.error is not None and rolling.error.code == AFTER_BATCH_CODE:
        p = rolling.progress
        assert exceeds(p.failedInstanceCount, p.successfulInstanceCount + p.failedInstanceCount, limit)
    if record is not None and rolling is not None and record.fault is None:
        p = rolling.progress
        total = p.successfulInstanceCount + p.failedInstanceCount + p.inProgressInstanceCount + p.pendingInstanceCount
        assert total == capacity, f"progress counts {p} do not add up to {capacity}"
    found = {c.type: c.status for c in status.conditions}
    if found.get("Stalled") == "True":
        assert "True" not in (found.get("RolloutProgressing"), found.get("Reconciling")), f"stalled yet busy: {found}"
