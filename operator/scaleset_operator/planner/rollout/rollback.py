"""Rolling back what a stopped rollout did (``rollbackRequested``: an ``Abort``, or a failed gate with
``onGateFailure: Rollback``), before it ends Faulted.

- an OS upgrade restores the previous OS disk of every instance it upgraded, batch by batch under its
  policy (``previousImageVersions``, recorded before each batch was sent);
- a model upgrade is rolled back by revision instead: it ends at once, and ``drive`` pins the cloud to
  the previous revision, which a ``Rollback`` rollout then brings the instances to (``revisions.py``);
- a reimage-all cannot be undone (its data disks were recreated): it just stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from scaleset_operator.api.status import RolloutBatch, RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.events import warning
from scaleset_operator.planner.rolling_policy import batch_size
from scaleset_operator.planner.rollout.record import SEND_REQUEUE_SECONDS, BatchStep
from scaleset_operator.planner.rollout.strategies import Strategy
from scaleset_operator.planner.timefmt import fmt


def to_restore(record: RolloutRecord, instances: Sequence[ObservedInstance]) -> list[ObservedInstance]:
    """Instances the rollout upgraded whose OS disk is not the one they had before it."""
    handled = set(record.rolledBack) | set(record.rollbackFailed)
    previous = record.previousImageVersions
    return [
        i
        for i in instances
        if i.instance_id in record.done
        and i.instance_id not in handled
        and i.instance_id in previous
        and previous[i.instance_id] != i.image.version
    ]


def next_batch(
    record: RolloutRecord, instances: Sequence[ObservedInstance], strategy: Strategy, now: datetime
) -> BatchStep | None:
    """The next rollback batch of an OS upgrade asked to roll back; None when there is nothing (left)."""
    if not record.rollbackRequested or record.kind != "OSUpgrade" or strategy.rollback is None:
        return None
    left = to_restore(record, instances)
    if not left:
        return None
    chosen = left[: batch_size(len(instances), strategy.policy.max_batch_percent)]
    ids = [i.instance_id for i in chosen]
    batch = RolloutBatch(number=record.batchesCompleted + 1, instanceIds=ids, action="Rollback", startTime=fmt(now))
    record = record.model_copy(update={"batch": batch, "lastProgressTime": fmt(now)})
    actions = strategy.rollback(record, tuple(ids))
    names = ", ".join(i.name for i in chosen)
    event = warning("RollingBack", f"batch {batch.number}: restoring the previous OS disk of {names}")
    return replace(BatchStep(record, tuple(actions), (event,)), requeue_after=SEND_REQUEUE_SECONDS)
