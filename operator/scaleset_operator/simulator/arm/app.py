"""The ARM-compatible HTTPS endpoint: the Compute REST paths the Azure backend uses, over the engine.

Routes (case-insensitive, like ARM; ``api-version`` required and checked):

=========  ===============================================================================
GET/PUT/   ``/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/
DELETE     virtualMachineScaleSets/{name}``
GET        ``.../virtualMachineScaleSets/{name}/virtualMachines`` (``$expand=instanceView``,
           paged with ``nextLink``)
POST       ``.../virtualMachineScaleSets/{name}/{manualupgrade|reimage|reimageall|restart|delete}``
GET        ``/subscriptions/{s}/providers/Microsoft.Compute/locations/{loc}/operations/{id}``
           (``Azure-AsyncOperation``; with ``monitor=true`` it is the ``Location`` URL)
GET        ``/subscriptions/{s}/providers/Microsoft.Compute/locations/{loc}/publishers/{p}/
           artifacttypes/vmimage/offers/{o}/skus/{sku}/versions``
GET        ``/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{g}/
           images/{i}/versions``
=========  ===============================================================================

Writes are long-running operations as ARM does them: a PUT answers 201 (created) or 200 with the
resource, POST actions and DELETE answer 202 with no body; all carry ``Azure-AsyncOperation``,
(POST/DELETE) ``Location`` and ``Retry-After``. The operation's status is ``InProgress`` until the
engine's instances settle (see ``operations.py``); the final GET is the resource (PUT) or the
``Location`` URL answering 200 (POST/DELETE).

Engine calls are the counted, fault-injected ones (``cloud.get``, ``cloud.apply`` ...), so the
simulator's faults (429 with ``Retry-After``, 5xx, 401, in-flight failures) reach the client as
Azure would send them. Reimage reads Azure's ``exactVersion`` parameter to pin the OS image version.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode

from aiohttp import web

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import BackendError
from scaleset_operator.simulator.arm import parse, render
from scaleset_operator.simulator.arm.errors import ArmError, backend_error_response, error_response
from scaleset_operator.simulator.arm.operations import Operation, marks
from scaleset_operator.simulator.arm.render import ResourceMeta
from scaleset_operator.simulator.arm.state import COMPUTE_API_VERSIONS, GALLERY_API_VERSIONS, ArmState

ARM_STATE = web.AppKey("arm_state", ArmState)

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute"
_VMSS = _RG + r"/virtualMachineScaleSets/(?P<name>[^/]+)"
_LOCATION = _SUB + r"/providers/Microsoft\.Compute/locations/(?P<location>[^/]+)"

ACTIONS = {
    "manualupgrade": "upgrade",
    "reimage": "reimage",
    "reimageall": "reimage_all",
    "restart": "restart",
    "delete": "delete_instances",
}

THROTTLE_POLICIES = {
    "vmss.get": "Microsoft.Compute/GetVMScaleSet3Min",
    "vms.list": "Microsoft.Compute/HighCostGetVMScaleSet3Min",
    "vmss.put": "Microsoft.Compute/PutVMScaleSet3Min",
    "vmss.delete": "Microsoft.Compute/DeleteVMScaleSet3Min",
}
DEFAULT_THROTTLE_POLICY = "Microsoft.Compute/VMScaleSetActions3Min"

Handler = Callable[["Call"], Awaitable[web.StreamResponse]]


@dataclass
class Call:
    """One routed request: the match groups, the state, and what the log should say about it."""

    request: web.Request
    state: ArmState
    groups: dict[str, str]
    operation: str
    api_version: str
    key: ScaleSetKey | None = None


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str
    api_versions: frozenset[str]
    handler: Handler


def _route(method: str, path: str, operation: str, handler: Handler, versions: frozenset[str]) -> Route:
    return Route(method, re.compile(f"^{path}$", re.IGNORECASE), operation, versions, handler)


# -- helpers ---------------------------------------------------------------------------------------


def _key(call: Call) -> ScaleSetKey:
    groups = call.groups
    found = call.state.cloud.find(groups["name"], resource_group=groups["rg"], subscription_id=groups["sub"])
    return found[0] if found else ScaleSetKey(groups["sub"], groups["rg"], groups["name"])


async def _json_body(request: web.Request, *, required: bool) -> dict[str, Any] | None:
    raw = await request.read()
    if not raw.strip():
        if required:
            raise ArmError(
                400, "InvalidRequestContent", "The request content was invalid and could not be deserialized."
            )
        return None
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ArmError(400, "InvalidRequestContent", f"The request content is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
    return cast(dict[str, Any], body)


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _operation_urls(call: Call, operation: Operation) -> tuple[str, str]:
    """(Azure-AsyncOperation URL, Location URL) of an operation."""
    path = (
        f"/subscriptions/{operation.key.subscription_id}/providers/Microsoft.Compute/locations/"
        f"{operation.location}/operations/{operation.id}"
    )
    status = f"{_base(call.request)}{path}?{urlencode({'api-version': call.api_version})}"
    monitor = f"{_base(call.request)}{path}?{urlencode({'monitor': 'true', 'api-version': call.api_version})}"
    return status, monitor


def _lro_headers(call: Call, operation: Operation, *, location: bool) -> dict[str, str]:
    status, monitor = _operation_urls(call, operation)
    headers = {"Azure-AsyncOperation": status}
    if location:
        headers["Location"] = monitor
    if call.state.settings.poll_retry_after > 0:
        headers["Retry-After"] = str(call.state.settings.poll_retry_after)
    return headers


def _location_of(call: Call, key: ScaleSetKey) -> str:
    model = call.state.cloud.model(key)
    return model.location if model is not None else "unknown"


def _not_found(key: ScaleSetKey) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{key.name}' under resource group "
        f"'{key.resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def _bare_etag(value: str) -> str:
    return value.strip().removeprefix("W/").strip('"')


def _check_if_match(call: Call, current_etag: str | None) -> None:
    wanted = call.request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return
    if current_etag is None or _bare_etag(wanted) != _bare_etag(render.etag(current_etag)):
        raise ArmError(
            412,
            "PreconditionFailed",
            f"The condition specified using HTTP conditional header(s) is not met (If-Match {wanted}).",
        )


# -- scale set -------------------------------------------------------------------------------------


async def get_scale_set(call: Call) -> web.StreamResponse:
    key = call.key = _key(call)
    cloud = call.state.cloud
    observed = cloud.get(key)
    model = cloud.model(key)
    if observed is None or model is None:
        call.state.meta.pop(key, None)
        raise _not_found(key)
    meta = call.state.meta.setdefault(key, ResourceMeta(created_at=cloud.now()))
    return web.json_response(render.scale_set(key, model, observed, meta), headers={"ETag": render.etag(observed.etag)})


async def put_scale_set(call: Call) -> web.StreamResponse:
    key = call.key = _key(call)
    body = await _json_body(call.request, required=True)
    assert body is not None
    model = parse.desired_model(body)
    capacity = parse.capacity(body)
    cloud = call.state.cloud
    existing = cloud.snapshot(key)
    if existing is None:
        call.state.meta.pop(key, None)
    _check_if_match(call, existing.etag if existing else None)
    before = marks(cloud, key)
    cloud.apply(key, model, capacity)
    meta = call.state.meta.setdefault(key, ResourceMeta(created_at=cloud.now()))
    tags = body.get("tags") or {}
    meta.tags = {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}
    upgrade_policy = (body.get("properties") or {}).get("upgradePolicy")
    meta.upgrade_policy = dict(upgrade_policy) if isinstance(upgrade_policy, dict) else {"mode": "Manual"}
    operation = call.state.operations.begin(
        "createOrUpdate", key, model.location, before, whole_scale_set="create" if existing is None else None
    )
    observed = cloud.snapshot(key)
    stored = cloud.model(key)
    assert observed is not None and stored is not None
    headers = _lro_headers(call, operation, location=False)
    headers["ETag"] = render.etag(observed.etag)
    return web.json_response(
        render.scale_set(key, stored, observed, meta), status=201 if existing is None else 200, headers=headers
    )


async def delete_scale_set(call: Call) -> web.StreamResponse:
    key = call.key = _key(call)
    cloud = call.state.cloud
    existed = cloud.snapshot(key) is not None
    location = _location_of(call, key)
    before = marks(cloud, key)
    cloud.delete(key)
    if not existed:
        return web.Response(status=204)
    operation = call.state.operations.begin("delete", key, location, before, whole_scale_set="delete")
    return web.Response(status=202, headers=_lro_headers(call, operation, location=True))


async def scale_set_action(call: Call) -> web.StreamResponse:
    key = call.key = _key(call)
    action = call.groups["action"].lower()
    kind = ACTIONS[action]
    body = await _json_body(call.request, required=False)
    ids = parse.instance_ids(body, required=kind in ("upgrade", "delete_instances"))
    cloud = call.state.cloud
    if ids is None:
        snapshot = cloud.snapshot(key)
        ids = [i.instance_id for i in snapshot.instances if i.provisioning_state != "Deleting"] if snapshot else []
    location = _location_of(call, key)
    before = marks(cloud, key)
    match kind:
        case "upgrade":
            cloud.upgrade_instances(key, ids)
        case "reimage":
            version = (body or {}).get("exactVersion")
            if version is not None and not isinstance(version, str):
                raise ArmError(400, "InvalidParameter", "exactVersion must be a string.")
            cloud.reimage(key, ids, image_version=version or None)
        case "reimage_all":
            cloud.reimage_all(key, ids)
        case "restart":
            cloud.restart(key, ids)
        case _:
            cloud.delete_instances(key, ids)
    operation = call.state.operations.begin(action, key, location, before)
    return web.Response(status=202, headers=_lro_headers(call, operation, location=True))


async def list_vms(call: Call) -> web.StreamResponse:
    key = call.key = _key(call)
    cloud = call.state.cloud
    query = call.request.query
    offset = int(query.get("$skiptoken", "0") or 0)
    observed = cloud.get(key) if offset == 0 else cloud.snapshot(key)
    model = cloud.model(key)
    if observed is None or model is None:
        raise ArmError(
            404,
            "ParentResourceNotFound",
            f"Can not perform requested operation on nested resource. Parent resource '{key.name}' not found.",
        )
    expand = (query.get("$expand") or "").lower() == "instanceview"
    size = max(1, call.state.settings.page_size)
    page = observed.instances[offset : offset + size]
    body: dict[str, Any] = {"value": [render.vm(key, model, i, expand_instance_view=expand) for i in page]}
    if offset + size < len(observed.instances):
        params = {k: v for k, v in query.items() if k != "$skiptoken"}
        params["$skiptoken"] = str(offset + size)
        body["nextLink"] = f"{_base(call.request)}{call.request.path}?{urlencode(params)}"
    return web.json_response(body)


# -- operations ------------------------------------------------------------------------------------


async def get_operation(call: Call) -> web.StreamResponse:
    operation = call.state.operations.get(call.groups["op"])
    if operation is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{call.groups['op']}' was not found.")
    call.key = operation.key
    retry = call.state.settings.poll_retry_after
    headers = {"Retry-After": str(retry)} if retry > 0 and operation.status == "InProgress" else {}
    if call.request.query.get("monitor", "").lower() != "true":
        return web.json_response(operation.as_json(), headers=headers)
    call.operation = "operation.result"
    if operation.status == "InProgress":
        _, monitor = _operation_urls(call, operation)
        return web.Response(status=202, headers={**headers, "Location": monitor})
    if operation.status == "Failed" and operation.error is not None:
        return error_response(500, operation.error[0], operation.error[1])
    return web.Response(status=200)


# -- images ----------------------------------------------------------------------------------------


async def list_platform_versions(call: Call) -> web.StreamResponse:
    g = call.groups
    image = ImageReference(publisher=g["publisher"], offer=g["offer"], sku=g["sku"])
    cloud = call.state.cloud
    cloud.latest_image_version(g["location"], image)  # the counted, fault-injected image lookup
    versions = cloud.catalog.versions(g["location"], image)
    prefix = (
        f"/Subscriptions/{g['sub']}/Providers/Microsoft.Compute/Locations/{g['location']}/Publishers/"
        f"{g['publisher']}/ArtifactTypes/VMImage/Offers/{g['offer']}/Skus/{g['sku']}/Versions"
    )
    return web.json_response([{"name": v, "location": g["location"], "id": f"{prefix}/{v}"} for v in versions])


async def list_gallery_versions(call: Call) -> web.StreamResponse:
    g = call.groups
    image_id = (
        f"/subscriptions/{g['sub']}/resourceGroups/{g['rg']}/providers/Microsoft.Compute/galleries/{g['gallery']}"
        f"/images/{g['image']}"
    )
    cloud = call.state.cloud
    cloud.latest_image_version("", ImageReference(id=image_id))  # the counted, fault-injected image lookup
    gallery = next((e for e in cloud.catalog.snapshot()["gallery"] if str(e["id"]).lower() == image_id.lower()), None)
    if gallery is None:
        raise ArmError(
            404,
            "ParentResourceNotFound",
            f"Can not perform requested operation on nested resource. Parent resource "
            f"'{g['gallery']}/{g['image']}' not found.",
        )
    value = []
    for entry in cast(list[dict[str, Any]], gallery["versions"]):
        regions = [str(r) for r in entry["regions"]]
        value.append(
            {
                "id": f"{gallery['id']}/versions/{entry['version']}",
                "name": entry["version"],
                "type": "Microsoft.Compute/galleries/images/versions",
                "location": regions[0] if regions else "unknown",
                "properties": {
                    "publishingProfile": {
                        "targetRegions": [{"name": r} for r in regions],
                        "excludeFromLatest": bool(entry["excludeFromLatest"]),
                    },
                    "provisioningState": "Succeeded",
                },
            }
        )
    return web.json_response({"value": value})


ROUTES = (
    _route("GET", _VMSS, "vmss.get", get_scale_set, COMPUTE_API_VERSIONS),
    _route("PUT", _VMSS, "vmss.put", put_scale_set, COMPUTE_API_VERSIONS),
    _route("DELETE", _VMSS, "vmss.delete", delete_scale_set, COMPUTE_API_VERSIONS),
    _route("GET", _VMSS + r"/virtualMachines", "vms.list", list_vms, COMPUTE_API_VERSIONS),
    _route(
        "POST",
        _VMSS + r"/(?P<action>manualupgrade|reimage|reimageall|restart|delete)",
        "vmss.action",
        scale_set_action,
        COMPUTE_API_VERSIONS,
    ),
    _route("GET", _LOCATION + r"/operations/(?P<op>[^/]+)", "operation.status", get_operation, COMPUTE_API_VERSIONS),
    _route(
        "GET",
        _LOCATION + r"/publishers/(?P<publisher>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)"
        r"/skus/(?P<sku>[^/]+)/versions",
        "images.list",
        list_platform_versions,
        COMPUTE_API_VERSIONS,
    ),
    _route(
        "GET",
        _RG + r"/galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)/versions",
        "gallery.versions",
        list_gallery_versions,
        GALLERY_API_VERSIONS,
    ),
)


def _match(request: web.Request) -> tuple[Route, dict[str, str]]:
    path = request.path.rstrip("/") or "/"
    allowed = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method != request.method:
            allowed = True
            continue
        return route, found.groupdict()
    if allowed:
        raise ArmError(405, "MethodNotAllowed", f"The requested method {request.method} is not allowed for {path}.")
    raise ArmError(404, "NotFound", f"No route registered for '{request.method} {path}' in the ARM simulator.")


def _check_api_version(request: web.Request, route: Route) -> str:
    version = request.query.get("api-version")
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if version not in route.api_versions:
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. "
            f"The supported versions are '{', '.join(sorted(route.api_versions))}'.",
        )
    return version


async def dispatch(request: web.Request) -> web.StreamResponse:
    state = request.app[ARM_STATE]
    operation = "unknown"
    call: Call | None = None
    try:
        route, groups = _match(request)
        operation = route.operation
        if operation == "vmss.action":
            operation = f"vmss.{groups['action'].lower()}"
        version = _check_api_version(request, route)
        state.auth.check(request.headers.get("Authorization"), datetime.now(UTC))
        delay = state.slow.take()
        if delay > 0:
            await asyncio.sleep(delay)
        call = Call(request, state, groups, operation, version)
        response = await route.handler(call)
    except ArmError as exc:
        response = error_response(exc.status, exc.code, exc.message, exc.headers)
    except BackendError as exc:
        response = backend_error_response(exc, THROTTLE_POLICIES.get(operation, DEFAULT_THROTTLE_POLICY))
    if call is not None:
        operation = call.operation
    client = request.headers.get("User-Agent", "")
    state.requests.record(request.method, operation, response.status, call.key if call else None, client)
    return response


def create_arm_app(state: ArmState) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[ARM_STATE] = state
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
