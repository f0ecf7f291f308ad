"""The in-process backend: the ``Backend`` protocol served by the simulator engine.

Used by the tests and by ``scaleset-operator run --backend fake``. It never sleeps: the engine's
clock decides how long operations take, and each call returns as soon as the work is accepted, like
Azure's long-running operations seen through the protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.cloud.autoscale import AUTOSCALE_HASH_TAG, AutoscaleKey, DesiredAutoscale, ObservedAutoscale
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.simulator.engine import SimulatedCloud


class FakeBackend:
    name = "fake"

    def __init__(self, cloud: SimulatedCloud) -> None:
        self.cloud = cloud
        self._autoscale_tags: dict[ScaleSetKey, dict[str, str]] = {}

    async def get(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        return self.cloud.get(key)

    async def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int) -> None:
        self.cloud.apply(key, model, capacity)

    async def upgrade_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.upgrade_instances(key, list(instance_ids))

    async def reimage(self, key: ScaleSetKey, instance_ids: Sequence[str], *, image_version: str | None = None) -> None:
        self.cloud.reimage(key, list(instance_ids), image_version=image_version)

    async def reimage_all(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.reimage_all(key, list(instance_ids))

    async def restart(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.restart(key, list(instance_ids))

    async def delete_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.delete_instances(key, list(instance_ids))

    async def delete(self, key: ScaleSetKey) -> None:
        self.cloud.delete(key)

    async def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        return self.cloud.latest_image_version(location, image)

    async def get_autoscale(self, key: ScaleSetKey) -> ObservedAutoscale | None:
        observed = self.cloud.get_autoscale(key)
        self._autoscale_tags[key] = dict(observed.tags) if observed is not None else {}
        return observed

    async def apply_autoscale(self, autoscale: DesiredAutoscale) -> None:
        kept = {k: v for k, v in self._autoscale_tags.get(autoscale.target, {}).items() if k != AUTOSCALE_HASH_TAG}
        self.cloud.apply_autoscale(autoscale, tags={**kept, AUTOSCALE_HASH_TAG: autoscale.settings_hash()})

    async def delete_autoscale(self, key: AutoscaleKey) -> None:
        self.cloud.delete_autoscale(key)

    async def get_metrics(
        self, key: ScaleSetKey, names: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MetricSample]]:
        return self.cloud.get_metrics(key, list(names), start, end)

    async def close(self) -> None:
        """Nothing to release: the engine lives as long as its owner keeps it."""
