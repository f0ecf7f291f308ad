"""The in-process backend: the ``Backend`` protocol served by the simulator engine.

Used by the tests and by ``scaleset-operator run --backend fake``. It never sleeps: the engine's
clock decides how long operations take, and each call returns as soon as the work is accepted, like
Azure's long-running operations seen through the protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.cloud.autoscale import AUTOSCALE_HASH_TAG, AutoscaleKey, DesiredAutoscale, ObservedAutoscale
from scaleset_operator.cloud.desired import (
    MODEL_HASH_TAG,
    SETTINGS_HASH_TAG,
    DesiredModel,
    ScaleSetKey,
    operator_tags,
)
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.cloud.protection import ProtectionPolicy
from scaleset_operator.cloud.refusals import CloudFacts
from scaleset_operator.cloud.wire import cloud_model
from scaleset_operator.simulator.engine import SimulatedCloud


class FakeBackend:
    name = "fake"

    def __init__(self, cloud: SimulatedCloud) -> None:
        self.cloud = cloud
        self._autoscale_tags: dict[ScaleSetKey, dict[str, str]] = {}

    async def get(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        """The engine's scale set, with its model shaped like the spec (what a GET returns) and the
        hash tags the operator wrote on it (None on one the operator never wrote)."""
        observed = self.cloud.get(key)
        model = self.cloud.model(key)
        if observed is None or model is None:
            return observed
        tags = model.properties.tags
        return replace(
            observed,
            model_hash=tags.get(MODEL_HASH_TAG),
            settings_hash=tags.get(SETTINGS_HASH_TAG),
            model=cloud_model(model),
        )

    async def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int, *, etag: str | None = None) -> None:
        """The model with the operator's hash tags among its tags, as the Azure backend sends it; refused
        (412) when ``etag`` no longer matches, as Azure's If-Match."""
        tags = {**model.properties.tags, **operator_tags(model)}
        tagged = replace(model, properties=model.properties.model_copy(update={"tags": tags}))
        self.cloud.apply(key, tagged, capacity, if_match=etag)

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

    async def start(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.start(key, list(instance_ids))

    async def deallocate(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.deallocate(key, list(instance_ids))

    async def power_off(self, key: ScaleSetKey, instance_ids: Sequence[str], *, skip_shutdown: bool = False) -> None:
        self.cloud.power_off(key, list(instance_ids), skip_shutdown=skip_shutdown)

    async def redeploy(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.redeploy(key, list(instance_ids))

    async def perform_maintenance(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.perform_maintenance(key, list(instance_ids))

    async def simulate_eviction(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        self.cloud.simulate_eviction(key, list(instance_ids))

    async def set_protection(self, key: ScaleSetKey, policies: Sequence[ProtectionPolicy]) -> None:
        for policy in policies:
            self.cloud.set_instance_protection(
                key,
                policy.instance_id,
                scale_in=policy.protect_from_scale_in,
                scale_set_actions=policy.protect_from_scale_set_actions,
            )

    async def delete(self, key: ScaleSetKey) -> None:
        self.cloud.delete(key)

    async def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        return self.cloud.latest_image_version(location, image)

    async def cloud_facts(
        self, key: ScaleSetKey, location: str, image: ImageReference, version: str | None
    ) -> CloudFacts:
        return self.cloud.cloud_facts(location, image)

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
