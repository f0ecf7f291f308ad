"""The autoscale setting a backend keeps for a scale set, and what it reads back.

On Azure this is a ``Microsoft.Insights/autoscaleSettings`` resource of its own (one per target
resource) whose ``targetResourceUri`` is the scale set; the simulator models the same resource.
``DesiredAutoscale`` is what the operator sends (derived from ``spec.autoscale``);
``ObservedAutoscale`` is what the cloud holds, which may have been made by someone else, so its
settings are parsed only when they fit this API (``settings`` is None otherwise, ``enabled`` and the
identity are always known).

Azure's REST shape (``properties`` of the resource) is read and written here, once, for both the
Azure backend (through the SDK's models) and the ARM simulator: counts are strings there, durations
any ISO 8601 spelling, ``metricResourceUri`` required (the scale set itself by default).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import isodate

from scaleset_operator.api.autoscale import AutoscaleProfile, AutoscaleSettings, canonical_duration
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import ScaleSetKey, scale_set_key

AUTOSCALE_HASH_TAG = "scaleset.dev/autoscale-hash"
"""Tag on the autoscale setting: the hash of the settings the operator last wrote."""


@dataclass(frozen=True)
class AutoscaleKey:
    """Azure's coordinates of one autoscale setting resource."""

    subscription_id: str
    resource_group: str
    name: str

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.resource_group}/{self.name}"

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Insights/autoscalesettings/{self.name}"
        )

    def matches(self, other: AutoscaleKey) -> bool:
        """ARM names are case-insensitive."""
        return str(self).lower() == str(other).lower()


@dataclass(frozen=True)
class DesiredAutoscale:
    key: AutoscaleKey
    location: str
    target: ScaleSetKey
    settings: AutoscaleSettings

    def settings_hash(self) -> str:
        body = {"target": self.target.resource_id.lower(), "settings": self.settings.model_dump(mode="json")}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ObservedAutoscale:
    key: AutoscaleKey
    location: str
    target_resource_uri: str
    enabled: bool
    settings: AutoscaleSettings | None
    """None when the cloud's setting uses something this API cannot express (made elsewhere)."""
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def settings_hash(self) -> str | None:
        return self.tags.get(AUTOSCALE_HASH_TAG)

    def targets(self, key: ScaleSetKey) -> bool:
        return self.target_resource_uri.lower() == key.resource_id.lower()


def autoscale_key(spec: ScaleSetSpec, resource_name: str) -> AutoscaleKey:
    """Where the operator keeps the scale set's autoscale setting: its resource group, named
    ``spec.autoscale.name`` or ``<scale set name>-autoscale``."""
    target = scale_set_key(spec, resource_name)
    name = spec.autoscale.name if spec.autoscale is not None and spec.autoscale.name else f"{target.name}-autoscale"
    return AutoscaleKey(target.subscription_id, target.resource_group, name)


def desired_autoscale(spec: ScaleSetSpec, resource_name: str) -> DesiredAutoscale | None:
    """The autoscale setting ``spec`` asks for, or None without ``spec.autoscale``."""
    if spec.autoscale is None:
        return None
    return DesiredAutoscale(
        key=autoscale_key(spec, resource_name),
        location=spec.location,
        target=scale_set_key(spec, resource_name),
        settings=spec.autoscale,
    )


# -- Azure's REST shape ------------------------------------------------------------------------------

JsonObject = dict[str, Any]


def _duration(value: Any, where: str) -> str:
    try:
        return canonical_duration(isodate.parse_duration(str(value)))
    except (isodate.ISO8601Error, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def _count(value: Any, where: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"{where} must be a whole number, not {value!r}") from None


def _wall_clock(value: Any) -> str:
    """A fixedDate time as the wall-clock time it names (the SDK sends naive times with a Z)."""
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S")


def _rule_from_rest(raw: JsonObject, target: str | None) -> JsonObject:
    trigger = {k: v for k, v in (raw.get("metricTrigger") or {}).items() if v is not None}
    if trigger.pop("dimensions", None) or trigger.pop("Dimensions", None):
        raise ValueError("metricTrigger.dimensions are not supported")
    trigger.pop("metricResourceLocation", None)
    if target is not None and str(trigger.get("metricResourceUri", "")).lower() == target.lower():
        del trigger["metricResourceUri"]
    for name in ("timeGrain", "timeWindow"):
        if name in trigger:
            trigger[name] = _duration(trigger[name], f"metricTrigger.{name}")
    action = {k: v for k, v in (raw.get("scaleAction") or {}).items() if v is not None}
    if "value" in action:
        action["value"] = _count(action["value"], "scaleAction.value")
    if "cooldown" in action:
        action["cooldown"] = _duration(action["cooldown"], "scaleAction.cooldown")
    return {"metricTrigger": trigger, "scaleAction": action}


def _profile_from_rest(raw: JsonObject, target: str | None) -> JsonObject:
    capacity = raw.get("capacity") or {}
    profile: JsonObject = {
        "name": raw.get("name"),
        "capacity": {k: _count(capacity.get(k), f"capacity.{k}") for k in ("minimum", "maximum", "default")},
        "rules": [_rule_from_rest(r, target) for r in raw.get("rules") or []],
    }
    window = raw.get("fixedDate")
    if window:
        profile["fixedDate"] = {
            "timeZone": window.get("timeZone") or "UTC",
            "start": _wall_clock(window.get("start")),
            "end": _wall_clock(window.get("end")),
        }
    if raw.get("recurrence"):
        recurrence = raw["recurrence"]
        schedule = {k: v for k, v in (recurrence.get("schedule") or {}).items() if v is not None}
        profile["recurrence"] = {"frequency": recurrence.get("frequency") or "Week", "schedule": schedule}
    return profile


def settings_from_rest(properties: Mapping[str, Any]) -> AutoscaleSettings:
    """An autoscale setting's REST ``properties`` in this API's terms; ``ValueError`` saying what
    does not fit (a pydantic ``ValidationError`` is one)."""
    target = properties.get("targetResourceUri")
    policy = properties.get("predictiveAutoscalePolicy")
    raw: JsonObject = {
        "enabled": bool(properties.get("enabled", False)),
        "profiles": [_profile_from_rest(p, target) for p in properties.get("profiles") or []],
    }
    if policy:
        policy = {k: v for k, v in policy.items() if v is not None}
        if "scaleLookAheadTime" in policy:
            policy["scaleLookAheadTime"] = _duration(policy["scaleLookAheadTime"], "scaleLookAheadTime")
        raw["predictiveAutoscalePolicy"] = policy
    return AutoscaleSettings.model_validate(raw)


def _profile_to_rest(profile: AutoscaleProfile, target: str) -> JsonObject:
    body: JsonObject = profile.model_dump(mode="json", exclude_none=True)
    body["capacity"] = {k: str(v) for k, v in body["capacity"].items()}
    for rule in body["rules"]:
        rule["metricTrigger"].setdefault("metricResourceUri", target)
        rule["scaleAction"]["value"] = str(rule["scaleAction"]["value"])
    if "fixedDate" in body:
        body["fixedDate"]["start"] += "Z"
        body["fixedDate"]["end"] += "Z"
    return body


def rest_properties(settings: AutoscaleSettings, name: str, target: ScaleSetKey, location: str) -> JsonObject:
    """The REST ``properties`` of an autoscale setting (without notifications, which are not modelled)."""
    properties: JsonObject = {
        "profiles": [_profile_to_rest(p, target.resource_id) for p in settings.profiles],
        "enabled": settings.enabled,
        "name": name,
        "targetResourceUri": target.resource_id,
        "targetResourceLocation": location,
    }
    if settings.predictiveAutoscalePolicy is not None:
        properties["predictiveAutoscalePolicy"] = settings.predictiveAutoscalePolicy.model_dump(exclude_none=True)
    return properties
