"""Stopped and deallocated instances, Spot evictions and deferred OS upgrades, on the real loop
(``tests/harness.py``): what a platform engineer sees in status, and what rollouts do."""

from __future__ import annotations

from typing import Any

from scaleset_operator.api.operation import ScaleSetOperationStatus
from scaleset_operator.planner import actions as act
from tests.harness import Run, new_run
from tests.planner.specs import UBUNTU, changed, make_spec

NEW = "2024.03.20"
TERMINAL = ("Succeeded", "Failed")


async def converged(capacity: int = 5, **extra: Any) -> Run:
    run = new_run(make_spec(**{"sku.capacity": capacity, **extra}))
    await run.converge()
    return run


async def operate(run: Run, name: str, **spec: Any) -> ScaleSetOperationStatus:
    run.add_operation(name, **spec)
    await run.converge(until=lambda r: r.operation(name).phase in TERMINAL)
    return run.operation(name)


def sent(run: Run, kind: type[act.Action]) -> list[tuple[str, ...]]:
    return [a.instance_ids for a in run.actions if isinstance(a, kind)]  # type: ignore[attr-defined]


async def test_a_deallocated_instance_is_a_settled_state_not_progress() -> None:
    run = await converged(3)
    assert (await operate(run, "dealloc", action="Deallocate", instanceIds=["1"])).phase == "Succeeded"
    await run.converge()
    status = run.status
    assert [(i.instanceId, i.powerState, i.healthState) for i in status.instances] == [
        ("0", "running", "Healthy"),
        ("1", "deallocated", "Unknown"),
        ("2", "running", "Healthy"),
    ]
    assert (status.replicas, status.readyReplicas) == (3, 2)
    assert run.conditions()["Reconciling"] == ("False", "Idle")
    ready = run.condition("Ready")
    assert ready is not None and ready[:2] == ("True", "Converged")
    assert ready[2].endswith("1 stopped, not counted as ready: web000001 (deallocated)")
    patches = run.kube.patches
    await run.run_for(600, tick=60)
    assert run.kube.patches == patches, "a deallocated instance is not progress: nothing to write"


async def test_a_rollout_leaves_stopped_instances_alone_and_upgrades_them_once_started() -> None:
    """Two of five deallocated (40%: above maxUnhealthyInstancePercent 20, yet not unhealthy): the
    Rolling upgrade runs on the three running ones, completes, and upgrades the two once started."""
    run = await converged(5)
    await operate(run, "dealloc", action="Deallocate", instanceIds=["1", "3"])
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    assert {i.instanceId: i.latestModelApplied for i in run.status.instances} == {
        "0": True,
        "1": False,
        "2": True,
        "3": False,
        "4": True,
    }
    assert all("1" not in ids and "3" not in ids for ids in sent(run, act.UpgradeInstances))
    assert run.status.rollingUpgrade is not None and run.status.rollingUpgrade.runningStatus.code == "Completed"
    ready = run.condition("Ready")
    assert ready is not None and "2 of them get the latest model once started" in ready[2]

    await operate(run, "start", action="Start", instanceIds=["1", "3"])
    await run.converge()
    assert all(i.latestModelApplied and i.powerState == "running" for i in run.status.instances)
    assert sent(run, act.UpgradeInstances)[-2:] == [("1",), ("3",)]


async def test_a_spot_eviction_with_the_delete_policy_is_replaced_to_the_declared_capacity() -> None:
    spot = {"virtualMachineProfile.priority": "Spot", "virtualMachineProfile.evictionPolicy": "Delete"}
    run = await converged(3, **{"upgradePolicy.mode": "Manual", **spot})
    evicted = await operate(run, "evict", action="SimulateEviction", instanceIds=["0"])
    await run.converge()
    assert evicted.phase == "Succeeded"
    assert [i.instanceId for i in run.status.instances] == ["1", "2", "3"], "capacity 3 is the declared state"


async def deferred_os_upgrade(capacity: int = 3) -> Run:
    policy = {"enableAutomaticOSUpgrade": True, "osRollingUpgradeDeferral": True}
    run = await converged(
        capacity, **{"upgradePolicy.mode": "Manual", "upgradePolicy.automaticOSUpgradePolicy": policy}
    )
    run.cloud.catalog.publish_platform(UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"], NEW)
    run.clock.advance(60)
    await run.run_for(300, tick=30)
    return run


async def test_a_deferred_os_upgrade_waits_for_approval_instance_by_instance() -> None:
    run = await deferred_os_upgrade(3)
    assert sent(run, act.ReimageInstances) == []
    progressing = run.condition("RolloutProgressing")
    assert progressing is not None and progressing[:2] == ("False", "WaitingForApproval")
    assert "web000000, web000001, web000002 waits for an ApproveRollingUpgrade operation" in progressing[2]
    await run.run_for(2000, tick=120)  # past progressDeadline (PT30M): a wait for a person is a hold
    assert run.conditions()["Stalled"][0] == "False"

    approved = await operate(run, "approve-0", action="ApproveRollingUpgrade", instanceIds=["0"])
    assert approved.phase == "Succeeded" and run.status.rollout is not None
    assert run.status.rollout.approvedInstances == ["0"]
    await run.run_for(300, tick=30)
    assert [i.imageVersion for i in run.status.instances] == [NEW, "2024.02.15", "2024.02.15"]

    await operate(run, "approve-all", action="ApproveRollingUpgrade", allInstances=True)
    await run.converge(tick=30)
    assert {i.imageVersion for i in run.status.instances} == {NEW}
    assert run.status.osUpgradeHistory[0].runningStatus.code == "Completed"


async def test_approval_without_a_deferred_upgrade_fails_clearly() -> None:
    run = await converged(2)
    refused = await operate(run, "approve", action="ApproveRollingUpgrade", allInstances=True)
    assert (refused.phase, refused.conditions[0].reason) == ("Failed", "NoDeferredUpgrade")
    assert "osRollingUpgradeDeferral: true" in refused.message


async def test_automatic_mode_settles_with_a_stale_deallocated_instance() -> None:
    run = await converged(3, **{"upgradePolicy.mode": "Automatic"})
    await operate(run, "dealloc", action="Deallocate", instanceIds=["2"])
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()  # converged: Ready True and Reconciling False with instance 2 still stale
    assert [i.latestModelApplied for i in run.status.instances] == [True, True, False]
    assert sent(run, act.UpgradeInstances) == [("0", "1")]
