"""What Azure does by itself when a client sets ``upgradePolicy.mode`` Automatic or Rolling, and
the OS rolling upgrade a client starts with ``osRollingUpgrade``.

The operator never relies on this: it writes Manual and orchestrates upgrades itself. Other Azure
clients (the CLI, Terraform, a portal user) do, and a simulator they can use must move instances
the way Azure does:

- **Automatic**: every instance not on the latest model is upgraded at once, in no particular
  order (instances busy at that moment follow as soon as they are free).
- **Rolling**: batches of ``maxBatchInstancePercent`` of the instance count (at least one). Before
  each batch, more than ``maxUnhealthyInstancePercent`` unhealthy instances stops the upgrade
  (``MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade``); after each batch, more than
  ``maxUnhealthyUpgradedInstancePercent`` of the upgraded instances unhealthy stops it
  (``MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade``). Instances still booting are
  waited for; ``Unknown`` health counts as unhealthy. ``pauseTimeBetweenBatches`` separates
  batches, ``prioritizeUnhealthyInstances`` takes unhealthy ones first, and ``maxSurge`` creates
  the batch's replacements on the new model and deletes the old batch once they are healthy. A
  cancel stops after the batch in flight. Any later write to the scale set restarts a finished or
  cancelled upgrade if instances are still stale (Azure's "trigger a generic model update").
- **OS rolling upgrade**: the same batches, reimaging instances not on the target image version
  (latest, resolved when it starts) to it; recorded in the OS upgrade history (last five).

Everything runs on the engine's clock as scheduled events: a step starts a batch, and the next
step (after the operation's duration plus the health delay, then every ``POLL`` seconds while the
batch still boots) checks it. Instances protected from scale set actions are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scaleset_operator.simulator.rolling import (
    AFTER_BATCH,
    BEFORE_BATCH,
    PlatformPolicy,
    RollingUpgrade,
    UpgradeKind,
    batch_size,
    over,
)
from scaleset_operator.simulator.state import OS_HISTORY, SimInstance, SimScaleSet

if TYPE_CHECKING:
    from scaleset_operator.simulator.engine import SimulatedCloud

POLL = timedelta(seconds=5)


class PlatformUpgrades:
    """The engine's platform side; it drives instances through the engine's own operations."""

    def __init__(self, cloud: SimulatedCloud) -> None:
        self.cloud = cloud

    # -- entry points -----------------------------------------------------------------------------

    def apply_policy(self, scale_set: SimScaleSet, policy: PlatformPolicy, now: datetime) -> None:
        """A client wrote the scale set with this policy: act on it as Azure would."""
        scale_set.platform_policy = policy
        if policy.mode == "Automatic":
            self._automatic(scale_set, now)
        elif policy.mode == "Rolling" and not self._running(scale_set) and self._pending(scale_set, "model", None):
            self._begin(scale_set, RollingUpgrade("model", policy.rolling, now, started_by="Platform"), now)

    def start_os(self, scale_set: SimScaleSet, now: datetime) -> RollingUpgrade:
        """``osRollingUpgrade``: move every instance to the latest image version, in batches."""
        model = scale_set.model
        version = model.image.pinned_version or self.cloud.catalog.resolve(model.location, model.image).version
        record = RollingUpgrade(
            "os", scale_set.platform_policy.rolling, now, target_image=model.image, target_version=version
        )
        scale_set.os_history = [*scale_set.os_history, record][-OS_HISTORY:]
        self._begin(scale_set, record, now)
        return record

    def cancel(self, scale_set: SimScaleSet, now: datetime) -> bool:
        """Stop after the batch in flight; False if no rolling upgrade is running."""
        record = scale_set.rolling
        if record is None or not record.running:
            return False
        record.cancel_requested = True
        record.last_action, record.last_action_at = "Cancel", now
        if not record.batch and not record.surge:
            record.finish("Cancelled", now)
        return True

    # -- Automatic ----------------------------------------------------------------------------------

    def _automatic(self, scale_set: SimScaleSet, now: datetime) -> None:
        if scale_set.platform_policy.mode != "Automatic" or not self._alive(scale_set):
            return
        stale = self._pending(scale_set, "model", None)
        ready = [i for i in stale if not i.busy]
        if ready:
            self.cloud._upgrade_batch(scale_set, ready, now, None)
        if len(ready) < len(stale):
            self._later(now + POLL, lambda at: self._automatic(scale_set, at))

    # -- Rolling ------------------------------------------------------------------------------------

    def _begin(self, scale_set: SimScaleSet, record: RollingUpgrade, now: datetime) -> None:
        record.last_action_at = now
        scale_set.rolling = record
        self._later(now, lambda at: self._step(scale_set, record, at))

    def _step(self, scale_set: SimScaleSet, record: RollingUpgrade, at: datetime) -> None:
        if not record.running or not self._alive(scale_set):
            return
        if record.batch or record.surge:
            if self._settling(scale_set, record.surge or record.batch):
                self._later(at + POLL, lambda when: self._step(scale_set, record, when))
                return
            if not self._close_batch(scale_set, record, at):
                return
            if record.cancel_requested:
                record.finish("Cancelled", at)
                return
            self._later(at + record.policy.pause, lambda when: self._step(scale_set, record, when))
            return
        self._next_batch(scale_set, record, at)

    def _next_batch(self, scale_set: SimScaleSet, record: RollingUpgrade, at: datetime) -> None:
        pending = [
            i
            for i in self._pending(scale_set, record.kind, record.target_version)
            if i.instance_id not in record.failed
        ]
        record.pending = len(pending)
        if not pending:
            record.finish("Completed", at)
            return
        live = scale_set.counted()
        if self._settling(scale_set, [i.instance_id for i in live]):
            self._later(at + POLL, lambda when: self._step(scale_set, record, when))
            return
        unhealthy = sum(1 for i in live if i.reported_health() != "Healthy")
        if over(unhealthy, len(live), record.policy.max_unhealthy_percent):
            message = f"{unhealthy} of {len(live)} instances are unhealthy before the next batch"
            record.finish("Faulted", at, (BEFORE_BATCH, message))
            return
        if record.policy.prioritize_unhealthy:
            pending.sort(key=lambda i: i.reported_health() == "Healthy")
        batch = pending[: batch_size(len(live), record.policy.max_batch_percent)]
        record.batch = [i.instance_id for i in batch]
        record.pending -= len(batch)
        self._start_batch(scale_set, record, batch, at)
        durations = self.cloud.durations
        took = (
            durations.reimage
            if record.kind == "os"
            else durations.create
            if record.policy.max_surge
            else durations.upgrade
        )
        self._later(
            at + timedelta(seconds=took + durations.health_delay), lambda when: self._step(scale_set, record, when)
        )

    def _start_batch(
        self, scale_set: SimScaleSet, record: RollingUpgrade, batch: list[SimInstance], at: datetime
    ) -> None:
        if record.kind == "os":
            self.cloud._reimage_batch(scale_set, batch, at, record.target_version, None)
        elif record.policy.max_surge:
            image = self.cloud.catalog.resolve(scale_set.model.location, scale_set.model.image)
            created = self.cloud._create_instances(scale_set, len(batch), image, at, None)
            record.surge = [i.instance_id for i in created]
        else:
            self.cloud._upgrade_batch(scale_set, batch, at, None)

    def _close_batch(self, scale_set: SimScaleSet, record: RollingUpgrade, at: datetime) -> bool:
        """Count the batch; False (and Faulted) when too many upgraded instances are unhealthy."""
        moved = record.surge or record.batch
        healthy = {i for i in moved if self._healthy(scale_set, i)}
        if record.surge:
            self._finish_surge(scale_set, record, healthy, at)
        else:
            record.successful |= healthy
            record.failed |= set(moved) - healthy
        record.batch, record.surge = [], []
        upgraded = len(record.successful) + len(record.failed)
        if over(len(record.failed), upgraded, record.policy.max_unhealthy_upgraded_percent):
            message = f"{len(record.failed)} of {upgraded} upgraded instances are unhealthy"
            record.finish("Faulted", at, (AFTER_BATCH, message))
            return False
        return True

    def _finish_surge(self, scale_set: SimScaleSet, record: RollingUpgrade, healthy: set[str], at: datetime) -> None:
        """The replacements are up: delete the old batch; a replacement that failed is deleted
        instead, and the instance it was to replace stays (counted as failed)."""
        replaced = record.batch[: len(healthy)]
        for instance_id in [*replaced, *(set(record.surge) - healthy)]:
            instance = scale_set.instances.get(instance_id)
            if instance is not None and instance.provisioning_state != "Deleting":
                self.cloud._start_delete(scale_set, instance, at)
        record.successful |= healthy
        record.failed |= set(record.batch[len(healthy) :])

    # -- helpers ------------------------------------------------------------------------------------

    def _pending(self, scale_set: SimScaleSet, kind: UpgradeKind, version: str | None) -> list[SimInstance]:
        """Instances this kind of upgrade still has to move, in creation order."""
        return [
            i
            for i in scale_set.counted()
            if not i.protect_from_scale_set_actions
            and (i.image.version != version if kind == "os" else i.applied_model_hash != scale_set.model_hash)
        ]

    @staticmethod
    def _settling(scale_set: SimScaleSet, instance_ids: list[str]) -> bool:
        """Any of these still creating, updating or initializing its health?"""
        return any(
            (i := scale_set.instances.get(instance_id)) is not None
            and ((i.busy and i.provisioning_state != "Deleting") or i.reported_health() == "Initializing")
            for instance_id in instance_ids
        )

    @staticmethod
    def _healthy(scale_set: SimScaleSet, instance_id: str) -> bool:
        instance = scale_set.instances.get(instance_id)
        return (
            instance is not None
            and instance.provisioning_state == "Succeeded"
            and instance.reported_health() == "Healthy"
        )

    @staticmethod
    def _running(scale_set: SimScaleSet) -> bool:
        return scale_set.rolling is not None and scale_set.rolling.running

    def _alive(self, scale_set: SimScaleSet) -> bool:
        return self.cloud._scale_sets.get(scale_set.key) is scale_set and scale_set.deleting_at is None

    def _later(self, at: datetime, action: Callable[[datetime], None]) -> None:
        self.cloud._schedule(at, action)
