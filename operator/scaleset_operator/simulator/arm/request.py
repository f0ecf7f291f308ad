"""One routed ARM request and the helpers every handler shares: the body, paging with ``nextLink``,
long-running operation headers, etags, and ARM's "not found" errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from aiohttp import web

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.simulator.arm import render
from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.arm.operations import Operation
from scaleset_operator.simulator.arm.state import ArmState

JsonObject = dict[str, Any]
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

    def query(self, name: str) -> str:
        """A query parameter, case-insensitively by name (``$Filter`` and ``$filter`` are one)."""
        wanted = name.lower()
        return next((v for k, v in self.request.query.items() if k.lower() == wanted), "")


def scale_set_key(call: Call) -> ScaleSetKey:
    """The engine's key for the scale set named in the path (names are case-insensitive, like ARM)."""
    groups = call.groups
    found = call.state.cloud.find(groups["name"], resource_group=groups["rg"], subscription_id=groups["sub"])
    call.key = found[0] if found else ScaleSetKey(groups["sub"], groups["rg"], groups["name"])
    return call.key


async def json_body(request: web.Request, *, required: bool) -> JsonObject | None:
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
    return cast(JsonObject, body)


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def page(call: Call, items: Sequence[JsonObject]) -> JsonObject:
    """``{"value": [...]}`` for the page ``$skiptoken`` names, with ``nextLink`` if more follow."""
    offset = int(call.query("$skiptoken") or 0)
    size = max(1, call.state.settings.page_size)
    body: JsonObject = {"value": list(items[offset : offset + size])}
    if offset + size < len(items):
        params = {k: v for k, v in call.request.query.items() if k.lower() != "$skiptoken"}
        params["$skiptoken"] = str(offset + size)
        body["nextLink"] = f"{base_url(call.request)}{call.request.path}?{urlencode(params)}"
    return body


def operation_urls(call: Call, operation: Operation) -> tuple[str, str]:
    """(Azure-AsyncOperation URL, Location URL) of an operation."""
    path = (
        f"/subscriptions/{operation.key.subscription_id}/providers/Microsoft.Compute/locations/"
        f"{operation.location}/operations/{operation.id}"
    )
    status = f"{base_url(call.request)}{path}?{urlencode({'api-version': call.api_version})}"
    monitor = f"{base_url(call.request)}{path}?{urlencode({'monitor': 'true', 'api-version': call.api_version})}"
    return status, monitor


def lro_headers(call: Call, operation: Operation, *, location: bool) -> dict[str, str]:
    status, monitor = operation_urls(call, operation)
    headers = {"Azure-AsyncOperation": status}
    if location:
        headers["Location"] = monitor
    if call.state.settings.poll_retry_after > 0:
        headers["Retry-After"] = str(call.state.settings.poll_retry_after)
    return headers


def accepted(call: Call, operation: Operation) -> web.Response:
    """202 for a POST action or a DELETE: no body, the operation's status and result URLs."""
    return web.Response(status=202, headers=lro_headers(call, operation, location=True))


def location_of(call: Call, key: ScaleSetKey) -> str:
    model = call.state.cloud.model(key)
    return model.location if model is not None else "unknown"


def not_found(key: ScaleSetKey) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{key.name}' under resource group "
        f"'{key.resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def parent_not_found(name: str) -> ArmError:
    return ArmError(
        404,
        "ParentResourceNotFound",
        f"Can not perform requested operation on nested resource. Parent resource '{name}' not found.",
    )


def _bare_etag(value: str) -> str:
    return value.strip().removeprefix("W/").strip('"')


def check_if_match(call: Call, current_etag: str | None) -> None:
    wanted = call.request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return
    if current_etag is None or _bare_etag(wanted) != _bare_etag(render.etag(current_etag)):
        raise ArmError(
            412,
            "PreconditionFailed",
            f"The condition specified using HTTP conditional header(s) is not met (If-Match {wanted}).",
        )
