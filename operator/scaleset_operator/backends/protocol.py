"""The backend protocol: small, async and batch-oriented.

One call per batch, never one per instance: every instance operation takes the batch's instance IDs
(a backend whose cloud has no batch call for an action, like Azure's Flexible orchestration for
reimage and restart, fans the batch out itself and budgets it as a whole). Instance IDs are strings
that may be names (Flexible: the VM name): never parse or order them as numbers.
Instance operations return once the backend has *accepted* the work; progress and completion are
read from the next observation (instances go ``Updating`` -> ``Succeeded`` and report health). That
keeps the reconciler crash-safe: nothing important lives only in an in-flight call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale, ObservedAutoscale
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.observed import ObservedScaleSet


@runtime_checkable
class Backend(Protocol):
    name: str

    async def get(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        """The scale set and all its instances with their instance views; None if it does not exist."""

    async def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int) -> None:
        """Create the scale set or update its model and capacity (Manual upgrade mode in the cloud).

        New instances get the model at once; existing ones only through the instance operations.
        A lower capacity removes instances by the model's scale-in policy.
        """

    async def upgrade_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        """Bring instances to the latest model (Azure ``updateInstances``, the manual upgrade)."""

    async def reimage(self, key: ScaleSetKey, instance_ids: Sequence[str], *, image_version: str | None = None) -> None:
        """Replace the OS disk from the model's image, keep data disks, re-run extensions.

        ``image_version`` pins the version (OS upgrade target, or the previous one for a rollback);
        None resolves 'latest' now.
        """

    async def reimage_all(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        """Recreate all disks (OS and data) from the model. Data on data disks is lost."""

    async def restart(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None: ...

    async def delete_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        """Delete instances; the scale set's capacity shrinks by as many."""

    async def delete(self, key: ScaleSetKey) -> None:
        """Start deleting the scale set; a scale set already gone is not an error."""

    async def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        """The newest version 'latest' resolves to in ``location`` (gallery: replicated there and not
        excluded from latest); None if the image has no usable version."""

    async def get_autoscale(self, key: ScaleSetKey) -> ObservedAutoscale | None:
        """The autoscale setting whose target is this scale set, whoever made it; None if there is none.

        Also remembers what a later ``apply_autoscale`` must keep (tags it does not own, notifications).
        """

    async def apply_autoscale(self, autoscale: DesiredAutoscale) -> None:
        """Create or replace the autoscale setting (tagged with ``settings_hash()``), keeping the tags
        and notifications someone else set on it. The cloud then evaluates it and changes capacity."""

    async def delete_autoscale(self, key: AutoscaleKey) -> None:
        """Delete the autoscale setting; one already gone is not an error. Capacity stays as it is."""

    async def get_metrics(
        self, key: ScaleSetKey, names: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MetricSample]]:
        """Per-instance samples (one-minute averages) of the scale set's own metrics in ``[start, end)``,
        by the names asked for, in time then instance order. A name the cloud does not know is refused
        (``InvalidRequest``, as Azure answers 400)."""

    async def close(self) -> None: ...
