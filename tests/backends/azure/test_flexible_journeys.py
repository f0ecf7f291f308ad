"""Flexible orchestration through the operator's real loop, on both backends (the fake one, and the
real SDK against the ARM endpoint, where reimage and restart are one call per VM): created, scaled
out and in by policy, rolled out in health-gated batches (health from the Application Health
extension only), with maxSurge, manually upgraded, reimaged, instances deleted, a bad OS image rolled
back, reimage-all refused naming Flexible, and a rollout that survives crashes at every call."""

from __future__ import annotations

from typing import Any

from scaleset_operator.backends.azure import AzureBackend
from scaleset_operator.planner import actions as act
from scaleset_operator.simulator.catalog import UBUNTU_JAMMY
from tests.planner.specs import HEALTH_EXTENSION

from ..scenarios import Run, World, changed, make_spec, max_busy

FLEX: dict[str, Any] = {
    "orchestrationMode": "Flexible",
    "platformFaultDomainCount": 1,
    "virtualMachineProfile.networkProfile": {},
    "virtualMachineProfile.extensionProfile": {"extensions": [HEALTH_EXTENSION]},
}
NEW_IMAGE = "2024.03.01"


def flexible(**overrides: Any) -> Any:
    return make_spec(**FLEX, **overrides)


def writes(world: World, run: Run, marker: int) -> list[tuple[str, int]]:
    return [(c.kind, len(c.instance_ids)) for c in world.cloud.calls.since(marker, run.key) if c.write]


async def test_create_and_scale_out_and_in_by_policy(world: World) -> None:
    run = Run(world, flexible(**{"sku.capacity": 2, "scaleInPolicy": {"rules": ["OldestVM"]}}))
    await run.converge()
    first = (await run.observe()).ids
    assert all(i.startswith("web_") for i in first) and run.status.readyReplicas == 2
    assert {i.healthState for i in run.status.instances} == {"Healthy"}, "health from the extension"
    world.clock.advance(60)
    run.set_spec(changed(run.spec, **{"sku.capacity": 4}))
    await run.converge()
    grown = (await run.observe()).ids
    run.set_spec(changed(run.spec, **{"sku.capacity": 2}))
    await run.converge()
    assert (await run.observe()).ids == grown - first, "OldestVM removes the first two"
    assert run.condition("Ready")[:2] == ("True", "Converged")  # type: ignore[index]


async def test_a_rolling_model_change_goes_in_health_gated_batches(world: World) -> None:
    run = Run(world, flexible(**{"sku.capacity": 5}))
    await run.converge()
    marker, busy = world.cloud.calls.marker(), []
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge(check=lambda r, p: max_busy(r, p, busy))
    assert all(i.latest_model_applied for i in (await run.observe()).instances)
    assert max(busy) == 1, f"a batch exceeded 20% of 5 VMs: {busy}"
    assert writes(world, run, marker) == [("apply", 0)] + [("upgrade", 1)] * 5, "manual upgrade by VM name, one call"


async def test_max_surge_replaces_each_batch_with_new_vms(world: World) -> None:
    run = Run(world, flexible(**{"sku.capacity": 3, "upgradePolicy.rollingUpgradePolicy": {"maxSurge": True}}))
    await run.converge()
    old = (await run.observe()).ids
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    observed = await run.observe()
    assert len(observed.ids) == 3 and not observed.ids & old, "every VM replaced, never upgraded in place"
    assert all(i.latest_model_applied for i in observed.instances)


async def test_manual_upgrade_reimage_and_delete_are_operations_on_vm_names(world: World) -> None:
    run = Run(world, flexible(**{"sku.capacity": 3, "upgradePolicy.mode": "Manual"}))
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    a, b, c = sorted((await run.observe()).ids)
    marker = world.cloud.calls.marker()
    run.add_operation("upgrade", action="UpgradeInstances", instanceIds=[a, b])
    run.add_operation("reimage", action="Reimage", instanceIds=[b, c])
    run.add_operation("delete", action="DeleteInstances", instanceIds=[c])
    run.add_operation("reimage-all", action="ReimageAll", instanceIds=[a])
    names = ("upgrade", "reimage", "delete", "reimage-all")
    await run.converge(until=lambda r: all(r.operation(n).phase in ("Succeeded", "Failed") for n in names))
    await run.converge()
    phases = {name: run.operation(name).phase for name in names}
    assert phases == {"upgrade": "Succeeded", "reimage": "Succeeded", "delete": "Succeeded", "reimage-all": "Failed"}
    assert "does not apply to Flexible orchestration" in run.operation("reimage-all").message
    observed = await run.observe()
    assert len(observed.ids) == 3 and c not in observed.ids, "the deleted VM is replaced by a new one"
    assert [i.latest_model_applied for i in observed.instances if i.instance_id in (a, b)] == [True, True]
    reimages = [n for kind, n in writes(world, run, marker) if kind == "reimage"]
    one_call_per_vm = isinstance(world.backend, AzureBackend)
    assert reimages == ([1, 1] if one_call_per_vm else [2]), "Azure has no batch reimage for Flexible VMs"
    assert "reimage_all" not in [kind for kind, _ in writes(world, run, marker)], "refused without a call"


async def test_a_bad_os_image_is_rolled_back(world: World) -> None:
    run = Run(
        world,
        flexible(**{"sku.capacity": 5, "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}}),
    )
    await run.converge()
    world.cloud.faults.mark_image_bad(NEW_IMAGE)
    world.cloud.catalog.publish_platform(*UBUNTU_JAMMY, NEW_IMAGE)
    world.clock.advance(120)
    await run.converge(tick=30, until=lambda r: bool(r.status.osUpgradeHistory))
    entry = run.status.osUpgradeHistory[0]
    assert entry.runningStatus.code == "Faulted" and entry.rollbackInfo.successfullyRolledbackInstanceCount == 1
    await run.converge(tick=30, until=lambda r: r.status.readyReplicas == 5)
    assert {i.imageVersion for i in run.status.instances} == {"2024.02.15"}, "the batch went back to its image"


async def test_a_rollout_survives_crashes_before_and_after_every_call(world: World) -> None:
    """The intent record is written before each call: killed on either side of it, the restarted
    operator neither repeats a VM's upgrade nor loses one."""
    run = Run(
        world, flexible(**{"sku.capacity": 4, "upgradePolicy.rollingUpgradePolicy": {"maxBatchInstancePercent": 50}})
    )
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    marker = world.cloud.calls.marker()
    for number in range(200):
        crash = ("before_act", "after_act")[number % 2] if number % 3 == 0 else None
        result = await run.step(crash)  # type: ignore[arg-type]
        if result is not None and run.converged(result):
            break
        world.clock.advance(10)
        await world.settle()
    assert run.crashes > 0
    upgraded = [
        i for call in world.cloud.calls.since(marker, run.key) if call.kind == "upgrade" for i in call.instance_ids
    ]
    assert sorted(upgraded) == sorted((await run.observe()).ids), "each VM upgraded exactly once"
    assert all(isinstance(a, act.ApplyModel | act.UpgradeInstances) for a in run.actions)
