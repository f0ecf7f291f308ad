"""Which rollout runs: starting one when due, and restarting it toward a new model.

Precedence when several are due: a Rolling model upgrade, then an automatic OS upgrade, then the
opt-in reimage-all of drifted disks. One rollout at a time. A target whose last rollout of that kind
Faulted or was Cancelled is not started again automatically (``status.lastRollouts``): a new model
or image version, or an operation, starts a new one.

The retarget rule: a model change during a Rolling model upgrade restarts the rollout toward the
newest model. The batch in flight is still awaited (its instances finish on the newest model), and
instances that had reached the previous model are stale again, so they are upgraded once more,
once, in the new rollout.
"""

from __future__ import annotations

from scaleset_operator.api.status import RolloutKind, RolloutRecord
from scaleset_operator.planner import os_upgrade
from scaleset_operator.planner.events import PlannedEvent, normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.rollout.strategies import disk_drift
from scaleset_operator.planner.timefmt import fmt

Started = tuple[RolloutRecord | None, list[PlannedEvent]]


def start_or_retarget(facts: Facts, record: RolloutRecord | None) -> Started:
    if record is not None:
        return _retarget(facts, record)
    for start in (_model_upgrade, _os_upgrade, _reimage_all):
        started = start(facts)
        if started[0] is not None:
            return started
    return None, []


def stopped(facts: Facts, kind: RolloutKind, target: str) -> bool:
    """The last rollout of this kind went for the same target and Faulted or was Cancelled."""
    last = facts.last_rollout(kind)
    return last is not None and last.target == target and last.outcome in ("Faulted", "Cancelled")


def _retarget(facts: Facts, record: RolloutRecord) -> Started:
    if record.kind != "ModelUpgrade" or record.target == facts.model_hash:
        return record, []
    retargeted = RolloutRecord(
        kind="ModelUpgrade",
        target=facts.model_hash,
        startTime=fmt(facts.now),
        batch=record.batch,
        batchesCompleted=record.batchesCompleted,
        lastBatchEndTime=record.lastBatchEndTime,
        previousImageVersions=record.previousImageVersions,
    )
    message = "the model changed during the rollout: restarting it toward the newest model"
    return retargeted, [normal("RolloutRestarted", message)]


def _model_upgrade(facts: Facts) -> Started:
    if facts.spec.upgradePolicy.mode != "Rolling" or stopped(facts, "ModelUpgrade", facts.model_hash):
        return None, []
    stale = [i for i in facts.instances if not i.latest_model_applied and not i.protect_from_scale_set_actions]
    if not stale:
        return None, []
    started = RolloutRecord(kind="ModelUpgrade", target=facts.model_hash, startTime=fmt(facts.now))
    return started, [normal("RollingUpgradeStarted", f"rolling {len(stale)} instances to the new model")]


def _os_upgrade(facts: Facts) -> Started:
    if os_upgrade.check(facts, None) != os_upgrade.STARTING:
        return None, []
    target = facts.latest_image_version
    assert target is not None
    count = len(os_upgrade.older_instances(facts, target))
    started = os_upgrade.new_record(facts, target)
    return started, [normal("OSUpgradeStarted", f"image {target} published: upgrading {count} instances")]


def disk_target(facts: Facts) -> str:
    return "disks:" + ",".join(f"{k}={v}" for k, v in sorted(facts.desired.data_disk_sizes().items()))


def _reimage_all(facts: Facts) -> Started:
    target = disk_target(facts)
    if not facts.spec.rolloutPolicy.reimageAllOnDiskDrift or stopped(facts, "ReimageAll", target):
        return None, []
    drifted = [i for i in facts.instances if disk_drift(facts, i) and not i.protect_from_scale_set_actions]
    if not drifted:
        return None, []
    started = RolloutRecord(kind="ReimageAll", target=target, startTime=fmt(facts.now))
    message = f"reimageAllOnDiskDrift: recreating the disks of {len(drifted)} instances (data on data disks is lost)"
    return started, [normal("ReimageAllStarted", message)]
