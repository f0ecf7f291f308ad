"""Which rollout runs: starting one, retargeting it, and the strategy of each kind.

Precedence when several are due: a Rolling model upgrade, then an automatic OS upgrade, then the
opt-in reimage-all of drifted disks. One rollout at a time.

The retarget rule: a model change during a Rolling model upgrade restarts the rollout toward the
newest model. The batch in flight is still awaited (its instances finish on the newest model), and
instances that had reached the previous model are stale again, so they are upgraded once more,
once, in the new rollout.
"""

from __future__ import annotations

from collections import defaultdict

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner import maintenance_window, os_upgrade
from scaleset_operator.planner.actions import (
    Action,
    ReimageAllInstances,
    ReimageInstances,
    UpgradeInstances,
)
from scaleset_operator.planner.events import PlannedEvent, normal
from scaleset_operator.planner.health import has_health_signal
from scaleset_operator.planner.inputs import PlanInputs
from scaleset_operator.planner.instance_view import differences, needs_reimage_all
from scaleset_operator.planner.rolling_upgrade import BatchPolicy
from scaleset_operator.planner.rollout import Strategy
from scaleset_operator.planner.timefmt import fmt


def signal(inputs: PlanInputs) -> bool:
    return has_health_signal(inputs.spec)


def disk_drift(inputs: PlanInputs, instance: ObservedInstance) -> bool:
    return instance.latest_model_applied and needs_reimage_all(
        differences(instance, inputs.desired, inputs.latest_image_version)
    )


def _model_target_stopped(inputs: PlanInputs, target: str) -> bool:
    last = inputs.status.rollingUpgrade
    return (
        last is not None
        and last.kind == "ModelUpgrade"
        and last.target == target
        and last.runningStatus.code in ("Faulted", "Cancelled")
    )


def start_or_retarget(
    inputs: PlanInputs, record: RolloutRecord | None
) -> tuple[RolloutRecord | None, list[PlannedEvent]]:
    observed = inputs.observed
    assert observed is not None
    model_hash = inputs.desired.model_hash()
    rolling = inputs.spec.upgradePolicy.mode == "Rolling"
    if record is not None:
        if record.kind == "ModelUpgrade" and record.target != model_hash:
            retargeted = RolloutRecord(
                kind="ModelUpgrade",
                target=model_hash,
                startTime=fmt(inputs.now),
                batch=record.batch,
                batchesCompleted=record.batchesCompleted,
                lastBatchEndTime=record.lastBatchEndTime,
                previousImageVersions=record.previousImageVersions,
            )
            return retargeted, [
                normal(
                    "RolloutRestarted",
                    "the model changed during the rollout: restarting it toward the newest model",
                )
            ]
        return record, []
    stale = [i for i in observed.instances if not i.latest_model_applied and not i.protect_from_scale_set_actions]
    if rolling and stale and not _model_target_stopped(inputs, model_hash):
        started = RolloutRecord(kind="ModelUpgrade", target=model_hash, startTime=fmt(inputs.now))
        return started, [normal("RollingUpgradeStarted", f"rolling {len(stale)} instances to the new model")]
    if (
        os_upgrade.enabled(inputs)
        and not os_upgrade.requirement_errors(inputs)
        and os_upgrade.start_check(inputs) is None
    ):
        target = inputs.latest_image_version
        assert target is not None
        started = os_upgrade.new_record(inputs, target)
        count = len(os_upgrade.older_instances(inputs, target))
        return started, [normal("OSUpgradeStarted", f"image {target} published: upgrading {count} instances")]
    if inputs.spec.rolloutPolicy.reimageAllOnDiskDrift:
        drifted = [i for i in observed.instances if disk_drift(inputs, i) and not i.protect_from_scale_set_actions]
        if drifted:
            target = "disks:" + ",".join(f"{k}={v}" for k, v in sorted(inputs.desired.data_disk_sizes().items()))
            started = RolloutRecord(kind="ReimageAll", target=target, startTime=fmt(inputs.now))
            return started, [
                normal(
                    "ReimageAllStarted",
                    f"reimageAllOnDiskDrift: recreating the disks of {len(drifted)} instances "
                    "(data on data disks is lost)",
                )
            ]
    return None, []


def hold_reason(inputs: PlanInputs, record: RolloutRecord) -> tuple[str, str] | None:
    if inputs.spec.paused:
        return ("Paused", "spec.paused is true: the rollout holds; its progress is kept")
    windows = inputs.spec.rolloutPolicy.maintenanceWindows
    if record.startedBy == "Platform" and not maintenance_window.is_open(windows, inputs.now):
        opening = maintenance_window.next_opening(windows, inputs.now)
        when = fmt(opening) if opening else "never"
        return (
            "OutsideMaintenanceWindow",
            f"no batch starts outside the maintenance window; next opens {when}",
        )
    return None


def _rollback(record: RolloutRecord, ids: tuple[str, ...]) -> list[Action]:
    """Restore the previous OS disk: one call per previous version (almost always one)."""
    by_version: dict[str, list[str]] = defaultdict(list)
    for instance_id in ids:
        by_version[record.previousImageVersions[instance_id]].append(instance_id)
    return [ReimageInstances(tuple(group), image_version=v) for v, group in sorted(by_version.items())]


def strategy_for(inputs: PlanInputs, record: RolloutRecord) -> Strategy:
    hold = hold_reason(inputs, record)
    if record.kind == "OSUpgrade":
        target = record.target
        return Strategy(
            at_target=lambda i: i.image.version == target,
            forward=lambda ids: ReimageInstances(ids, image_version=target),
            forward_name="Reimage",
            policy=os_upgrade.policy(inputs),
            rollback_each_failed_batch=record.rollback,
            rollback_on_breach=record.rollback,
            rollback=_rollback,
            hold_reason=hold,
        )
    policy = BatchPolicy.from_spec(inputs.spec)
    if record.kind == "ReimageAll":
        return Strategy(
            at_target=lambda i: not disk_drift(inputs, i),
            forward=ReimageAllInstances,
            forward_name="ReimageAll",
            policy=policy,
            rollback_each_failed_batch=False,
            rollback_on_breach=False,
            hold_reason=hold,
        )
    return Strategy(
        at_target=lambda i: i.latest_model_applied,
        forward=UpgradeInstances,
        forward_name="Upgrade",
        policy=policy,
        rollback_each_failed_batch=False,
        rollback_on_breach=inputs.spec.upgradePolicy.rollingUpgradePolicy.rollbackFailedInstancesOnPolicyBreach,
        rollback=_rollback,
        hold_reason=hold,
        surge_from=inputs.capacity if inputs.spec.upgradePolicy.rollingUpgradePolicy.maxSurge else None,
    )
