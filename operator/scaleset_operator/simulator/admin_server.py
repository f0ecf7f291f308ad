"""The simulator's admin endpoint: the engine's controls as JSON over local HTTP.

The operator starts it in its own event loop (``start_admin_server``) when it runs with the fake
backend, so a person (``scaleset-operator sim ...``) or an end-to-end test can publish an image,
break an instance or inject faults while the operator works. It binds to 127.0.0.1 by default and
has no authentication: it is a development tool, never expose it.

Scale sets are addressed by name; add ``?resourceGroup=RG`` and/or ``?subscriptionId=SUB`` when
the name alone is ambiguous (409 otherwise). Errors are ``{"error": {"code": ..., "message": ...}}``
with the HTTP status of the failure (400 bad input, 404 unknown scale set/instance, 409 ambiguous).
None of these routes is counted in the engine's call accounting or subject to injected faults.

Routes:

- ``GET /healthz``: ``{"ok": true}``.
- ``GET /clock``: ``{"now", "clock", "speed"}`` (speed only for a scaled clock).
- ``POST /clock/advance`` ``{"seconds": N}``: jump simulated time forward (manual and scaled clocks).
- ``GET /scalesets``: ``{"scaleSets": [summary...]}`` (name, resourceGroup, subscriptionId,
  location, capacity, instances, ready, upToDate, provisioningState, modelHash, image, etag).
- ``GET /scalesets/{name}``: one summary.
- ``GET /calls/log``: every write call in order with its instance IDs.
- ``DELETE /scalesets/{name}``: remove a scale set at once, as if deleted outside the operator.
- ``GET /scalesets/{name}/instances``: ``{"instances": [...]}``: the instance view plus what only the
  simulator knows (operation in flight, transitionAt, healthAt, healthOverride, surplus).
- ``POST /scalesets/{name}/instances/{id}/health`` ``{"state": "Healthy"|"Unhealthy"|null}``: force
  the health an instance reports (null clears). ``DELETE`` on the same path clears it.
- ``POST /scalesets/{name}/instances/{id}/protection``
  ``{"protectFromScaleIn": bool, "protectFromScaleSetActions": bool}`` (either may be omitted).
- ``POST /scalesets/{name}/load`` ``{"percent": 80, "instanceId": "3"}``: the load (percent CPU)
  that drives the metrics, for every instance (clearing their own) or, with ``instanceId``, one.
- ``GET /scalesets/{name}/metrics``: the load and the last minute's samples per instance.
- ``GET /scalesets/{name}/autoscale``: the autoscale setting targeting the scale set, its last
  evaluation (profile, decision, why) and its scale actions (with the rule's metric value).
- ``GET /images``: the catalog ``{"platform": [...], "gallery": [...]}``.
- ``POST /images/platform`` ``{"publisher", "offer", "sku", "version"}``: publish a platform version.
- ``POST /images/gallery`` ``{"id", "version", "regions": [...], "excludeFromLatest": false}``.
- ``POST /images/gallery/replicate`` ``{"id", "version", "region"}``.
- ``POST /images/bad`` ``{"version"}``: instances that come up on it report Unhealthy.
  ``DELETE /images/bad/{version}`` undoes it.
- ``GET /faults``: the fault plan. ``DELETE /faults``: clear every fault and bad image.
- ``POST /faults/fail`` ``{"operation", "count": 1, "status": 500, "code", "message", "retryAfter"}``:
  fail the next N calls of an operation (get, apply, upgrade, reimage, reimage_all, restart,
  delete_instances, delete, image).
- ``POST /faults/fail-in-flight`` ``{"operation", "instanceIds": [...] | null, "count": 1}``: accept
  the next call but leave its instances Failed (apply, upgrade, reimage, reimage_all, restart).
- ``POST /faults/throttle`` ``{"seconds", "retryAfter"}``: every backend call gets 429 meanwhile.
- ``GET /durations``; ``POST /durations`` ``{"create": 30, "upgrade": ..., "reimage": ...,
  "restart": ..., "delete": ..., "health_delay": ...}`` (any subset, simulated seconds).
- ``GET /calls``: call counts, reads and writes, in total and per scale set.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast

from aiohttp import web

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.autoscale import Evaluation
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import BackendError
from scaleset_operator.cloud.observed import HealthState
from scaleset_operator.simulator.engine import InstanceDetail, SimulatedCloud
from scaleset_operator.simulator.metrics import values_at

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8089

CLOUD = web.AppKey("cloud", SimulatedCloud)
HEALTH_STATES: tuple[HealthState, ...] = ("Healthy", "Unhealthy", "Initializing", "Unknown")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _bad(message: str) -> _HttpError:
    return _HttpError(400, "BadRequest", message)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a JSON error a CLI can print as is."""
    try:
        return await handler(request)
    except _HttpError as exc:
        return _error(exc.status, exc.code, exc.message)
    except BackendError as exc:
        return _error(exc.status or 400, exc.code, exc.message)
    except ValueError as exc:
        return _error(400, "BadRequest", str(exc))


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def create_app(cloud: SimulatedCloud) -> web.Application:
    app = web.Application(middlewares=[_errors])
    app[CLOUD] = cloud
    app.add_routes(
        [
            web.get("/healthz", _healthz),
            web.get("/clock", _clock),
            web.post("/clock/advance", _clock_advance),
            web.get("/scalesets", _list_scale_sets),
            web.get("/scalesets/{name}", _get_scale_set),
            web.delete("/scalesets/{name}", _remove_scale_set),
            web.get("/scalesets/{name}/instances", _list_instances),
            web.post("/scalesets/{name}/instances/{id}/health", _set_health),
            web.delete("/scalesets/{name}/instances/{id}/health", _clear_health),
            web.post("/scalesets/{name}/instances/{id}/protection", _set_protection),
            web.post("/scalesets/{name}/load", _set_load),
            web.get("/scalesets/{name}/metrics", _metrics),
            web.get("/scalesets/{name}/autoscale", _autoscale),
            web.get("/images", _images),
            web.post("/images/platform", _publish_platform),
            web.post("/images/gallery", _publish_gallery),
            web.post("/images/gallery/replicate", _replicate_gallery),
            web.post("/images/bad", _mark_bad),
            web.delete("/images/bad/{version}", _clear_bad),
            web.get("/faults", _faults),
            web.delete("/faults", _clear_faults),
            web.post("/faults/fail", _fail_next),
            web.post("/faults/fail-in-flight", _fail_in_flight),
            web.post("/faults/throttle", _throttle),
            web.get("/durations", _durations),
            web.post("/durations", _set_durations),
            web.get("/calls", _calls),
            web.get("/calls/log", _calls_log),
        ]
    )
    return app


async def start_admin_server(
    cloud: SimulatedCloud, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> web.AppRunner:
    """Serve the admin endpoint from the running event loop; ``await runner.cleanup()`` stops it.

    ``port=0`` picks a free port; ``bound_port(runner)`` tells which.
    """
    runner = web.AppRunner(create_app(cloud), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    address = runner.addresses[0]
    return int(address[1])


# -- helpers -----------------------------------------------------------------------------------


def _cloud(request: web.Request) -> SimulatedCloud:
    return request.app[CLOUD]


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise _bad(f"request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _bad("request body must be a JSON object")
    return cast(dict[str, Any], body)


def _str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise _bad(f"'{name}' is required (a non-empty string)")
    return value


def _number(body: dict[str, Any], name: str, default: float | None = None) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"'{name}' is required (a number)")
    return float(value)


def _optional_number(body: dict[str, Any], name: str) -> float | None:
    return None if body.get(name) is None else _number(body, name)


def _optional_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise _bad(f"'{name}' must be true or false")
    return value


def _key(request: web.Request) -> ScaleSetKey:
    name = request.match_info["name"]
    resource_group = request.query.get("resourceGroup")
    subscription_id = request.query.get("subscriptionId")
    matches = _cloud(request).find(name, resource_group=resource_group, subscription_id=subscription_id)
    if not matches:
        raise _HttpError(404, "NotFound", f"no scale set named {name!r}" + _filters(request))
    if len(matches) > 1:
        listed = ", ".join(f"{k.resource_group} (subscription {k.subscription_id})" for k in matches)
        raise _HttpError(
            409,
            "Ambiguous",
            f"{len(matches)} scale sets are named {name!r}: in {listed}; "
            "add resourceGroup and/or subscriptionId to choose",
        )
    return matches[0]


def _filters(request: web.Request) -> str:
    parts = [f"{k}={v}" for k, v in request.query.items() if k in ("resourceGroup", "subscriptionId")]
    return f" ({', '.join(parts)})" if parts else ""


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _image_display(image: ImageReference) -> str:
    if image.id is not None:
        return image.id.split("/galleries/", 1)[-1]
    return f"{image.publisher}:{image.offer}:{image.sku}:{image.version}"


def _summary(cloud: SimulatedCloud, key: ScaleSetKey) -> dict[str, Any]:
    observed = cloud.snapshot(key)
    model = cloud.model(key)
    if observed is None or model is None:
        raise _HttpError(404, "NotFound", f"scale set {key.name} is gone")
    return {
        "name": key.name,
        "resourceGroup": key.resource_group,
        "subscriptionId": key.subscription_id,
        "location": observed.location,
        "capacity": observed.capacity,
        "instances": len(observed.instances),
        "ready": sum(
            1 for i in observed.instances if i.provisioning_state == "Succeeded" and i.health_state == "Healthy"
        ),
        "upToDate": sum(1 for i in observed.instances if i.latest_model_applied),
        "provisioningState": observed.provisioning_state,
        "modelHash": observed.model_hash,
        "settingsHash": observed.settings_hash,
        "image": _image_display(model.image),
        "zones": list(model.zones),
        "scaleInPolicy": model.scale_in_policy.rules[0] if model.scale_in_policy.rules else "Default",
        "etag": observed.etag,
    }


def _instance(detail: InstanceDetail) -> dict[str, Any]:
    i = detail.observed
    return {
        "instanceId": i.instance_id,
        "name": i.name,
        "zone": i.zone,
        "faultDomain": i.fault_domain,
        "updateDomain": i.update_domain,
        "latestModelApplied": i.latest_model_applied,
        "image": i.image.display(),
        "imageVersion": i.image.version,
        "provisioningState": i.provisioning_state,
        "powerState": i.power_state,
        "healthState": i.health_state,
        "healthOverride": detail.health_override,
        "dataDisks": [{"lun": lun, "diskSizeGB": size} for lun, size in sorted(i.data_disks.items())],
        "osProfileFingerprint": i.os_profile_fingerprint,
        "protectFromScaleIn": i.protect_from_scale_in,
        "protectFromScaleSetActions": i.protect_from_scale_set_actions,
        "createdAt": _time(i.created_at),
        "lastModelUpdate": _time(i.last_model_update),
        "operation": detail.operation,
        "transitionAt": _time(detail.transition_at),
        "healthAt": _time(detail.health_at),
        "surplus": detail.surplus,
    }


def _ok(**extra: Any) -> web.Response:
    return web.json_response({"ok": True, **extra})


# -- handlers ----------------------------------------------------------------------------------


async def _healthz(request: web.Request) -> web.Response:
    return _ok()


def _clock_json(cloud: SimulatedCloud) -> dict[str, Any]:
    speed = getattr(cloud.clock, "speed", None)
    return {"now": cloud.now().isoformat(), "clock": type(cloud.clock).__name__, "speed": speed}


async def _clock(request: web.Request) -> web.Response:
    return web.json_response(_clock_json(_cloud(request)))


async def _clock_advance(request: web.Request) -> web.Response:
    cloud = _cloud(request)
    seconds = _number(await _body(request), "seconds")
    advance = getattr(cloud.clock, "advance", None)
    if not callable(advance):
        raise _HttpError(409, "NotSupported", f"{type(cloud.clock).__name__} cannot be advanced")
    advance(seconds)
    return web.json_response(_clock_json(cloud))


async def _list_scale_sets(request: web.Request) -> web.Response:
    cloud = _cloud(request)
    return web.json_response({"scaleSets": [_summary(cloud, key) for key in cloud.scale_set_keys()]})


async def _get_scale_set(request: web.Request) -> web.Response:
    return web.json_response(_summary(_cloud(request), _key(request)))


async def _remove_scale_set(request: web.Request) -> web.Response:
    _cloud(request).remove(_key(request))
    return _ok()


async def _list_instances(request: web.Request) -> web.Response:
    key = _key(request)
    details = _cloud(request).details(key)
    return web.json_response({"scaleSet": key.name, "instances": [_instance(d) for d in details]})


async def _set_health(request: web.Request) -> web.Response:
    state = (await _body(request)).get("state")
    if state is not None and state not in HEALTH_STATES:
        raise _bad(f"'state' must be one of {', '.join(HEALTH_STATES)} or null")
    _cloud(request).set_health_override(_key(request), request.match_info["id"], cast(HealthState | None, state))
    return _ok()


async def _clear_health(request: web.Request) -> web.Response:
    _cloud(request).set_health_override(_key(request), request.match_info["id"], None)
    return _ok()


async def _set_protection(request: web.Request) -> web.Response:
    body = await _body(request)
    scale_in = _optional_bool(body, "protectFromScaleIn")
    actions = _optional_bool(body, "protectFromScaleSetActions")
    if scale_in is None and actions is None:
        raise _bad("set protectFromScaleIn and/or protectFromScaleSetActions")
    _cloud(request).set_protection(
        _key(request), request.match_info["id"], scale_in=scale_in, scale_set_actions=actions
    )
    return _ok()


async def _set_load(request: web.Request) -> web.Response:
    body = await _body(request)
    instance_id = body.get("instanceId")
    if instance_id is not None and not isinstance(instance_id, str):
        raise _bad("'instanceId' must be an instance ID string")
    _cloud(request).set_load(_key(request), _number(body, "percent"), instance_id)
    return _ok()


async def _metrics(request: web.Request) -> web.Response:
    cloud, key = _cloud(request), _key(request)
    load, own = cloud.loads(key)
    latest = cloud.latest_metrics(key)
    sampled = latest[1] if latest else {}
    instances = [
        {"instanceId": i, "load": own.get(i), **(values_at(sampled[i]) if i in sampled else {})}
        for i in sorted(set(own) | set(sampled), key=int)
    ]
    at = _time(latest[0]) if latest else None
    return web.json_response({"scaleSet": key.name, "load": load, "sampledAt": at, "instances": instances})


def _evaluation(evaluation: Evaluation | None) -> dict[str, Any] | None:
    if evaluation is None:
        return None
    return {
        "profile": evaluation.profile.name if evaluation.profile else None,
        "profileKind": evaluation.profile_kind,
        "reason": evaluation.reason,
        "message": evaluation.message,
        "capacity": evaluation.capacity,
        "newCapacity": evaluation.new_capacity,
        "nextActionTime": _time(evaluation.next_action_time),
        "nextProfileChange": _time(evaluation.next_profile_change),
    }


async def _autoscale(request: web.Request) -> web.Response:
    key = _key(request)
    setting = _cloud(request).autoscale.targeting(key)
    if setting is None:
        return web.json_response({"scaleSet": key.name, "setting": None, "lastEvaluation": None, "actions": []})
    actions = [
        {
            "time": _time(a.time),
            "oldCapacity": a.old_capacity,
            "newCapacity": a.new_capacity,
            "reason": a.reason,
            "profile": a.profile,
            "metricName": a.metric_name,
            "metricValue": a.metric_value,
            "message": a.message,
        }
        for a in setting.actions
    ]
    summary = {
        "name": setting.key.name,
        "enabled": setting.settings.enabled,
        "profiles": len(setting.settings.profiles),
    }
    return web.json_response(
        {
            "scaleSet": key.name,
            "setting": summary,
            "lastEvaluation": _evaluation(setting.last_evaluation),
            "actions": actions,
        }
    )


async def _images(request: web.Request) -> web.Response:
    return web.json_response(_cloud(request).catalog.snapshot())


async def _publish_platform(request: web.Request) -> web.Response:
    body = await _body(request)
    _cloud(request).catalog.publish_platform(
        _str(body, "publisher"), _str(body, "offer"), _str(body, "sku"), _str(body, "version")
    )
    return _ok()


async def _publish_gallery(request: web.Request) -> web.Response:
    body = await _body(request)
    regions = body.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
        raise _bad("'regions' must be a list of region names")
    exclude = _optional_bool(body, "excludeFromLatest") or False
    _cloud(request).catalog.publish_gallery(
        _str(body, "id"), _str(body, "version"), regions, exclude_from_latest=exclude
    )
    return _ok()


async def _replicate_gallery(request: web.Request) -> web.Response:
    body = await _body(request)
    _cloud(request).catalog.replicate(_str(body, "id"), _str(body, "version"), _str(body, "region"))
    return _ok()


async def _mark_bad(request: web.Request) -> web.Response:
    _cloud(request).faults.mark_image_bad(_str(await _body(request), "version"))
    return _ok()


async def _clear_bad(request: web.Request) -> web.Response:
    _cloud(request).faults.clear_bad_image(request.match_info["version"])
    return _ok()


async def _faults(request: web.Request) -> web.Response:
    cloud = _cloud(request)
    return web.json_response(cloud.faults.snapshot(cloud.now()))


async def _clear_faults(request: web.Request) -> web.Response:
    _cloud(request).faults.clear()
    return _ok()


async def _fail_next(request: web.Request) -> web.Response:
    body = await _body(request)
    code = body.get("code")
    message = body.get("message")
    if code is not None and not isinstance(code, str):
        raise _bad("'code' must be a string")
    if message is not None and not isinstance(message, str):
        raise _bad("'message' must be a string")
    _cloud(request).faults.fail_next(
        _str(body, "operation"),
        int(_number(body, "count", 1)),
        status=int(_number(body, "status", 500)),
        code=code,
        message=message,
        retry_after=_optional_number(body, "retryAfter"),
    )
    return _ok()


async def _fail_in_flight(request: web.Request) -> web.Response:
    body = await _body(request)
    ids = body.get("instanceIds")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise _bad("'instanceIds' must be a list of instance ID strings or null")
    code, message = body.get("code"), body.get("message")
    if not isinstance(code, str | None) or not isinstance(message, str | None):
        raise _bad("'code' and 'message' must be strings")
    _cloud(request).faults.fail_in_flight(
        _str(body, "operation"), instance_ids=ids, count=int(_number(body, "count", 1)), code=code, message=message
    )
    return _ok()


async def _throttle(request: web.Request) -> web.Response:
    body = await _body(request)
    _cloud(request).throttle_for(_number(body, "seconds"), _optional_number(body, "retryAfter"))
    return _ok()


async def _durations(request: web.Request) -> web.Response:
    return web.json_response(_cloud(request).durations.as_dict())


async def _set_durations(request: web.Request) -> web.Response:
    body = await _body(request)
    cloud = _cloud(request)
    cloud.set_durations(**{name: _number(body, name) for name in body})
    return web.json_response(cloud.durations.as_dict())


async def _calls(request: web.Request) -> web.Response:
    return web.json_response(_cloud(request).calls.snapshot())


async def _calls_log(request: web.Request) -> web.Response:
    """Every write call in order, with its instance IDs (to check that no instance is acted on twice)."""
    calls = _cloud(request).calls.since(0)
    return web.json_response(
        {
            "writes": [
                {
                    "seq": c.seq,
                    "at": _time(c.at),
                    "operation": c.kind,
                    "scaleSet": c.key.name if c.key else None,
                    "instanceIds": list(c.instance_ids),
                    "error": c.error,
                }
                for c in calls
                if c.write
            ]
        }
    )
