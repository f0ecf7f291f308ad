"""The autoscale setting a backend keeps for a scale set, and what it reads back.

On Azure this is a ``Microsoft.Insights/autoscaleSettings`` resource of its own (one per target
resource) whose ``targetResourceUri`` is the scale set; the simulator models the same resource.
``DesiredAutoscale`` is what the operator sends (derived from ``spec.autoscale``);
``ObservedAutoscale`` is what the cloud holds, which may have been made by someone else, so its
settings are parsed only when they fit this API (``settings`` is None otherwise, ``enabled`` and the
identity are always known).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from scaleset_operator.api.autoscale import AutoscaleSettings
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
