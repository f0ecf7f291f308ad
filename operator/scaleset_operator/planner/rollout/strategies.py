"""What distinguishes one kind of rollout from another: the target test, the forward action, the
batch policy, rollback, holds and maxSurge.

- ``ModelUpgrade``: ``UpgradeInstances`` until ``latestModelApplied``, the rolling policy; maxSurge
  replaces batches; ``rollbackFailedInstancesOnPolicyBreach`` restores OS disks on a breach;
- ``OSUpgrade``: ``Reimage`` to the target version, the OS upgrade policy; every failed batch is
  rolled back unless automatic rollback is off;
- ``ReimageAll``: ``ReimageAll`` until no data disk size drift is left, the rolling policy;
- ``Rollback``: back to a pinned revision's model (``UpgradeInstances``), the rolling policy, no steps.

Every kind honours the holds (paused, maintenance window), ``rolloutPolicy.steps`` (except a
rollback) and the drain hook.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.rollout_policy import RolloutStep
from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner import maintenance_window, os_upgrade, scheduled_events
from scaleset_operator.planner.actions import Action, ReimageAllInstances, ReimageInstances, UpgradeInstances
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.drift import Drift, differences
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import JobState
from scaleset_operator.planner.rolling_policy import BatchPolicy
from scaleset_operator.planner.rollout import deferral
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
    deferred: Callable[[ObservedInstance], bool] | None = None
    """osRollingUpgradeDeferral: pending instances that wait for an ApproveRollingUpgrade operation."""
    steps: tuple[RolloutStep, ...] = ()
    """rolloutPolicy.steps (none for a rollback: it goes back to a model already trusted)."""
    rollback_on_gate_failure: bool = False
    drain: Drain | None = None
    """rolloutPolicy.drain: the Jobs to run before a batch is sent, and the ones observed."""
    terminate_notice: float = 0.0
    """Scheduled Events' terminate notification (seconds): a deleted VM goes only after it."""


@dataclass(frozen=True)
class Drain:
    scale_set: str
    timeout: float
    jobs: Mapping[str, JobState]


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
    common = _common(facts, record)
    if record.kind == "OSUpgrade":
        target = record.target
        return replace(
            common,
            at_target=lambda i: i.image.version == target,
            forward=lambda ids: ReimageInstances(ids, image_version=target),
            forward_name="Reimage",
            policy=os_upgrade.policy(facts.spec),
            rollback_each_failed_batch=record.rollback,
            rollback_on_breach=record.rollback,
            rollback=_rollback,
            deferred=deferral.deferred(facts, record),
        )
    if record.kind == "ReimageAll":
        return replace(common, at_target=lambda i: not disk_drift(facts, i), forward=ReimageAllInstances)
    rolling = facts.spec.upgradePolicy.rollingUpgradePolicy
    return replace(
        common,
        at_target=lambda i: i.latest_model_applied,
        forward=UpgradeInstances,
        forward_name="Upgrade",
        rollback_on_breach=rolling.rollbackFailedInstancesOnPolicyBreach,
        rollback=_rollback,
        surge_from=facts.capacity if rolling.maxSurge else None,
        steps=() if record.kind == "Rollback" else common.steps,
    )


def _common(facts: Facts, record: RolloutRecord) -> Strategy:
    """What every kind shares: the rolling policy, holds, steps, gates and the drain hook."""
    policy = facts.spec.rolloutPolicy
    hook = policy.drain
    drain = Drain(facts.name, parse_duration(hook.timeout).total_seconds(), facts.jobs) if hook else None
    return Strategy(
        at_target=lambda i: False,
        forward=ReimageAllInstances,
        forward_name="ReimageAll",
        policy=BatchPolicy.from_spec(facts.spec),
        rollback_each_failed_batch=False,
        rollback_on_breach=False,
        hold_reason=hold_reason(facts, record),
        steps=tuple(policy.steps),
        rollback_on_gate_failure=policy.onGateFailure == "Rollback" and record.kind != "ReimageAll",
        drain=drain,
        terminate_notice=scheduled_events.terminate_notice(facts.spec),
    )
