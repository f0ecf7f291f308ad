"""Canonical rollouts pinned as golden logs (``testdata/*.golden``): each drives the real reconcile
loop to the end and compares every meaningful pass with the reviewed log."""

from __future__ import annotations

from tests.harness import Run, new_run
from tests.planner.golden import GoldenLog, assert_golden
from tests.planner.specs import UBUNTU, changed, make_spec

NEW_IMAGE = "2024.03.20"


async def rolled(run: Run, log: GoldenLog, **converge: object) -> None:
    await run.converge(check=log.record, **converge)  # type: ignore[arg-type]


async def converged(**spec: object) -> tuple[Run, GoldenLog]:
    run = new_run(make_spec(**spec))
    await run.converge()
    return run, GoldenLog.of(run)


async def test_ten_instances_at_20_percent() -> None:
    run, log = await converged(**{"sku.capacity": 10})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await rolled(run, log)
    assert_golden("ten_instances_at_20_percent", log.lines)


async def test_max_surge() -> None:
    run, log = await converged(**{"sku.capacity": 5, "upgradePolicy.rollingUpgradePolicy": {"maxSurge": True}})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await rolled(run, log)
    assert_golden("max_surge", log.lines)


async def test_bad_image_rolled_back() -> None:
    run, log = await converged(
        **{
            "sku.capacity": 10,
            "upgradePolicy.mode": "Manual",
            "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
        }
    )
    run.cloud.faults.mark_image_bad(NEW_IMAGE)
    run.cloud.catalog.publish_platform(UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"], NEW_IMAGE)
    run.clock.advance(60)
    await rolled(run, log, until=lambda r: bool(r.status.osUpgradeHistory) and r.status.readyReplicas == 10)
    assert_golden("bad_image_rolled_back", log.lines)


async def test_model_change_mid_rollout() -> None:
    run, log = await converged(**{"sku.capacity": 10})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await rolled(run, log, until=lambda r: r.status.rollout is not None and r.status.rollout.batchesCompleted == 2)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D8s_v5"}))
    log.lines.append("-- the model changes again (Standard_D8s_v5)")
    await rolled(run, log)
    assert_golden("model_change_mid_rollout", log.lines)


async def test_paused_then_resumed() -> None:
    run, log = await converged(**{"sku.capacity": 10})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await rolled(run, log, until=lambda r: r.status.rollout is not None and r.status.rollout.batchesCompleted == 2)
    run.set_spec(changed(run.spec, paused=True))
    log.lines.append("-- spec.paused: true")
    for _ in range(5):
        log.record(run, await run.step())
        run.clock.advance(60)
    run.set_spec(changed(run.spec, paused=False))
    log.lines.append("-- spec.paused: false")
    await rolled(run, log)
    assert_golden("paused_then_resumed", log.lines)


async def test_429_storm_mid_rollout() -> None:
    run, log = await converged(**{"sku.capacity": 10})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await rolled(run, log, until=lambda r: r.status.rollout is not None and r.status.rollout.batchesCompleted == 2)
    run.cloud.throttle_for(120)
    log.lines.append("-- every call answered 429 for 120 s")
    await rolled(run, log)
    assert_golden("429_storm_mid_rollout", log.lines)
