"""The Microsoft.Insights routes of the ARM simulator: autoscale settings and metrics.

=========  ===============================================================================
GET/PUT/   ``/subscriptions/{s}/resourcegroups/{rg}/providers/Microsoft.Insights/
DELETE     autoscalesettings/{name}`` (api-version 2022-10-01)
GET        ``/subscriptions/{s}/resourcegroups/{rg}/providers/Microsoft.Insights/autoscalesettings``
GET        ``/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/
           virtualMachineScaleSets/{name}/providers/Microsoft.Insights/metrics``
           (api-version 2024-02-01; ``timespan``, ``interval``, ``metricnames``, ``aggregation``,
           ``$filter=VMName eq '*'`` for one series per instance)
=========  ===============================================================================

Autoscale settings are plain (not long-running) ARM resources: a PUT answers 201 or 200 with the
resource, a DELETE 200 or 204. The engine evaluates them on its clock (``simulator/autoscale.py``)
exactly as for the fake backend. A body is read under Azure's names: capacities and action values
are strings there, durations ISO 8601; ``notifications`` are stored and returned as sent, never
delivered; metric ``dimensions`` are refused (the simulator's metrics have none but the instance).
Metric values are one sample per instance per minute, so every aggregation of a one-minute interval
is that sample; ``VMName`` is ``<scale set>_<instance ID>`` as on Azure.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any, cast

import isodate
from aiohttp import web
from pydantic import ValidationError

from scaleset_operator.autoscale import MetricSample
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale, rest_properties, settings_from_rest
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.arm.request import Call, json_body
from scaleset_operator.simulator.autoscale import SimAutoscale
from scaleset_operator.simulator.metrics import METRICS, metric_name

JsonObject = dict[str, Any]
AUTOSCALE_TYPE = "Microsoft.Insights/autoscaleSettings"
_TARGET = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/"
    r"virtualMachineScaleSets/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
_AGGREGATIONS: dict[str, Callable[[list[float]], float]] = {
    "average": fmean,
    "minimum": min,
    "maximum": max,
    "total": math.fsum,
    "count": lambda values: float(len(values)),
}


def _invalid(message: str) -> ArmError:
    return ArmError(400, "InvalidRequest", message)


# -- request bodies -> the engine's vocabulary --------------------------------------------------


def _target(uri: Any) -> ScaleSetKey:
    found = _TARGET.match(str(uri or ""))
    if found is None:
        raise _invalid(f"targetResourceUri {uri!r}: the simulator autoscales virtual machine scale sets only")
    return ScaleSetKey(found["sub"], found["rg"], found["name"])


def desired_autoscale(key: AutoscaleKey, body: JsonObject) -> tuple[DesiredAutoscale, dict[str, str], JsonObject]:
    """(the setting, its tags, what is stored but not modelled) from a PUT body; 400 like ARM."""
    props = body.get("properties") or {}
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    try:
        settings = settings_from_rest(props)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise _invalid(f"The autoscale setting is invalid: {details}") from None
    except ValueError as exc:
        raise _invalid(f"The autoscale setting is invalid: {exc}") from None
    tags = body.get("tags") or {}
    desired = DesiredAutoscale(
        key, location.replace(" ", "").lower(), _target(props.get("targetResourceUri")), settings
    )
    return desired, {str(k): str(v) for k, v in tags.items()}, {"notifications": props.get("notifications") or []}


# -- the engine's state -> ARM JSON ------------------------------------------------------------------


def autoscale_resource(setting: SimAutoscale) -> JsonObject:
    properties = rest_properties(setting.settings, setting.key.name, setting.target, setting.location)
    properties["notifications"] = setting.extra.get("notifications", [])
    return {
        "id": setting.key.resource_id,
        "name": setting.key.name,
        "type": AUTOSCALE_TYPE,
        "location": setting.location,
        "tags": dict(setting.tags),
        "properties": properties,
    }


# -- handlers ----------------------------------------------------------------------------------------


def _autoscale_key(call: Call) -> AutoscaleKey:
    g = call.groups
    return AutoscaleKey(g["sub"], g["rg"], g["setting"])


def _not_found(key: AutoscaleKey) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource 'microsoft.insights/autoscalesettings/{key.name}' under resource group "
        f"'{key.resource_group}' was not found.",
    )


async def get_autoscale(call: Call) -> web.StreamResponse:
    key = _autoscale_key(call)
    setting = call.state.cloud.find_autoscale(key)
    if setting is None:
        raise _not_found(key)
    call.key = setting.target
    return web.json_response(autoscale_resource(setting))


async def put_autoscale(call: Call) -> web.StreamResponse:
    key = _autoscale_key(call)
    body = await json_body(call.request, required=True)
    desired, tags, extra = desired_autoscale(key, cast(JsonObject, body))
    call.key = desired.target
    cloud = call.state.cloud
    created = cloud.apply_autoscale(desired, tags=tags, extra=extra)
    setting = cloud.autoscale.find(key)
    assert setting is not None
    return web.json_response(autoscale_resource(setting), status=201 if created else 200)


async def delete_autoscale(call: Call) -> web.StreamResponse:
    existed = call.state.cloud.delete_autoscale(_autoscale_key(call))
    return web.Response(status=200 if existed else 204)


async def list_autoscale(call: Call) -> web.StreamResponse:
    settings = call.state.cloud.list_autoscale(call.groups["sub"], call.groups["rg"])
    return web.json_response({"value": [autoscale_resource(s) for s in settings]})


# -- metrics -----------------------------------------------------------------------------------------


def _timespan(value: str | None, now: datetime) -> tuple[datetime, datetime]:
    if not value:
        return now - timedelta(hours=1), now
    try:
        start, _, end = value.partition("/")
        return (
            datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(UTC),
            datetime.fromisoformat(end.replace("Z", "+00:00")).astimezone(UTC),
        )
    except ValueError:
        raise _invalid(f"timespan {value!r} must be START/END in ISO 8601") from None


def _series(samples: list[MetricSample], interval: timedelta, aggregations: list[str]) -> list[JsonObject]:
    buckets: dict[datetime, list[float]] = defaultdict(list)
    seconds = int(interval.total_seconds())
    for sample in samples:
        start = datetime.fromtimestamp(int(sample.time.timestamp()) // seconds * seconds, UTC)
        buckets[start].append(sample.value)
    return [
        {
            "timeStamp": at.isoformat().replace("+00:00", "Z"),
            **{a: float(_AGGREGATIONS[a](values)) for a in aggregations},
        }
        for at, values in sorted(buckets.items())
    ]


def _timeseries(
    key: ScaleSetKey, samples: list[MetricSample], per_vm: bool, interval: timedelta, aggregations: list[str]
) -> list[JsonObject]:
    if not per_vm:
        return [{"metadatavalues": [], "data": _series(samples, interval, aggregations)}]
    by_vm: dict[str, list[MetricSample]] = defaultdict(list)
    for sample in samples:
        by_vm[sample.instance_id].append(sample)
    return [
        {
            "metadatavalues": [{"name": {"value": "vmname", "localizedValue": "vmname"}, "value": f"{key.name}_{i}"}],
            "data": _series(by_vm[i], interval, aggregations),
        }
        for i in sorted(by_vm, key=int)
    ]


async def list_metrics(call: Call) -> web.StreamResponse:
    g, query = call.groups, call.request.query
    found = call.state.cloud.find(g["name"], resource_group=g["rg"], subscription_id=g["sub"])
    key = call.key = found[0] if found else ScaleSetKey(g["sub"], g["rg"], g["name"])
    names = [n.strip() for n in (query.get("metricnames") or "Percentage CPU").split(",") if n.strip()]
    start, end = _timespan(query.get("timespan"), call.state.cloud.now())
    interval = timedelta(minutes=1) if not query.get("interval") else isodate.parse_duration(query["interval"])
    aggregations = [a.strip().lower() for a in (query.get("aggregation") or "average").split(",")]
    if not set(aggregations) <= set(_AGGREGATIONS):
        raise _invalid(f"aggregation {query.get('aggregation')!r}: use {', '.join(_AGGREGATIONS)}")
    per_vm = re.search(r"vmname\s+eq\s+'\*'", query.get("$filter") or "", re.IGNORECASE) is not None
    samples = call.state.cloud.get_metrics(key, names, start, end)
    value = [
        {
            "id": f"{key.resource_id}/providers/Microsoft.Insights/metrics/{name}",
            "type": "Microsoft.Insights/metrics",
            "name": {"value": metric_name(name), "localizedValue": metric_name(name)},
            "unit": METRICS[metric_name(name) or ""][0],
            "timeseries": _timeseries(key, samples.get(name, []), per_vm, interval, aggregations),
            "errorCode": "Success",
        }
        for name in names
    ]
    timespan = f"{start.isoformat().replace('+00:00', 'Z')}/{end.isoformat().replace('+00:00', 'Z')}"
    return web.json_response(
        {
            "cost": 0,
            "timespan": timespan,
            "interval": isodate.duration_isoformat(interval),
            "value": value,
            "namespace": "Microsoft.Compute/virtualMachineScaleSets",
            "resourceregion": _region(call, key),
        }
    )


def _region(call: Call, key: ScaleSetKey) -> str:
    model = call.state.cloud.model(key)
    return model.location if model is not None else "unknown"
