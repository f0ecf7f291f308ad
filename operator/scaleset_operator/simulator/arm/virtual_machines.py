"""``Microsoft.Compute/virtualMachines``: the VMs of Flexible scale sets, through the single-VM APIs.

In Flexible orchestration every instance is a regular virtual machine that references its scale
set (``properties.virtualMachineScaleSet.id``), named ``{scale set}_{8 hex}``; Azure has no batch
call for reimage, restart or the instance view of such VMs, so clients use these routes:

- ``GET .../resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines`` and
  ``GET /subscriptions/{s}/providers/Microsoft.Compute/virtualMachines``, with
  ``$filter='virtualMachineScaleSet/id' eq '{scale set ID}'`` and ``$expand=instanceView`` (which,
  as on Azure, needs that filter), paged with ``nextLink``;
- ``GET .../virtualMachines/{vm}`` (``$expand=instanceView``) and ``.../instanceView``;
- ``POST .../virtualMachines/{vm}/reimage`` (``exactVersion`` honoured) and ``/restart``, and
  ``DELETE .../virtualMachines/{vm}`` (the scale set's capacity shrinks by one): long-running
  operations like the scale set's own.

Uniform scale sets' instances are not ``virtualMachines`` resources and never appear here.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.simulator.arm import render
from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.arm.operations import marks
from scaleset_operator.simulator.arm.request import Call, accepted, json_body, page
from scaleset_operator.simulator.arm.scale_sets import exact_version

JsonObject = dict[str, Any]
VM_TYPE = "Microsoft.Compute/virtualMachines"
_SCALE_SET_FILTER = re.compile(r"^'?virtualMachineScaleSet/id'?\s+eq\s+'?(?P<id>[^']+?)'?$", re.IGNORECASE)


def vm_id(key: ScaleSetKey, name: str) -> str:
    return (
        f"/subscriptions/{key.subscription_id}/resourceGroups/{key.resource_group}"
        f"/providers/Microsoft.Compute/virtualMachines/{name}"
    )


def flexible_vm(key: ScaleSetKey, model: DesiredModel, instance: ObservedInstance, *, expand: bool) -> JsonObject:
    """A Flexible instance as the VM resource Azure shows: its own model, the scale set it belongs to."""
    vmss_view = render.vm(key, model, instance, expand_instance_view=expand)
    props = vmss_view["properties"]
    for scale_set_only in ("latestModelApplied", "protectionPolicy"):
        props.pop(scale_set_only, None)
    props["hardwareProfile"] = {"vmSize": model.sku_name}
    props["virtualMachineScaleSet"] = {"id": key.resource_id}
    props["platformFaultDomain"] = instance.fault_domain
    body: JsonObject = {
        "id": vm_id(key, instance.instance_id),
        "name": instance.instance_id,
        "type": VM_TYPE,
        "location": model.location,
        "properties": props,
    }
    if "zones" in vmss_view:
        body["zones"] = vmss_view["zones"]
    return body


def _scale_set_filter(call: Call) -> str | None:
    raw = call.query("$filter").strip()
    if not raw:
        return None
    found = _SCALE_SET_FILTER.match(raw)
    if found is None:
        raise ArmError(
            400,
            "InvalidParameter",
            f"The $filter '{raw}' is not supported: the allowed value is "
            "'virtualMachineScaleSet/id' eq '/subscriptions/{subId}/resourceGroups/{rg}/providers/"
            "Microsoft.Compute/virtualMachineScaleSets/{vmssName}'.",
        )
    return found["id"].rstrip("/").lower()


def _flexible_sets(call: Call) -> list[ScaleSetKey]:
    """Flexible scale sets in the path's subscription (and resource group, if the path has one)."""
    sub, rg = call.groups["sub"].lower(), call.groups.get("rg")
    cloud = call.state.cloud
    return [
        key
        for key in cloud.scale_set_keys()
        if key.subscription_id.lower() == sub
        and (rg is None or key.resource_group.lower() == rg.lower())
        and (model := cloud.model(key)) is not None
        and model.flexible
    ]


async def list_vms(call: Call) -> web.StreamResponse:
    wanted = _scale_set_filter(call)
    expand = call.query("$expand").lower() == "instanceview"
    if expand and wanted is None:
        raise ArmError(
            400,
            "InvalidParameter",
            "$expand=instanceView can only be specified with a valid $filter on 'virtualMachineScaleSet/id'.",
        )
    cloud = call.state.cloud
    first = not call.query("$skiptoken")
    items: list[JsonObject] = []
    for key in _flexible_sets(call):
        if wanted is not None and key.resource_id.lower() != wanted:
            continue
        call.key = key
        observed, model = (cloud.get(key) if first else cloud.snapshot(key)), cloud.model(key)
        if observed is not None and model is not None:
            items.extend(flexible_vm(key, model, i, expand=expand) for i in observed.instances)
    return web.json_response(page(call, items))


def _find(call: Call) -> tuple[ScaleSetKey, DesiredModel, ObservedInstance] | None:
    """The VM named in the path (case-insensitive), read with one counted get of its scale set."""
    name = call.groups["vm"].lower()
    cloud = call.state.cloud
    for key in _flexible_sets(call):
        snapshot = cloud.snapshot(key)
        if snapshot is None or all(i.instance_id.lower() != name for i in snapshot.instances):
            continue
        call.key = key
        observed, model = cloud.get(key), cloud.model(key)
        found = next((i for i in observed.instances if i.instance_id.lower() == name), None) if observed else None
        if found is not None and model is not None:
            return key, model, found
    return None


def _require(call: Call) -> tuple[ScaleSetKey, DesiredModel, ObservedInstance]:
    found = _find(call)
    if found is None:
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.Compute/virtualMachines/{call.groups['vm']}' under resource group "
            f"'{call.groups['rg']}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )
    return found


async def get_vm(call: Call) -> web.StreamResponse:
    key, model, instance = _require(call)
    expand = call.query("$expand").lower() == "instanceview"
    return web.json_response(flexible_vm(key, model, instance, expand=expand))


async def get_instance_view(call: Call) -> web.StreamResponse:
    _, _, instance = _require(call)
    return web.json_response(render.instance_view(instance))


async def vm_action(call: Call) -> web.StreamResponse:
    """``reimage`` (``exactVersion`` pins the OS image version) or ``restart`` of one VM."""
    key, model, instance = _require(call)
    action = call.groups["action"].lower()
    body = await json_body(call.request, required=False)
    cloud = call.state.cloud
    before = marks(cloud, key)
    if action == "reimage":
        cloud.reimage(key, [instance.instance_id], image_version=exact_version(body))
    else:
        cloud.restart(key, [instance.instance_id])
    return accepted(call, call.state.operations.begin(action, key, model.location, before))


async def delete_vm(call: Call) -> web.StreamResponse:
    found = _find(call)
    if found is None:
        return web.Response(status=204)
    key, model, instance = found
    cloud = call.state.cloud
    before = marks(cloud, key)
    cloud.delete_instances(key, [instance.instance_id])
    return accepted(call, call.state.operations.begin("delete", key, model.location, before))
