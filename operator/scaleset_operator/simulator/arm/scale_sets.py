"""``Microsoft.Compute/virtualMachineScaleSets``: the resource (GET, PUT, PATCH, DELETE, lists), its
batch actions, its instance view, and its VMs as the scale set sees them (``.../virtualMachines``).

A write keeps the whole document (``documents.py``) and hands the engine the typed model
(``parse.py``) plus the upgrade policy (``validation.py``), so every property round-trips while the
engine drives the instances. Flexible scale sets refuse the batch actions Azure serves only for
Uniform ones (reimage, restart; reimage-all is refused by the engine): their VMs take the
single-VM APIs (``virtual_machines.py``).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from typing import Any

from aiohttp import web

from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.observed import ObservedInstance, ObservedScaleSet
from scaleset_operator.simulator.arm import documents, parse, render, validation
from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.arm.operations import marks
from scaleset_operator.simulator.arm.request import (
    Call,
    accepted,
    check_if_match,
    json_body,
    location_of,
    lro_headers,
    not_found,
    page,
    parent_not_found,
    scale_set_key,
)
from scaleset_operator.simulator.arm.state import ArmState

JsonObject = dict[str, Any]

ACTIONS = {
    "manualupgrade": "upgrade",
    "reimage": "reimage",
    "reimageall": "reimage_all",
    "restart": "restart",
    "delete": "delete_instances",
}
FLEXIBLE_REFUSES = frozenset({"reimage", "restart"})
"""Batch actions that Flexible scale sets leave to the single-VM APIs (reimage-all: the engine refuses)."""


# -- the document ------------------------------------------------------------------------------------


def stored_document(state: ArmState, key: ScaleSetKey) -> documents.StoredScaleSet:
    """The scale set's document; one created by the engine alone (not through this endpoint) gets
    one rendered from its typed model."""
    found = state.documents.get(key)
    if found is not None:
        return found
    model, observed = state.cloud.model(key), state.cloud.snapshot(key)
    if model is None or observed is None:
        raise not_found(key)
    meta = render.ResourceMeta(created_at=state.cloud.now())
    body = render.scale_set(key, model, observed, meta)
    stored = state.documents[key] = documents.accept(body, state.sealer, None, meta.created_at, meta.unique_id)
    return stored


def _rendered(call: Call, key: ScaleSetKey, observed: ObservedScaleSet) -> JsonObject:
    stored = stored_document(call.state, key)
    model = call.state.cloud.model(key)
    location = model.location if model is not None else str(stored.body.get("location"))
    expand = call.query("$expand").lower() == "userdata"
    return documents.render(stored, key, location, observed, expand_user_data=expand)


def _model(call: Call, key: ScaleSetKey, body: JsonObject, mode: str) -> DesiredModel:
    """The engine's model of a write: the typed parse, plus what the document says beyond it
    (orchestration mode and its defaults) and the password kept when the write omits it."""
    model = parse.desired_model(body)
    props = body.get("properties") or {}
    os_profile = ((props.get("virtualMachineProfile") or {}).get("osProfile")) or {}
    previous = call.state.cloud.model(key)
    fingerprint = model.password_fingerprint
    if "adminPassword" not in os_profile and previous is not None:
        fingerprint = previous.password_fingerprint
    flexible = mode == "Flexible"
    return replace(
        model,
        orchestration_mode="Flexible" if flexible else "Uniform",
        password_fingerprint=fingerprint,
        platform_fault_domain_count=int(props.get("platformFaultDomainCount") or (1 if flexible else 5)),
        overprovision=model.overprovision and not flexible,
    )


# -- the resource ------------------------------------------------------------------------------------


async def get_scale_set(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    observed = call.state.cloud.get(key)
    if observed is None:
        call.state.documents.pop(key, None)
        raise not_found(key)
    return web.json_response(_rendered(call, key, observed), headers={"ETag": render.etag(observed.etag)})


async def put_scale_set(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    body = await json_body(call.request, required=True)
    assert body is not None
    existing = call.state.cloud.snapshot(key)
    if existing is None:
        call.state.documents.pop(key, None)
    check_if_match(call, existing.etag if existing else None)
    previous = call.state.documents.get(key) if existing is not None else None
    return _write(call, key, body, previous, creating=existing is None)


async def patch_scale_set(call: Call) -> web.StreamResponse:
    """Update: the patch merged into the stored document (the capacity the engine holds, which
    instance deletes may have lowered, is the base; ``tags`` are replaced whole), then applied like
    a PUT."""
    key = scale_set_key(call)
    patch = await json_body(call.request, required=True)
    assert patch is not None
    observed = call.state.cloud.snapshot(key)
    if observed is None:
        raise not_found(key)
    check_if_match(call, observed.etag)
    stored = stored_document(call.state, key)
    base = copy.deepcopy(stored.body)
    base.setdefault("sku", {})["capacity"] = observed.capacity
    if "tags" in patch:  # ARM: the tags of a PATCH replace the resource's tags, they do not merge
        base.pop("tags", None)
    return _write(call, key, documents.merge_patch(base, patch), stored, creating=False)


def _write(
    call: Call, key: ScaleSetKey, body: JsonObject, previous: documents.StoredScaleSet | None, *, creating: bool
) -> web.StreamResponse:
    state, cloud = call.state, call.state.cloud
    mode, policy = validation.check(body)
    model = _model(call, key, body, mode)
    capacity = parse.capacity(body)
    before = marks(cloud, key)
    cloud.apply(key, model, capacity)
    stored = documents.accept(body, state.sealer, previous, cloud.now(), str(uuid.uuid4()))
    state.documents[key] = stored
    cloud.set_upgrade_policy(key, policy)
    operation = state.operations.begin(
        "createOrUpdate", key, model.location, before, whole_scale_set="create" if creating else None
    )
    observed = cloud.snapshot(key)
    assert observed is not None
    headers = lro_headers(call, operation, location=False)
    headers["ETag"] = render.etag(observed.etag)
    body_out = documents.render(stored, key, model.location, observed)
    return web.json_response(body_out, status=201 if creating else 200, headers=headers)


async def delete_scale_set(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    cloud = call.state.cloud
    existed = cloud.snapshot(key) is not None
    location = location_of(call, key)
    before = marks(cloud, key)
    cloud.delete(key)
    call.state.documents.pop(key, None)
    if not existed:
        return web.Response(status=204)
    return accepted(call, call.state.operations.begin("delete", key, location, before, whole_scale_set="delete"))


async def list_scale_sets(call: Call) -> web.StreamResponse:
    """Scale sets of a resource group (``rg`` in the path) or of the whole subscription."""
    sub, rg = call.groups["sub"].lower(), call.groups.get("rg")
    items = []
    for key in call.state.cloud.scale_set_keys():
        if key.subscription_id.lower() != sub or (rg is not None and key.resource_group.lower() != rg.lower()):
            continue
        observed = call.state.cloud.snapshot(key)
        if observed is not None:
            items.append(_rendered(call, key, observed))
    return web.json_response(page(call, items))


# -- batch actions -----------------------------------------------------------------------------------


def _refuse_on_flexible(call: Call, key: ScaleSetKey, operation: str) -> None:
    model = call.state.cloud.model(key)
    if model is not None and model.flexible:
        raise ArmError(
            400,
            "OperationNotAllowed",
            f"Operation 'VirtualMachineScaleSets.{operation}' is not allowed on Virtual Machine Scale Set "
            f"'{key.name}' since it uses Flexible orchestration: use the virtual machine's own API "
            f"(Microsoft.Compute/virtualMachines/{{vm}}/{operation.split('.')[0]}).",
        )


async def scale_set_action(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    action = call.groups["action"].lower()
    kind = ACTIONS[action]
    if action in FLEXIBLE_REFUSES:
        _refuse_on_flexible(call, key, action)
    body = await json_body(call.request, required=False)
    ids = parse.instance_ids(body, required=kind in ("upgrade", "delete_instances"))
    cloud = call.state.cloud
    if ids is None:
        snapshot = cloud.snapshot(key)
        ids = [i.instance_id for i in snapshot.instances if i.provisioning_state != "Deleting"] if snapshot else []
    location = location_of(call, key)
    before = marks(cloud, key)
    match kind:
        case "upgrade":
            cloud.upgrade_instances(key, ids)
        case "reimage":
            cloud.reimage(key, ids, image_version=exact_version(body))
        case "reimage_all":
            cloud.reimage_all(key, ids)
        case "restart":
            cloud.restart(key, ids)
        case _:
            cloud.delete_instances(key, ids)
    return accepted(call, call.state.operations.begin(action, key, location, before))


def exact_version(body: JsonObject | None) -> str | None:
    """Azure's ``exactVersion`` reimage parameter: the OS image version to reimage to."""
    version = (body or {}).get("exactVersion")
    if version is not None and not isinstance(version, str):
        raise ArmError(400, "InvalidParameter", "exactVersion must be a string.")
    return version or None


# -- instance view and the scale set's VMs -----------------------------------------------------------


async def scale_set_instance_view(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    observed = call.state.cloud.get(key)
    if observed is None:
        raise not_found(key)
    if observed.orchestration_mode == "Flexible":
        raise ArmError(
            400,
            "OperationNotAllowed",
            f"Operation 'VirtualMachineScaleSets.instanceView.GET' is not allowed on Virtual Machine Scale Set "
            f"'{key.name}' since it uses Flexible orchestration: get the instance view of each virtual machine.",
        )
    counts: dict[str, int] = {}
    for instance in observed.instances:
        code = f"ProvisioningState/{instance.provisioning_state.lower()}"
        counts[code] = counts.get(code, 0) + 1
    state = observed.provisioning_state.lower()
    return web.json_response(
        {
            "virtualMachine": {"statusesSummary": [{"code": c, "count": n} for c, n in sorted(counts.items())]},
            "extensions": [],
            "statuses": [
                {"code": f"ProvisioningState/{state}", "level": "Info", "displayStatus": f"Provisioning {state}"}
            ],
        }
    )


def vmss_vm(key: ScaleSetKey, model: DesiredModel, instance: ObservedInstance, *, expand: bool) -> JsonObject:
    """A VM as the scale set sees it (``latestModelApplied``, protection); Flexible VMs keep their name."""
    body = render.vm(key, model, instance, expand_instance_view=expand)
    if model.flexible:
        body["name"] = instance.instance_id
        body["properties"].pop("protectionPolicy", None)
    return body


def _latest_model_filter(call: Call) -> bool | None:
    """``$filter=properties/latestModelApplied eq true|false`` (None: no such filter)."""
    raw = " ".join(call.query("$filter").split()).lower()
    if not raw or raw.startswith("startswith(instanceview/statuses/code"):
        return None
    for value in (True, False):
        if raw == f"properties/latestmodelapplied eq {str(value).lower()}":
            return value
    raise ArmError(400, "InvalidParameter", f"The $filter '{call.query('$filter')}' is not supported.")


async def list_vms(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    cloud = call.state.cloud
    first = not call.query("$skiptoken")
    observed = cloud.get(key) if first else cloud.snapshot(key)
    model = cloud.model(key)
    if observed is None or model is None:
        raise parent_not_found(key.name)
    expand = call.query("$expand").lower() == "instanceview"
    latest = _latest_model_filter(call)
    items = [
        vmss_vm(key, model, i, expand=expand)
        for i in observed.instances
        if latest is None or i.latest_model_applied == latest
    ]
    return web.json_response(page(call, items))


def _instance(call: Call) -> tuple[ScaleSetKey, DesiredModel, ObservedInstance]:
    key = scale_set_key(call)
    observed, model = call.state.cloud.get(key), call.state.cloud.model(key)
    if observed is None or model is None:
        raise parent_not_found(key.name)
    wanted = call.groups["instance"].lower()
    instance = next((i for i in observed.instances if i.instance_id.lower() == wanted), None)
    if instance is None:
        raise ArmError(
            404,
            "NotFound",
            f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{key.name}/virtualMachines/"
            f"{call.groups['instance']}' under resource group '{key.resource_group}' was not found.",
        )
    return key, model, instance


async def get_vmss_vm(call: Call) -> web.StreamResponse:
    key, model, instance = _instance(call)
    expand = call.query("$expand").lower() == "instanceview"
    return web.json_response(vmss_vm(key, model, instance, expand=expand))


async def get_vmss_vm_instance_view(call: Call) -> web.StreamResponse:
    _, _, instance = _instance(call)
    return web.json_response(render.instance_view(instance))
