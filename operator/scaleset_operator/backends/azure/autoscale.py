"""A scale set's autoscale setting and metrics on Azure (Microsoft.Insights, ``azure-mgmt-monitor``).

- Writing: ``DesiredAutoscale`` -> the REST ``properties`` (``cloud.autoscale.rest_properties``,
  the same code the ARM simulator renders with) -> the SDK's ``AutoscaleSettingResource``. A PUT
  replaces the whole resource, so the tags and notifications found on the existing setting are
  carried over (only the ``scaleset.dev/autoscale-hash`` tag is the operator's).
- Reading: the SDK resource -> ``ObservedAutoscale``, whose settings are parsed only when they fit
  this API (a setting made in the portal may use dimensions or second-precise durations).
- Metrics: ``metrics.list`` with ``$filter=VMName eq '*'`` -> one-minute averages per instance;
  ``VMName`` is ``<scale set>_<instance ID>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from azure.mgmt.monitor import models as monitor

from scaleset_operator.autoscale import MetricSample
from scaleset_operator.autoscale.metrics import sample_order
from scaleset_operator.cloud.autoscale import (
    AUTOSCALE_HASH_TAG,
    AutoscaleKey,
    DesiredAutoscale,
    ObservedAutoscale,
    rest_properties,
    settings_from_rest,
)

PER_INSTANCE = "VMName eq '*'"
_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Insights/"
    r"autoscalesettings/(?P<name>[^/]+)$",
    re.IGNORECASE,
)


def setting_body(
    desired: DesiredAutoscale, existing: monitor.AutoscaleSettingResource | None
) -> monitor.AutoscaleSettingResource:
    """The PUT body: the desired setting, plus what someone else put on the existing one."""
    properties = rest_properties(desired.settings, desired.key.name, desired.target, desired.location)
    kept = dict(existing.tags or {}) if existing is not None else {}
    tags = {k: v for k, v in kept.items() if k != AUTOSCALE_HASH_TAG}
    tags[AUTOSCALE_HASH_TAG] = desired.settings_hash()
    if existing is not None and existing.notifications:
        properties["notifications"] = [n.serialize() for n in existing.notifications]
    body = {"location": desired.location, "tags": tags, "properties": properties}
    resource: monitor.AutoscaleSettingResource = monitor.AutoscaleSettingResource.deserialize(body)
    return resource


def observe_setting(resource: monitor.AutoscaleSettingResource) -> ObservedAutoscale:
    found = _ID.match(resource.id or "")
    if found is None:
        raise ValueError(f"unexpected autoscale setting ID {resource.id!r}")
    properties = resource.serialize(keep_readonly=True).get("properties", {})
    try:
        settings = settings_from_rest(properties)
    except ValueError:
        settings = None
    return ObservedAutoscale(
        key=AutoscaleKey(found["sub"], found["rg"], found["name"]),
        location=resource.location,
        target_resource_uri=resource.target_resource_uri or "",
        enabled=bool(resource.enabled),
        settings=settings,
        tags=dict(resource.tags or {}),
    )


def timespan(start: datetime, end: datetime) -> str:
    def iso(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return f"{iso(start)}/{iso(end)}"


def _instance_id(series: monitor.TimeSeriesElement) -> str | None:
    for meta in series.metadatavalues or []:
        if meta.name is not None and (meta.name.value or "").lower() == "vmname" and meta.value:
            return str(meta.value).rsplit("_", 1)[-1]
    return None


def samples(response: monitor.Response, names: Sequence[str]) -> dict[str, list[MetricSample]]:
    """Per-instance samples by the names asked for (Azure answers with its own spelling), in time
    then instance order, as the protocol promises."""
    by_name = {metric.name.value.lower(): metric for metric in response.value if metric.name is not None}
    result: dict[str, list[MetricSample]] = {}
    for name in names:
        metric = by_name.get(name.lower())
        if metric is None:
            continue
        found = [
            MetricSample(instance_id, point.time_stamp, float(point.average))
            for series in metric.timeseries or []
            if (instance_id := _instance_id(series)) is not None
            for point in series.data or []
            if point.average is not None
        ]
        result[name] = sorted(found, key=sample_order)
    return result
