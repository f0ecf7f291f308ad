"""A rollout's progress: Azure's four counts, and the one-line summary people read."""

from __future__ import annotations

from scaleset_operator.api.status import RollingUpgradeProgress, RolloutRecord
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.rollout.batches import pending_instances
from scaleset_operator.planner.rollout.strategies import strategy_for


def counts(facts: Facts, record: RolloutRecord) -> RollingUpgradeProgress:
    """They add up to the instances the rollout covers (done + failed + in the batch + pending)."""
    in_flight = record.batch.instanceIds if record.batch and record.batch.action != "Rollback" else []
    pending = 0
    if record.fault is None and not record.cancelRequested:
        pending = len(pending_instances(record, facts.instances, strategy_for(facts, record)))
    return RollingUpgradeProgress(
        successfulInstanceCount=len(record.done),
        failedInstanceCount=len(record.failed),
        inProgressInstanceCount=len(in_flight),
        pendingInstanceCount=pending,
    )


def total(progress: RollingUpgradeProgress) -> int:
    p = progress
    return p.successfulInstanceCount + p.failedInstanceCount + p.inProgressInstanceCount + p.pendingInstanceCount


def summary(record: RolloutRecord, progress: RollingUpgradeProgress) -> str:
    """``ModelUpgrade 4/10 done; batch 3 (Upgrade): 4, 5``."""
    message = f"{record.kind} {progress.successfulInstanceCount}/{total(progress)} done"
    batch = record.batch
    if batch is not None:
        message += f"; batch {batch.number} ({batch.action}): {', '.join(batch.instanceIds)}"
    return message
