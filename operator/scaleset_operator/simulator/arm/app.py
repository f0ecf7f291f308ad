"""The ARM-compatible HTTPS endpoint: the routes, api-versions, auth and headers of every request.

Paths are case-insensitive, like ARM. Every request needs an ``api-version`` the route serves
(Compute: ``COMPUTE_API_VERSIONS``, from 2024-11-01 to the one azure-mgmt-compute 39 sends;
galleries: ``GALLERY_API_VERSIONS``): a malformed one is ``400 InvalidApiVersionParameter``, a
well-formed one the route does not serve ``400 NoRegisteredProviderFound`` listing those it does,
as ARM answers. Every response carries ``x-ms-request-id`` and ``x-ms-correlation-request-id``
(and echoes ``x-ms-client-request-id``). The route table, with what each route does, is in
docs/simulator.md ("The ARM endpoint"); Microsoft.Insights (autoscale settings and metrics) is
served by ``insights.py``.

Writes are long-running operations as ARM does them: a PUT or PATCH answers 201 (created) or 200
with the resource, POST actions and DELETE answer 202 with no body; all carry
``Azure-AsyncOperation``, (POST/DELETE) ``Location`` and ``Retry-After`` (``operations.py``).
Engine calls are the counted, fault-injected ones (``cloud.get``, ``cloud.apply`` ...), so the
simulator's faults (429 with ``Retry-After``, 5xx, 401, in-flight failures) reach the client as
Azure would send them.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from scaleset_operator.cloud.errors import BackendError
from scaleset_operator.simulator.arm import facts, images, insights, scale_sets, upgrades, virtual_machines
from scaleset_operator.simulator.arm.errors import ArmError, backend_error_response, error_response
from scaleset_operator.simulator.arm.request import Call, Handler, operation_urls
from scaleset_operator.simulator.arm.state import (
    AUTOSCALE_API_VERSIONS,
    COMPUTE_API_VERSIONS,
    GALLERY_API_VERSIONS,
    METRICS_API_VERSIONS,
    SKU_API_VERSIONS,
    ArmState,
)

ARM_STATE = web.AppKey("arm_state", ArmState)

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_PROVIDER = r"/providers/Microsoft\.Compute"
_RG = _SUB + r"/resourceGroups/(?P<rg>[^/]+)" + _PROVIDER
_VMSS = _RG + r"/virtualMachineScaleSets/(?P<name>[^/]+)"
_VM = _RG + r"/virtualMachines/(?P<vm>[^/]+)"
_LOCATION = _SUB + _PROVIDER + r"/locations/(?P<location>[^/]+)"
_AUTOSCALE = _SUB + r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Insights/autoscalesettings"
_SETTING = _AUTOSCALE + r"/(?P<setting>[^/]+)"
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")

THROTTLE_POLICIES = {
    "vmss.get": "Microsoft.Compute/GetVMScaleSet3Min",
    "vms.list": "Microsoft.Compute/HighCostGetVMScaleSet3Min",
    "vm.list": "Microsoft.Compute/HighCostGetVMScaleSet3Min",
    "vmss.put": "Microsoft.Compute/PutVMScaleSet3Min",
    "vmss.patch": "Microsoft.Compute/PutVMScaleSet3Min",
    "vmss.delete": "Microsoft.Compute/DeleteVMScaleSet3Min",
}
DEFAULT_THROTTLE_POLICY = "Microsoft.Compute/VMScaleSetActions3Min"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str
    api_versions: frozenset[str]
    handler: Handler
    resource_type: str


def _route(
    method: str,
    path: str,
    operation: str,
    handler: Handler,
    resource_type: str = "virtualMachineScaleSets",
    versions: frozenset[str] = COMPUTE_API_VERSIONS,
) -> Route:
    return Route(method, re.compile(f"^{path}$", re.IGNORECASE), operation, versions, handler, resource_type)


async def get_operation(call: Call) -> web.StreamResponse:
    operation = call.state.operations.get(call.groups["op"])
    if operation is None:
        raise ArmError(404, "OperationNotFound", f"The operation '{call.groups['op']}' was not found.")
    call.key = operation.key
    retry = call.state.settings.poll_retry_after
    headers = {"Retry-After": str(retry)} if retry > 0 and operation.status == "InProgress" else {}
    if call.query("monitor").lower() != "true":
        return web.json_response(operation.as_json(), headers=headers)
    call.operation = "operation.result"
    if operation.status == "InProgress":
        _, monitor = operation_urls(call, operation)
        return web.Response(status=202, headers={**headers, "Location": monitor})
    if operation.status == "Failed" and operation.error is not None:
        return error_response(500, operation.error[0], operation.error[1])
    return web.Response(status=200)


_ACTIONS = (
    r"/(?P<action>manualupgrade|reimage|reimageall|restart|delete|start|deallocate|poweroff|redeploy"
    r"|performmaintenance)"
)
_VM_ACTIONS = r"/(?P<action>reimage|restart|start|deallocate|powerOff|redeploy|performMaintenance)"
ROUTES = (
    _route("GET", _SETTING, "autoscale.get", insights.get_autoscale, "autoscalesettings", AUTOSCALE_API_VERSIONS),
    _route("PUT", _SETTING, "autoscale.put", insights.put_autoscale, "autoscalesettings", AUTOSCALE_API_VERSIONS),
    _route(
        "DELETE", _SETTING, "autoscale.delete", insights.delete_autoscale, "autoscalesettings", AUTOSCALE_API_VERSIONS
    ),
    _route("GET", _AUTOSCALE, "autoscale.list", insights.list_autoscale, "autoscalesettings", AUTOSCALE_API_VERSIONS),
    _route(
        "GET",
        _VMSS + r"/providers/Microsoft\.Insights/metrics",
        "metrics.list",
        insights.list_metrics,
        "metrics",
        METRICS_API_VERSIONS,
    ),
    _route("GET", _VMSS, "vmss.get", scale_sets.get_scale_set),
    _route("PUT", _VMSS, "vmss.put", scale_sets.put_scale_set),
    _route("PATCH", _VMSS, "vmss.patch", scale_sets.patch_scale_set),
    _route("DELETE", _VMSS, "vmss.delete", scale_sets.delete_scale_set),
    _route("GET", _RG + r"/virtualMachineScaleSets", "vmss.list", scale_sets.list_scale_sets),
    _route("GET", _SUB + _PROVIDER + r"/virtualMachineScaleSets", "vmss.listAll", scale_sets.list_scale_sets),
    _route("GET", _VMSS + r"/instanceView", "vmss.instanceView", scale_sets.scale_set_instance_view),
    _route("GET", _VMSS + r"/virtualMachines", "vms.list", scale_sets.list_vms),
    _route("GET", _VMSS + r"/virtualMachines/(?P<instance>[^/]+)", "vms.get", scale_sets.get_vmss_vm),
    _route("PUT", _VMSS + r"/virtualMachines/(?P<instance>[^/]+)", "vms.put", scale_sets.put_vmss_vm),
    _route(
        "GET",
        _VMSS + r"/virtualMachines/(?P<instance>[^/]+)/instanceView",
        "vms.instanceView",
        scale_sets.get_vmss_vm_instance_view,
    ),
    _route(
        "POST",
        _VMSS + r"/virtualMachines/(?P<instance>[^/]+)/simulateEviction",
        "vms.simulateEviction",
        scale_sets.simulate_eviction,
    ),
    _route("POST", _VMSS + _ACTIONS, "vmss.action", scale_sets.scale_set_action),
    _route("GET", _VMSS + r"/rollingUpgrades/latest", "vmss.rollingUpgrades.latest", upgrades.get_latest),
    _route("POST", _VMSS + r"/osRollingUpgrade", "vmss.osRollingUpgrade", upgrades.start_os_upgrade),
    _route("POST", _VMSS + r"/rollingUpgrades/cancel", "vmss.rollingUpgrades.cancel", upgrades.cancel),
    _route("GET", _VMSS + r"/osUpgradeHistory", "vmss.osUpgradeHistory", upgrades.os_upgrade_history),
    _route("GET", _RG + r"/virtualMachines", "vm.list", virtual_machines.list_vms, "virtualMachines"),
    _route("GET", _SUB + _PROVIDER + r"/virtualMachines", "vm.listAll", virtual_machines.list_vms, "virtualMachines"),
    _route("GET", _VM, "vm.get", virtual_machines.get_vm, "virtualMachines"),
    _route("DELETE", _VM, "vm.delete", virtual_machines.delete_vm, "virtualMachines"),
    _route("GET", _VM + r"/instanceView", "vm.instanceView", virtual_machines.get_instance_view, "virtualMachines"),
    _route("POST", _VM + _VM_ACTIONS, "vm.action", virtual_machines.vm_action, "virtualMachines"),
    _route(
        "POST", _VM + r"/simulateEviction", "vm.simulateEviction", virtual_machines.simulate_eviction, "virtualMachines"
    ),
    _route("GET", _LOCATION + r"/operations/(?P<op>[^/]+)", "operation.status", get_operation, "locations/operations"),
    _route(
        "GET",
        _LOCATION + r"/publishers/(?P<publisher>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)"
        r"/skus/(?P<sku>[^/]+)/versions",
        "images.list",
        images.list_platform_versions,
        "locations/publishers/artifacttypes/offers/skus/versions",
    ),
    _route(
        "GET",
        _RG + r"/galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)/versions",
        "gallery.versions",
        images.list_gallery_versions,
        "galleries/images/versions",
        GALLERY_API_VERSIONS,
    ),
    # The outside facts a PUT depends on, read by the operator before it writes (arm/facts.py).
    _route("GET", _SUB + _PROVIDER + r"/skus", "skus.list", facts.list_resource_skus, "skus", SKU_API_VERSIONS),
    _route(
        "GET",
        _LOCATION + r"/publishers/(?P<publisher>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)"
        r"/skus/(?P<sku>[^/]+)/versions/(?P<version>[^/]+)",
        "images.get",
        facts.get_platform_image,
        "locations/publishers/artifacttypes/offers/skus/versions",
    ),
    _route(
        "GET",
        _RG + r"/galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)/versions/(?P<version>[^/]+)",
        "gallery.version",
        facts.get_gallery_version,
        "galleries/images/versions",
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
    supported = ", ".join(sorted(route.api_versions))
    if not _API_VERSION.match(version):
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{supported}'.",
        )
    if version not in route.api_versions:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location 'global' and API version '{version}' for type "
            f"'{route.resource_type}'. The supported api-versions are '{supported}'.",
        )
    return version


def _operation_name(route: Route, groups: dict[str, str]) -> str:
    if route.operation in ("vmss.action", "vm.action"):
        return f"{route.operation.split('.')[0]}.{groups['action'].lower()}"
    return route.operation


def _request_headers(request: web.Request, response: web.StreamResponse) -> None:
    """ARM's tracing headers, on every response."""
    response.headers["x-ms-request-id"] = str(uuid.uuid4())
    correlation = request.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
    response.headers["x-ms-correlation-request-id"] = correlation
    client_id = request.headers.get("x-ms-client-request-id")
    if client_id:
        response.headers["x-ms-client-request-id"] = client_id


async def dispatch(request: web.Request) -> web.StreamResponse:
    state = request.app[ARM_STATE]
    operation = "unknown"
    call: Call | None = None
    try:
        route, groups = _match(request)
        operation = _operation_name(route, groups)
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
    _request_headers(request, response)
    client = request.headers.get("User-Agent", "")
    state.requests.record(request.method, operation, response.status, call.key if call else None, client)
    return response


def create_arm_app(state: ArmState) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[ARM_STATE] = state
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
