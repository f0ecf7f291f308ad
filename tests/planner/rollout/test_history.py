"""The batch history (``status.batchHistory``, ``planner/rollout/history.py``) survives crashes.

Through the real loop (``tests/harness.py``), with the operator killed right before and right after
batch calls: at every pass the stored history agrees with the stored intent record (a batch in
flight is in the history, in progress; every batch that ended is closed, with the instances the
record counts), and at the end every batch the cloud was sent is in the history once, with its
instances, start, end and result.
"""

from __future__ import annotations

import pytest

from scaleset_operator.api.status import RolloutBatch, RolloutRecord, ScaleSetStatus
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.rollout import history
from scaleset_operator.planner.rollout.history import HISTORY_BATCHES
from scaleset_operator.planner.timefmt import fmt
from tests.harness import Crash, Run, World, new_run
from tests.planner.builders import T0
from tests.planner.specs import UBUNTU, changed, make_spec

NEW = "2024.03.01"
WHEN = "2026-01-05T11:00:00Z"


def assert_consistent(status: ScaleSetStatus) -> None:
    """What a reader finds after a crash at this point: the history and the intent record agree."""
    history = status.batchHistory
    keys = [(b.number, b.action, b.startTime) for b in history]
    assert len(keys) == len(set(keys)), f"a batch recorded twice: {keys}"
    open_batches = [b for b in history if b.result == "InProgress"]
    record = status.rollout
    if record is not None and record.batch is not None:
        batch = record.batch
        assert [(b.number, b.action, b.startTime) for b in open_batches] == [
            (batch.number, batch.action, batch.startTime)
        ], "the batch in flight is the one in progress"
        assert open_batches[0].instanceIds == batch.instanceIds
    else:
        assert not open_batches, f"no batch in flight, yet {open_batches}"
    for entry in history:
        if entry.result != "InProgress":
            assert entry.endTime is not None and entry.endTime >= entry.startTime
            assert set(entry.succeeded) | set(entry.failed) <= set(entry.instanceIds)


async def roll_with_crashes(run: Run, crash: Crash | None) -> None:
    """Pass after pass until the rollout ends, killing the operator at every backend write but the
    first one after a restart."""
    armed = True
    for number in range(400):
        crashes = run.crashes
        await run.step(crash if armed else None)
        armed = run.crashes == crashes
        assert_consistent(run.status)
        if run.status.rollout is None and run.status.rollingUpgrade is not None and number > 2:
            return
        run.clock.advance(10)
    raise AssertionError("the rollout did not end")


@pytest.mark.parametrize("crash", ["before_act", "after_act"])
async def test_every_batch_is_in_the_history_once_whatever_the_crashes(crash: Crash) -> None:
    run = new_run(make_spec(**{"sku.capacity": 10}))
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    sent = len(run.actions)
    await roll_with_crashes(run, crash)
    assert run.crashes >= 5

    upgrades = [a.instance_ids for a in run.actions[sent:] if isinstance(a, act.UpgradeInstances)]
    history = [b for b in run.status.batchHistory if b.kind == "ModelUpgrade"]
    assert [b.number for b in history] == [1, 2, 3, 4, 5]
    assert all(b.result == "Succeeded" and b.action == "Upgrade" for b in history), history
    assert sorted(i for b in history for i in b.succeeded) == sorted(str(i) for i in range(10))
    for ids in upgrades:  # each call the cloud accepted belongs to one recorded batch
        assert any(set(ids) <= set(b.instanceIds) for b in history), ids
    assert all(b.target == run.status.modelHash for b in history)
    starts = [b.startTime for b in history]
    assert starts == sorted(starts) and all(b.endTime is not None for b in history)


async def test_a_rolled_back_batch_and_its_rollback_are_recorded() -> None:
    spec = make_spec(
        **{
            "sku.capacity": 10,
            "upgradePolicy.mode": "Manual",
            "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
        }
    )
    run = new_run(spec)
    await run.converge()
    run.cloud.faults.mark_image_bad(NEW)
    run.cloud.catalog.publish_platform(UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"], NEW)
    run.clock.advance(60)
    await roll_with_crashes(run, "after_act")

    first, rollback = run.status.batchHistory
    assert (first.kind, first.target, first.action, first.result) == ("OSUpgrade", NEW, "Reimage", "Failed")
    assert first.failed == first.instanceIds and not first.succeeded
    assert (rollback.number, rollback.action, rollback.result) == (1, "Rollback", "Succeeded")
    assert rollback.succeeded == first.instanceIds and rollback.startTime >= (first.endTime or "")


async def test_the_history_is_bounded_to_the_last_batches() -> None:
    run = new_run(make_spec(**{"sku.capacity": 2}))
    await run.converge()
    targets = []
    for n in range(HISTORY_BATCHES // 2 + 2):  # two one-instance batches per model change
        run.set_spec(changed(run.spec, **{"virtualMachineProfile.licenseType": f"License{n}"}))
        await run.converge()
        targets.append(run.status.modelHash)
    history = run.status.batchHistory
    assert len(history) == HISTORY_BATCHES, "bounded"
    assert [b.target for b in history] == [t for t in targets[2:] for _ in (1, 2)], "the oldest batches went first"
    assert all(b.result == "Succeeded" for b in history)


def test_a_batch_whose_record_went_away_unsettled_is_abandoned() -> None:
    batch = RolloutBatch(number=1, instanceIds=["0", "1"], action="Upgrade", startTime=WHEN, acted=True)
    record = RolloutRecord(kind="ModelUpgrade", target="h", startTime=WHEN, batch=batch)
    started = history.update((), None, record, (), T0)
    assert [(b.number, b.result) for b in started] == [(1, "InProgress")]
    assert history.update(started, record, record, (), T0) == started, "nothing happened: nothing changes"
    (ended,) = history.update(started, record, None, (), T0)
    assert (ended.result, ended.succeeded, ended.failed, ended.endTime) == ("Abandoned", [], [], fmt(T0))


async def test_with_a_simulated_clock_the_history_shows_wall_clock_times_and_stays_consistent() -> None:
    run = Run(World.fake(), make_spec(**{"sku.capacity": 4}), speed=50)
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await roll_with_crashes(run, "before_act")
    stored = run.status
    history = [b for b in stored.batchHistory if b.kind == "ModelUpgrade"]
    assert history and all(b.result == "Succeeded" for b in history)
    assert stored.simulatedClock is not None
    simulated = stored.simulatedClock.times
    for n, entry in enumerate(stored.batchHistory):
        assert entry.endTime is not None
        kept = simulated.get(f"batchHistory[{n}].endTime")
        assert kept is not None and kept > entry.endTime, "shown on the wall clock, simulated time kept"
