"""What people and other tools do to a scale set behind the operator's back: through the real SDK
against the ARM-compatible endpoint in the Azure world, through the engine itself in the fake world
(the same semantics: Azure's resource body parsed as the endpoint parses it)."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from azure.mgmt.compute import models as sdk
from azure.mgmt.compute.aio import ComputeManagementClient

from scaleset_operator.backends.azure import AzureBackend
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.wire import cloud_model
from scaleset_operator.simulator.arm import parse

from .scenarios import World

READ_ONLY = ("id", "name", "type", "etag")
READ_ONLY_PROPERTIES = ("provisioningState", "uniqueId", "timeCreated")


def _client(world: World, key: ScaleSetKey) -> ComputeManagementClient:
    assert isinstance(world.backend, AzureBackend)
    return world.backend.clients.for_subscription(key.subscription_id)


async def create(world: World, key: ScaleSetKey, body: dict[str, Any]) -> None:
    """A scale set created with Azure's JSON by another tool (no operator tags), and its instances up."""
    if world.arm is not None:
        poller = await _client(world, key).virtual_machine_scale_sets.begin_create_or_update(
            key.resource_group, key.name, sdk.VirtualMachineScaleSet(copy.deepcopy(body))
        )
        world.clock.advance(60)
        await poller.result()
    else:  # the engine keeps secrets and user data only as fingerprints and never returns them: none here
        body = _without_secrets(body)
        mode = str(body["properties"].get("orchestrationMode", "Uniform"))
        parsed = parse.desired_model(body)  # as the endpoint reads it (Flexible: no overprovisioning)
        model = replace(parsed, orchestration_mode=mode, overprovision=parsed.overprovision and mode != "Flexible")  # type: ignore[arg-type]
        world.cloud.apply(key, model, int(body["sku"]["capacity"]))
        world.clock.advance(60)
    await world.settle()


def _without_secrets(body: dict[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(body)
    profile = plain["properties"]["virtualMachineProfile"]
    profile["osProfile"].pop("adminPassword", None)
    profile.pop("userData", None)
    for extension in (profile.get("extensionProfile") or {}).get("extensions", []):
        extension["properties"].pop("protectedSettings", None)
    return plain


async def document(world: World, key: ScaleSetKey) -> dict[str, Any]:
    """The scale set as a client reads it back: Azure's JSON with user data, server-only fields left
    out (Azure world); the model the engine holds, shaped like the spec (fake world)."""
    if world.arm is not None:
        read = await _client(world, key).virtual_machine_scale_sets.get(key.resource_group, key.name, expand="userData")
        body = read.as_dict()
        for name in READ_ONLY:
            body.pop(name, None)
        for name in READ_ONLY_PROPERTIES:
            body["properties"].pop(name, None)
        body["sku"].pop("capacity", None)
        return body
    model = world.cloud.model(key)
    assert model is not None
    return cloud_model(model)


async def change_sku(world: World, key: ScaleSetKey, name: str) -> None:
    """The portal's size change: a PATCH of ``sku.name`` (Azure world); the engine's model changed."""
    if world.arm is not None:
        poller = await _client(world, key).virtual_machine_scale_sets.begin_update(
            key.resource_group, key.name, sdk.VirtualMachineScaleSetUpdate(sku=sdk.Sku(name=name))
        )
        await poller.result()
    else:
        model = world.cloud.model(key)
        observed = world.cloud.snapshot(key)
        assert model is not None and observed is not None
        world.cloud.apply(key, replace(model, sku_name=name), observed.capacity)
    await world.settle()


async def delete_instance(world: World, key: ScaleSetKey, instance_id: str) -> None:
    """``az vmss delete-instances``: Azure lowers the capacity by the instances deleted."""
    if world.arm is not None:
        poller = await _client(world, key).virtual_machine_scale_sets.begin_delete_instances(
            key.resource_group, key.name, sdk.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=[instance_id])
        )
        world.clock.advance(15)
        await poller.result()
    else:
        world.cloud.delete_instances(key, [instance_id])
        world.clock.advance(15)
    await world.settle()
