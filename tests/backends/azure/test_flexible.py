"""Flexible orchestration at the backend level, through the fake backend and through the real SDK
against the ARM endpoint: instances are VMs named ``{scale set}_{8 hex}``, scale in/out by policy,
manual upgrade and batch delete by VM name, reimage and restart through the single-VM APIs (one
call per VM, within the budget), reimage-all refused, a bad OS image rolled back by reimage."""

from __future__ import annotations

import re
from typing import Any

import pytest

from scaleset_operator.backends.azure import AzureBackend
from scaleset_operator.cloud.desired import DesiredModel, desired_model, scale_set_key
from scaleset_operator.cloud.errors import InvalidRequest
from scaleset_operator.cloud.observed import ObservedScaleSet

from ..scenarios import World, make_spec

FLEX = {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1}
KEY = scale_set_key(make_spec(), "web")
NAME = re.compile(r"^web_[0-9a-f]{8}$")


def model(**overrides: Any) -> DesiredModel:
    return desired_model(make_spec(**FLEX, **overrides))


async def settled(world: World, seconds: float = 60) -> ObservedScaleSet:
    world.clock.advance(seconds)
    await world.finish_operations()
    observed = await world.backend.get(KEY)
    assert observed is not None
    return observed


def requests(world: World, marker: int) -> dict[str, int]:
    return world.arm.requests.counts(marker) if world.arm is not None else {}


async def test_create_and_observe(world: World) -> None:
    await world.backend.apply(KEY, model(), 3)
    observed = await settled(world)
    marker = world.arm.requests.marker() if world.arm is not None else 0
    again = await world.backend.get(KEY)

    assert observed.orchestration_mode == "Flexible" and observed.capacity == 3
    assert all(NAME.match(i.instance_id) for i in observed.instances), observed.ids
    assert {(i.provisioning_state, i.health_state, i.latest_model_applied) for i in observed.instances} == {
        ("Succeeded", "Healthy", True)
    }
    assert {i.update_domain for i in observed.instances} == {0}
    assert again == observed
    if world.arm is not None:  # one filtered VM list, never one GET per VM
        assert requests(world, marker) == {"vm.list": 1, "vms.list": 1, "vmss.get": 1}


async def test_scale_out_and_in_by_policy(world: World) -> None:
    await world.backend.apply(KEY, model(**{"scaleInPolicy": {"rules": ["OldestVM"]}}), 2)
    first = (await settled(world)).ids
    await world.backend.apply(KEY, model(**{"scaleInPolicy": {"rules": ["OldestVM"]}}), 5)
    grown = await settled(world)
    await world.backend.apply(KEY, model(**{"scaleInPolicy": {"rules": ["OldestVM"]}}), 3)
    shrunk = await settled(world)

    assert len(grown.ids) == 5 and first < grown.ids
    assert shrunk.ids == grown.ids - first, "OldestVM removes the first two"
    assert shrunk.capacity == 3


async def test_upgrade_reimage_restart_and_delete_by_vm_name(world: World) -> None:
    await world.backend.apply(KEY, model(), 4)
    await settled(world)
    await world.backend.apply(KEY, model(**{"sku.name": "Standard_D4s_v5"}), 4)
    a, b, c, d = (i.instance_id for i in (await settled(world)).instances)
    engine = world.cloud.calls.marker()

    await world.backend.upgrade_instances(KEY, [a, b])
    await world.backend.reimage(KEY, [c, d], image_version="2024.01.10")
    await settled(world)
    await world.backend.restart(KEY, [a, c])
    await world.backend.delete_instances(KEY, [b])
    observed = await settled(world)

    assert [(i.instance_id, i.latest_model_applied, i.image.version) for i in observed.instances] == [
        (a, True, "2024.02.15"),
        (c, False, "2024.01.10"),
        (d, False, "2024.01.10"),
    ]
    assert observed.capacity == 3
    writes = [(call.kind, len(call.instance_ids)) for call in world.cloud.calls.since(engine, KEY) if call.write]
    if isinstance(world.backend, AzureBackend):  # no batch reimage/restart for VMs: one call each
        assert writes == [
            ("upgrade", 2),
            ("reimage", 1),
            ("reimage", 1),
            ("restart", 1),
            ("restart", 1),
            ("delete_instances", 1),
        ]
    else:
        assert writes == [("upgrade", 2), ("reimage", 2), ("restart", 2), ("delete_instances", 1)]


async def test_reimage_all_is_refused_naming_flexible(world: World) -> None:
    await world.backend.apply(KEY, model(), 1)
    vm = next(iter((await settled(world)).ids))
    marker = world.cloud.calls.marker()
    with pytest.raises(InvalidRequest) as refused:
        await world.backend.reimage_all(KEY, [vm])
    assert refused.value.code == "OperationNotAllowed" and "Flexible" in refused.value.message
    if isinstance(world.backend, AzureBackend):
        assert world.cloud.calls.since(marker, KEY) == [], "refused before calling Azure"


async def test_a_bad_os_image_is_rolled_back_by_reimage(world: World) -> None:
    await world.backend.apply(KEY, model(), 2)
    vms = sorted((await settled(world)).ids)
    world.cloud.catalog.publish_platform("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "2024.03.01")
    world.cloud.faults.mark_image_bad("2024.03.01")

    await world.backend.reimage(KEY, vms[:1], image_version="2024.03.01")
    broken = await settled(world)
    await world.backend.reimage(KEY, vms[:1], image_version="2024.02.15")
    restored = await settled(world)

    assert broken.instance(vms[0]).health_state == "Unhealthy"  # type: ignore[union-attr]
    assert [(i.image.version, i.health_state) for i in restored.instances] == [("2024.02.15", "Healthy")] * 2


async def test_a_reimage_batch_beyond_the_vm_budget_is_held_back_whole(azure_world: World) -> None:
    backend = azure_world.backend
    assert isinstance(backend, AzureBackend)
    await backend.apply(KEY, model(), 2)
    vms = sorted((await settled(azure_world)).ids)
    backend.budget.take(KEY, *["vm_update"] * 1499)
    marker = azure_world.cloud.calls.marker()
    with pytest.raises(Exception, match="vm-update") as held:
        await backend.restart(KEY, vms)
    assert held.value.__class__.__name__ == "Throttled"
    assert azure_world.cloud.calls.since(marker, KEY) == [], "no VM was restarted"
