"""Stepping one rollout forward: the batch state machine shared by every kind of rollout.

A rollout (Rolling model upgrade, automatic OS image upgrade, opt-in reimage-all of drifted disks)
moves instances to a *target* batch by batch. Its state lives in ``status.rollout`` (the intent
record); each pass does at most this, in order:

1. a batch in flight that was recorded but not yet sent: send it, to the instances that are neither
   at the target nor busy (so a crash between recording and sending never upgrades one twice);
2. a batch that was sent: wait until its instances are settled and healthy, up to the health timeout;
   then count successes and failures, apply the after-batch stop rule, and record a rollback batch
   when one is due;
3. no batch in flight: hold when paused, outside the maintenance window or within the pause between
   batches; finish when nothing is pending; apply the before-batch stop rule; record the next batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scaleset_operator.api.status import (
    ApiError,
    RolloutBatch,
    RolloutRecord,
)
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.actions import Action, ApplyModel, DeleteInstances
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.health import is_deciding, is_healthy
from scaleset_operator.planner.rolling_upgrade import (
    AFTER_BATCH_CODE,
    BEFORE_BATCH_CODE,
    TIMEOUT_CODE,
    BatchPolicy,
    exceeds,
    select_batch,
    unhealthy_before_batch,
)
from scaleset_operator.planner.timefmt import fmt, parse, seconds_since


@dataclass(frozen=True)
class Strategy:
    """What distinguishes one kind of rollout from another."""

    at_target: Callable[[ObservedInstance], bool]
    forward: Callable[[tuple[str, ...]], Action]
    forward_name: str  # RolloutBatch.action
    policy: BatchPolicy
    rollback_each_failed_batch: bool
    """OS upgrades: restore the previous OS disk of instances that fail a batch."""
    rollback_on_breach: bool
    """Rolling model upgrades with ``rollbackFailedInstancesOnPolicyBreach``."""
    rollback: Callable[[RolloutRecord, tuple[str, ...]], list[Action]] | None = None
    hold_reason: tuple[str, str] | None = None
    """(reason, message) when no new batch may start now (paused, outside the maintenance window)."""
    surge_from: int | None = None
    """maxSurge: the desired capacity; each batch first adds replacements on top of it."""


@dataclass
class Step:
    record: RolloutRecord | None
    actions: list[Action] = field(default_factory=list)
    events: list[PlannedEvent] = field(default_factory=list)
    finished: RolloutRecord | None = None
    """The record as it ended (Completed / Cancelled / Faulted: see ``outcome``)."""
    outcome: str | None = None
    waiting: tuple[str, str] | None = None
    """(reason, message) naming why the rollout is not moving right now."""
    requeue_after: float | None = None


def _ids(instances: Sequence[ObservedInstance]) -> tuple[str, ...]:
    return tuple(i.instance_id for i in instances)


def pending_instances(
    record: RolloutRecord, instances: Sequence[ObservedInstance], strategy: Strategy
) -> list[ObservedInstance]:
    touched = set(record.done) | set(record.failed) | set(record.rolledBack) | set(record.rollbackFailed)
    in_batch = set(record.batch.instanceIds) if record.batch else set()
    return [
        i
        for i in instances
        if i.instance_id not in touched
        and i.instance_id not in in_batch
        and not i.protect_from_scale_set_actions
        and not strategy.at_target(i)
    ]


def step(
    record: RolloutRecord,
    instances: Sequence[ObservedInstance],
    strategy: Strategy,
    signal: bool,
    now: datetime,
) -> Step:
    by_id = {i.instance_id: i for i in instances}
    batch = record.batch
    if batch is not None and not batch.acted:
        return _send(record, batch, by_id, strategy)
    if batch is not None:
        if batch.action == "Surge":
            settled = _settle_surge(record, batch, instances, strategy, signal, now)
        else:
            settled = _settle(record, batch, by_id, strategy, signal, now)
        if settled.record is not None and settled.record.batch is not None:
            return settled  # still waiting, or a rollback batch was just recorded
        record = settled.record if settled.record is not None else record
        nxt = _next(record, instances, strategy, signal, now)
        nxt.events[:0] = settled.events
        return nxt
    return _next(record, instances, strategy, signal, now)


def _send(record: RolloutRecord, batch: RolloutBatch, by_id: dict[str, ObservedInstance], strategy: Strategy) -> Step:
    if batch.action == "Surge":
        assert batch.surgeCapacity is not None
        return Step(record=record, actions=[ApplyModel(batch.surgeCapacity, reason="Surge")], requeue_after=1.0)
    if batch.action == "Rollback":
        todo = tuple(
            i for i in batch.instanceIds if i in by_id and not by_id[i].busy and i in record.previousImageVersions
        )
        actions = strategy.rollback(record, todo) if (strategy.rollback and todo) else []
    else:
        todo = tuple(
            i for i in batch.instanceIds if i in by_id and not by_id[i].busy and not strategy.at_target(by_id[i])
        )
        actions = [strategy.forward(todo)] if todo else []
    if not actions:
        return Step(record=mark_batch_acted(record))
    return Step(record=record, actions=actions, requeue_after=1.0)


def _batch_done(record: RolloutRecord, good: list[str], bad: list[str], now: datetime) -> RolloutRecord:
    """The batch in flight is over: its instances join ``done`` or ``failed``."""
    return record.model_copy(
        update={
            "done": [*record.done, *good],
            "failed": [*record.failed, *bad],
            "batch": None,
            "batchesCompleted": record.batchesCompleted + 1,
            "lastBatchEndTime": fmt(now),
            "lastProgressTime": fmt(now),
        }
    )


def mark_batch_acted(record: RolloutRecord) -> RolloutRecord:
    """Called once the backend accepted the batch's call, so it is never sent again."""
    if record.batch is None:
        return record
    return record.model_copy(update={"batch": record.batch.model_copy(update={"acted": True})})


def _settle(
    record: RolloutRecord,
    batch: RolloutBatch,
    by_id: dict[str, ObservedInstance],
    strategy: Strategy,
    signal: bool,
    now: datetime,
) -> Step:
    members = [by_id[i] for i in batch.instanceIds if i in by_id]
    deciding = [i for i in members if is_deciding(i)]
    timed_out = seconds_since(batch.startTime, now) > strategy.policy.health_timeout.total_seconds()
    if deciding and not timed_out:
        wait = strategy.policy.health_timeout.total_seconds() - seconds_since(batch.startTime, now)
        names = ", ".join(i.name for i in deciding[:3])
        return Step(
            record=record,
            waiting=("WaitingForBatch", f"batch {batch.number}: waiting for {names} to become healthy"),
            requeue_after=max(1.0, min(5.0, wait)),
        )
    if batch.action == "Rollback":
        good = [i.instance_id for i in members if is_healthy(i, signal)]
        bad = [i.instance_id for i in members if i.instance_id not in good]
        record = record.model_copy(
            update={
                "rolledBack": [*record.rolledBack, *good],
                "rollbackFailed": [*record.rollbackFailed, *bad],
                "batch": None,
                "lastBatchEndTime": fmt(now),
                "lastProgressTime": fmt(now),
            }
        )
        return Step(
            record=record,
            events=[normal("RolledBack", f"batch {batch.number}: restored {len(good)}, failed {len(bad)}")],
        )
    good = [i.instance_id for i in members if strategy.at_target(i) and is_healthy(i, signal)]
    # Healthy but not at the target (the target moved while the batch ran): pending again, not failed.
    bad = [i.instance_id for i in members if not is_healthy(i, signal)]
    record = _batch_done(record, good, bad, now)
    done, failed = record.done, record.failed
    events = [normal("BatchCompleted", f"batch {batch.number}: {len(good)} upgraded, {len(bad)} unhealthy")]
    breach = exceeds(len(failed), len(done) + len(failed), strategy.policy.max_unhealthy_upgraded_percent)
    if bad:
        code = TIMEOUT_CODE if timed_out and deciding else AFTER_BATCH_CODE
        names = ", ".join(by_id[i].name for i in bad if i in by_id)
        events.append(warning("BatchUnhealthy", f"batch {batch.number}: {names} unhealthy after upgrade"))
        if breach:
            record = record.model_copy(
                update={
                    "fault": ApiError(
                        code=code,
                        message=f"{len(failed)} of {len(done) + len(failed)} upgraded instances are unhealthy "
                        f"(more than {strategy.policy.max_unhealthy_upgraded_percent}%): {names}",
                        target=bad[0],
                    )
                }
            )
        rollback = strategy.rollback_each_failed_batch or (breach and strategy.rollback_on_breach)
        to_restore = tuple(
            i
            for i in bad
            if i in by_id and record.previousImageVersions.get(i, by_id[i].image.version) != by_id[i].image.version
        )
        if rollback and to_restore and strategy.rollback is not None:
            record = record.model_copy(
                update={
                    "batch": RolloutBatch(
                        number=batch.number,
                        instanceIds=list(to_restore),
                        action="Rollback",
                        startTime=fmt(now),
                    )
                }
            )
            events.append(warning("RollingBack", f"batch {batch.number}: restoring the previous OS disk of {names}"))
    return Step(record=record, events=events)


def _next(
    record: RolloutRecord,
    instances: Sequence[ObservedInstance],
    strategy: Strategy,
    signal: bool,
    now: datetime,
) -> Step:
    if record.fault is not None:
        return Step(
            record=None,
            finished=record,
            outcome="Faulted",
            events=[warning(record.fault.code, record.fault.message)],
        )
    if record.cancelRequested:
        return Step(
            record=None,
            finished=record,
            outcome="Cancelled",
            events=[normal("RolloutCancelled", "rollout cancelled after the batch in flight")],
        )
    pending = pending_instances(record, instances, strategy)
    if not pending:
        return Step(
            record=None,
            finished=record,
            outcome="Completed",
            events=[normal("RolloutCompleted", f"{len(record.done)} instances upgraded")],
        )
    if strategy.hold_reason is not None:
        return Step(record=record, waiting=strategy.hold_reason, requeue_after=30.0)
    if record.lastBatchEndTime is not None:
        remaining = strategy.policy.pause.total_seconds() - seconds_since(record.lastBatchEndTime, now)
        if remaining > 0:
            return Step(
                record=record,
                waiting=("PauseBetweenBatches", f"pausing {int(remaining)}s before the next batch"),
                requeue_after=remaining,
            )
    unhealthy = unhealthy_before_batch(instances, signal, strategy.policy)
    if unhealthy is not None:
        fault = ApiError(
            code=BEFORE_BATCH_CODE,
            message=f"{unhealthy} of {len(instances)} instances are unhealthy "
            f"(more than {strategy.policy.max_unhealthy_percent}%) before the next batch",
        )
        faulted = record.model_copy(update={"fault": fault})
        return Step(record=None, finished=faulted, outcome="Faulted", events=[warning(fault.code, fault.message)])
    chosen = select_batch(pending, len(instances), strategy.policy, signal)
    number = record.batchesCompleted + 1
    previous = dict(record.previousImageVersions)
    for i in chosen:
        previous.setdefault(i.instance_id, i.image.version)
    surge = strategy.surge_from is not None
    new_batch = RolloutBatch(
        number=number,
        instanceIds=list(_ids(chosen)),
        action="Surge" if surge else strategy.forward_name,
        startTime=fmt(now),
        surgeCapacity=(strategy.surge_from or 0) + len(chosen) if surge else None,
    )
    record = record.model_copy(
        update={"batch": new_batch, "previousImageVersions": previous, "lastProgressTime": fmt(now)}
    )
    names = ", ".join(i.name for i in chosen)
    sent = _send(record, new_batch, {i.instance_id: i for i in instances}, strategy)
    sent.events.insert(0, normal("BatchStarted", f"batch {number}: {strategy.forward_name} {names}"))
    return sent


def progress_deadline_exceeded(record: RolloutRecord, now: datetime, deadline_seconds: float) -> bool:
    last = record.lastProgressTime or record.startTime
    return (now - parse(last)).total_seconds() > deadline_seconds


__all__ = ["Step", "Strategy", "mark_batch_acted", "pending_instances", "progress_deadline_exceeded", "step"]


def _settle_surge(
    record: RolloutRecord,
    batch: RolloutBatch,
    instances: Sequence[ObservedInstance],
    strategy: Strategy,
    signal: bool,
    now: datetime,
) -> Step:
    """maxSurge: replacements are created on the new model, then the old batch is deleted once they
    are healthy; replacements that fail are deleted instead and the old instances stay.

    ``surgeInstanceIds`` holds the replacements; ``surgeFailed`` says whether they are the ones being
    deleted (unhealthy) or the old batch is; ``deleteSent`` is recorded before that delete."""
    by_id = {i.instance_id: i for i in instances}
    old = set(batch.instanceIds)
    if batch.deleteSent:
        ok = not batch.surgeFailed
        going = batch.instanceIds if ok else batch.surgeInstanceIds
        left = [i for i in going if i in by_id]
        if left:
            resend = tuple(i for i in left if by_id[i].provisioning_state != "Deleting")
            actions: list[Action] = [DeleteInstances(resend)] if resend else []
            waiting = ("WaitingForBatch", f"batch {batch.number}: deleting {', '.join(left)}")
            return Step(record=record, actions=actions, waiting=waiting, requeue_after=1.0)
        finished = _batch_done(record, batch.instanceIds if ok else [], [] if ok else batch.instanceIds, now)
        done, failed = finished.done, finished.failed
        if not ok and exceeds(len(failed), len(done) + len(failed), strategy.policy.max_unhealthy_upgraded_percent):
            fault = ApiError(
                code=AFTER_BATCH_CODE,
                message=f"batch {batch.number}: the replacements for {', '.join(batch.instanceIds)} were unhealthy; "
                f"{len(failed)} of {len(done) + len(failed)} upgraded instances failed",
                target=batch.instanceIds[0],
            )
            finished = finished.model_copy(update={"fault": fault})
        verb = "replaced" if ok else "kept (their replacements failed)"
        return Step(
            record=finished,
            events=[normal("BatchCompleted", f"batch {batch.number}: {verb} {', '.join(batch.instanceIds)}")],
        )
    started = parse(batch.startTime)
    surge = [i for i in instances if i.instance_id not in old and i.created_at >= started]
    timed_out = seconds_since(batch.startTime, now) > strategy.policy.health_timeout.total_seconds()
    if (len(surge) < len(old) or any(is_deciding(i) for i in surge)) and not timed_out:
        waiting = ("WaitingForBatch", f"batch {batch.number}: waiting for {len(old)} replacements to become healthy")
        return Step(record=record, waiting=waiting, requeue_after=2.0)
    good = [i.instance_id for i in surge if strategy.at_target(i) and is_healthy(i, signal)]
    ok = len(good) >= len(old)
    bad = [i.instance_id for i in surge]
    updated = batch.model_copy(
        update={"surgeInstanceIds": good if ok else bad, "deleteSent": True, "surgeFailed": not ok}
    )
    record = record.model_copy(update={"batch": updated, "lastProgressTime": fmt(now)})
    if ok:
        message = f"batch {batch.number}: replacements {', '.join(good)} healthy; deleting {', '.join(old)}"
        return Step(
            record=record, actions=[DeleteInstances(tuple(batch.instanceIds))], events=[normal("SurgeHealthy", message)]
        )
    message = f"batch {batch.number}: replacements {', '.join(bad) or '(none)'} unhealthy; deleting them"
    return Step(
        record=record, actions=[DeleteInstances(tuple(bad))] if bad else [], events=[warning("BatchUnhealthy", message)]
    )
