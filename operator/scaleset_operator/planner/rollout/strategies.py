"""What distinguishes one kind of rollout from another: the target test, the forward action, the
batch policy, rollback, holds and maxSurge.

- ``ModelUpgrade``: ``UpgradeInstances`` until ``latestModelApplied``, the rolling policy; maxSurge
  replaces batches; ``rollbackFailedInstancesOnPolicyBreach`` restores OS disks on a breach;
- ``OSUpgrade``: ``Reimage`` to the target version, the OS upgrade policy; every failed batch is
  rolled back unless automatic rollback is off;
- ``ReimageAll``: ``ReimageAll`` until no data disk size drift is left, the rolling policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner import maintenance_window, os_upgrade
from scaleset_operator.planner.actions import Action, ReimageAllInstances, ReimageInstances, UpgradeInstances
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.drift import Drift, differences
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.rolling_policy import BatchPolicy
from scaleset_operator.planner.timefmt import fmt

Rollback = Callable[[RolloutRecord, tuple[str, ...]], list[Action]]


@dataclass(frozen=True)
class Strategy:
    at_target: Callable[[ObservedInstance], bool]
    forward: Callable[[tuple[str, ...]], Action]
    forward_name: str
    """``RolloutBatch.action`` of a forward batch."""
    policy: BatchPolicy
    rollback_each_failed_batch: bool
    """OS upgrades: restore the previous OS disk of instances that fail a batch."""
    rollback_on_breach: bool
    """Rolling model upgrades with ``rollbackFailedInstancesOnPolicyBreach``."""
    rollback: Rollback | None = None
    hold_reason: Reason | None = None
    """Why no new batch may start now (paused, outside the maintenance window)."""
    surge_from: int | None = None
    """maxSurge: the desired capacity; each batch first adds replacements on top of it."""


def disk_drift(facts: Facts, instance: ObservedInstance) -> bool:
    """Up to date with the model, but a data disk has the wrong size: only a reimage-all fixes it."""
    return instance.latest_model_applied and any(
        d.kind is Drift.DATA_DISK_SIZE for d in differences(instance, facts.desired, facts.latest_image_version)
    )


def hold_reason(facts: Facts, record: RolloutRecord) -> Reason | None:
    if facts.spec.paused:
        return Reason("Paused", "spec.paused is true: the rollout holds; its progress is kept")
    windows = facts.spec.rolloutPolicy.maintenanceWindows
    if record.startedBy == "Platform" and not maintenance_window.is_open(windows, facts.now):
        opening = maintenance_window.next_opening(windows, facts.now)
        when = fmt(opening) if opening else "never"
        return Reason("OutsideMaintenanceWindow", f"no batch starts outside the maintenance window; next opens {when}")
    return None


def _rollback(record: RolloutRecord, ids: tuple[str, ...]) -> list[Action]:
    """Restore the previous OS disk: one call per previous version (almost always one)."""
    by_version: dict[str, list[str]] = defaultdict(list)
    for instance_id in ids:
        by_version[record.previousImageVersions[instance_id]].append(instance_id)
    return [ReimageInstances(tuple(group), image_version=v) for v, group in sorted(by_version.items())]


def strategy_for(facts: Facts, record: RolloutRecord) -> Strategy:
    hold = hold_reason(facts, record)
    if record.kind == "OSUpgrade":
        target = record.target
        return Strategy(
            at_target=lambda i: i.image.version == target,
            forward=lambda ids: ReimageInstances(ids, image_version=target),
            forward_name="Reimage",
            policy=os_upgrade.policy(facts.spec),
            rollback_each_failed_batch=record.rollback,
            rollback_on_breach=record.rollback,
            rollback=_rollback,
            hold_reason=hold,
        )
    policy = BatchPolicy.from_spec(facts.spec)
    if record.kind == "ReimageAll":
        return Strategy(
            at_target=lambda i: not disk_drift(facts, i),
            forward=ReimageAllInstances,
            forward_name="ReimageAll",
            policy=policy,
            rollback_each_failed_batch=False,
            rollback_on_breach=False,
            hold_reason=hold,
        )
    rolling = facts.spec.upgradePolicy.rollingUpgradePolicy
    return Strategy(
        at_target=lambda i: i.latest_model_applied,
        forward=UpgradeInstances,
        forward_name="Upgrade",
        policy=policy,
        rollback_each_failed_batch=False,
        rollback_on_breach=rolling.rollbackFailedInstancesOnPolicyBreach,
        rollback=_rollback,
        hold_reason=hold,
        surge_from=facts.capacity if rolling.maxSurge else None,
    )
