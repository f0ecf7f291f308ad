"""A Backend wrapper that counts and times every call, whatever the backend (metrics, not policy)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from scaleset_operator import metrics
from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.backends.protocol import Backend
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale, ObservedAutoscale
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.errors import BackendError
from scaleset_operator.cloud.observed import ObservedScaleSet

T = TypeVar("T")


class MeteredBackend:
    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name

    async def _call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await call()
        except BackendError as exc:
            outcome = exc.code
            raise
        except Exception:
            outcome = "exception"
            raise
        finally:
            metrics.BACKEND_CALLS.labels(self.name, operation, outcome).inc()
            metrics.BACKEND_SECONDS.labels(self.name, operation).observe(time.perf_counter() - started)

    async def get(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        return await self._call("get", lambda: self.inner.get(key))

    async def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int) -> None:
        await self._call("apply", lambda: self.inner.apply(key, model, capacity))

    async def upgrade_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._call("upgrade_instances", lambda: self.inner.upgrade_instances(key, instance_ids))

    async def reimage(self, key: ScaleSetKey, instance_ids: Sequence[str], *, image_version: str | None = None) -> None:
        await self._call("reimage", lambda: self.inner.reimage(key, instance_ids, image_version=image_version))

    async def reimage_all(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._call("reimage_all", lambda: self.inner.reimage_all(key, instance_ids))

    async def restart(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._call("restart", lambda: self.inner.restart(key, instance_ids))

    async def delete_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._call("delete_instances", lambda: self.inner.delete_instances(key, instance_ids))

    async def delete(self, key: ScaleSetKey) -> None:
        await self._call("delete", lambda: self.inner.delete(key))

    async def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        return await self._call("latest_image_version", lambda: self.inner.latest_image_version(location, image))

    async def get_autoscale(self, key: ScaleSetKey) -> ObservedAutoscale | None:
        return await self._call("get_autoscale", lambda: self.inner.get_autoscale(key))

    async def apply_autoscale(self, autoscale: DesiredAutoscale) -> None:
        await self._call("apply_autoscale", lambda: self.inner.apply_autoscale(autoscale))

    async def delete_autoscale(self, key: AutoscaleKey) -> None:
        await self._call("delete_autoscale", lambda: self.inner.delete_autoscale(key))

    async def get_metrics(
        self, key: ScaleSetKey, names: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MetricSample]]:
        return await self._call("get_metrics", lambda: self.inner.get_metrics(key, names, start, end))

    async def close(self) -> None:
        await self.inner.close()
