"""Autoscale meets rollouts: property-based sequences of the real reconcile loop while the simulator's
autoscale service acts on a changing load, invariants checked after every pass and every autoscale
run.

Random sizes, batch sizes, maxSurge, pauses between batches, upgrade durations, load changes,
instances protected from scale-in, and operator crashes. At every step:
- no instance of a batch in flight is removed by autoscale, and autoscale never scales in while a
  batch is in flight (the held minimum; only the operator's own maxSurge delete removes instances);
- an instance protected from scale-in is never removed by autoscale;
- every instance created after the model push has the new model (scale-out during a rollout);
- the operator never writes a capacity of its own: every push carries the cloud's number, If-Match;
and at the end the rollout completed and the cloud holds spec.autoscale again (nothing held).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaleset_operator.cloud.autoscale import desired_autoscale
from scaleset_operator.planner import actions as act
from tests.harness import Run, new_run
from tests.planner.autoscale_specs import owned
from tests.planner.specs import EXTENSION, changed, make_spec

TICK = 10.0


@dataclass
class Watch:
    """What the invariants compare between two looks at the cloud."""

    pushed_at: datetime | None = None
    ids: set[str] = field(default_factory=set)
    capacity: int = 0
    in_flight: set[str] = field(default_factory=set)
    in_place: bool = False
    protected: set[str] = field(default_factory=set)
    deleted_by_operator: set[str] = field(default_factory=set)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    capacity=st.integers(min_value=2, max_value=12),
    batch_percent=st.sampled_from([20, 34, 50]),
    surge=st.booleans(),
    pause=st.sampled_from(["PT0S", "PT1M"]),
    upgrade_seconds=st.sampled_from([30.0, 100.0, 200.0]),
    loads=st.lists(
        st.tuples(st.integers(min_value=0, max_value=150), st.sampled_from([5.0, 50.0, 90.0])), min_size=1, max_size=6
    ),
    protect=st.sets(st.integers(min_value=0, max_value=11), max_size=2),
    crashes=st.sets(st.integers(min_value=0, max_value=150), max_size=8),
    crash_after=st.booleans(),
)
def test_autoscale_during_rollouts(
    capacity: int,
    batch_percent: int,
    surge: bool,
    pause: str,
    upgrade_seconds: float,
    loads: list[tuple[int, float]],
    protect: set[int],
    crashes: set[int],
    crash_after: bool,
) -> None:
    spec = make_spec(
        **{
            "sku.capacity": capacity,
            **owned(minimum=2, maximum=15, cooldown="PT1M"),
            "upgradePolicy.rollingUpgradePolicy": {
                "maxBatchInstancePercent": batch_percent,
                "maxSurge": surge,
                "pauseTimeBetweenBatches": pause,
            },
        }
    )
    schedule = dict(loads)
    asyncio.run(_roll(new_run(spec), upgrade_seconds, schedule, protect, crashes, crash_after))


async def _roll(
    run: Run,
    upgrade_seconds: float,
    schedule: dict[int, float],
    protect: set[int],
    crashes: set[int],
    crash_after: bool,
) -> None:
    await run.converge(tick=TICK)
    run.cloud.set_durations(upgrade=upgrade_seconds)
    for number in sorted(protect):
        if str(number) in (await run.observe()).ids:
            run.cloud.set_protection(run.key, str(number), scale_in=True)
    run.set_spec(changed(run.spec, **{"virtualMachineProfile.extensionProfile": {"extensions": [EXTENSION]}}))
    watch = Watch()
    _look(run, watch)
    for number in range(1500):
        if number in schedule:
            run.cloud.set_load(run.key, schedule[number])
        before = len(run.actions)
        result = await run.step(("after_act" if crash_after else "before_act") if number in crashes else None)
        _check_writes(run, run.actions[before:], watch)
        _look(run, watch)
        run.clock.advance(TICK)
        _check_cloud(run, watch)
        _look(run, watch)
        if result is not None and not result.actions and run.status.rollout is None and run.status.lastRollouts:
            break
    else:
        raise AssertionError("the rollout never finished")
    await _finished(run)


def _look(run: Run, watch: Watch) -> None:
    observed = run.cloud.snapshot(run.key)
    assert observed is not None
    watch.ids = {i.instance_id for i in observed.instances if i.provisioning_state != "Deleting"}
    watch.capacity = observed.capacity
    watch.protected = {i.instance_id for i in observed.instances if i.protect_from_scale_in}
    record = run.status.rollout
    batch = record.batch if record is not None else None
    watch.in_flight = set(batch.instanceIds) if batch is not None and batch.acted else set()
    watch.in_place = batch is not None and batch.acted and batch.action != "Surge"


def _check_writes(run: Run, executed: list[act.Action], watch: Watch) -> None:
    record = run.status.rollout
    batch = record.batch if record is not None else None
    surge = batch.surgeCapacity if batch is not None and batch.action == "Surge" else None
    for action in executed:
        if isinstance(action, act.ApplyModel):
            if action.etag is None and action.capacity != surge:
                raise AssertionError(f"a push of capacity {action.capacity}: neither the cloud's own nor a surge")
            if watch.pushed_at is None:
                watch.pushed_at = run.now()
        if isinstance(action, act.DeleteInstances):
            watch.deleted_by_operator.update(action.instance_ids)


def _check_cloud(run: Run, watch: Watch) -> None:
    """After the clock moved (the cloud's autoscale runs): what autoscale removed, and what it created."""
    observed = run.cloud.snapshot(run.key)
    assert observed is not None
    now_ids = {i.instance_id for i in observed.instances if i.provisioning_state != "Deleting"}
    removed = (watch.ids - now_ids) - watch.deleted_by_operator
    assert not removed & watch.in_flight, f"autoscale removed {removed & watch.in_flight} of the batch in flight"
    assert not removed & watch.protected, f"autoscale removed {removed & watch.protected}, protected from scale-in"
    if watch.in_place:
        assert observed.capacity >= watch.capacity, f"scale-in {watch.capacity} -> {observed.capacity} under a batch"
    if watch.pushed_at is not None:
        stale = [i.name for i in observed.instances if i.created_at > watch.pushed_at and not i.latest_model_applied]
        assert not stale, f"instances created after the model push on the old model: {stale}"


async def _finished(run: Run) -> None:
    assert run.status.lastRollouts[0].outcome == "Completed", run.status.lastRollouts
    observed = await run.observe()
    assert all(i.latest_model_applied for i in observed.instances)
    setting = run.cloud.autoscale.targeting(run.key)
    desired = desired_autoscale(run.spec, run.name)
    assert setting is not None and desired is not None
    assert setting.settings == desired.settings, "the held minimum was not restored"
    assert run.status.autoscale is not None and run.status.autoscale.heldMinimum is None
