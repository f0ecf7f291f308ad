"""The batch state machine shared by every kind of rollout.

A rollout's state lives in ``status.rollout`` (the intent record); each pass does at most this, in
order:

1. a batch in flight that was recorded but not yet sent: send it, to the instances that are neither
   at the target nor busy (so a crash between recording and sending never upgrades one twice);
2. a batch that was sent: wait until its instances are settled and healthy, up to the health timeout;
   then count successes and failures, apply the after-batch stop rule, and record a rollback batch
   when one is due (maxSurge batches settle in ``max_surge``);
3. no batch in flight: finish when faulted, cancelled or nothing is pending; hold when paused,
   outside the maintenance window or within the pause between batches; apply the before-batch stop
   rule; record the next batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from scaleset_operator.api.status import ApiError, RolloutBatch, RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.actions import Action, ApplyModel
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.health import is_deciding, is_healthy
from scaleset_operator.planner.rolling_policy import (
    AFTER_BATCH_CODE,
    BEFORE_BATCH_CODE,
    TIMEOUT_CODE,
    exceeds,
    select_batch,
    unhealthy_before_batch,
)
from scaleset_operator.planner.rollout import max_surge
from scaleset_operator.planner.rollout.record import (
    SEND_REQUEUE_SECONDS,
    BatchStep,
    batch_done,
    instance_errors,
    mark_batch_acted,
)
from scaleset_operator.planner.rollout.strategies import Strategy
from scaleset_operator.planner.timefmt import fmt, seconds_since

HOLD_REQUEUE_SECONDS = 30.0


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
    record: RolloutRecord, instances: Sequence[ObservedInstance], strategy: Strategy, signal: bool, now: datetime
) -> BatchStep:
    by_id = {i.instance_id: i for i in instances}
    batch = record.batch
    if batch is None:
        return _next(record, instances, strategy, signal, now)
    if not batch.acted:
        return send(record, batch, by_id, strategy)
    if batch.action == "Surge":
        settled = max_surge.settle(record, batch, instances, strategy, signal, now)
    else:
        settled = _settle(record, batch, by_id, strategy, signal, now)
    if settled.record is not None and settled.record.batch is not None:
        return settled  # still waiting, or a rollback batch was just recorded
    nxt = _next(settled.record or record, instances, strategy, signal, now)
    return replace(nxt, events=settled.events + nxt.events)


def send(
    record: RolloutRecord, batch: RolloutBatch, by_id: dict[str, ObservedInstance], strategy: Strategy
) -> BatchStep:
    """The batch's call, to its members that are neither busy nor already at the target."""
    if batch.action == "Surge":
        assert batch.surgeCapacity is not None
        return BatchStep(record, (ApplyModel(batch.surgeCapacity, reason="Surge"),), requeue_after=SEND_REQUEUE_SECONDS)
    ready = [i for i in batch.instanceIds if i in by_id and not by_id[i].busy]
    actions: list[Action] = []
    if batch.action == "Rollback":
        todo = tuple(i for i in ready if i in record.previousImageVersions)
        actions = strategy.rollback(record, todo) if (strategy.rollback and todo) else []
    else:
        todo = tuple(i for i in ready if not strategy.at_target(by_id[i]))
        actions = [strategy.forward(todo)] if todo else []
    if not actions:
        return BatchStep(mark_batch_acted(record))
    return BatchStep(record, tuple(actions), requeue_after=SEND_REQUEUE_SECONDS)


def _settle(
    record: RolloutRecord,
    batch: RolloutBatch,
    by_id: dict[str, ObservedInstance],
    strategy: Strategy,
    signal: bool,
    now: datetime,
) -> BatchStep:
    members = [by_id[i] for i in batch.instanceIds if i in by_id]
    deciding = [i for i in members if is_deciding(i)]
    waited = seconds_since(batch.startTime, now)
    timeout = strategy.policy.health_timeout.total_seconds()
    if deciding and waited <= timeout:
        names = ", ".join(i.name for i in deciding[:3])
        waiting = Reason("WaitingForBatch", f"batch {batch.number}: waiting for {names} to become healthy")
        return BatchStep(record, waiting=waiting, requeue_after=max(1.0, min(5.0, timeout - waited)))
    if batch.action == "Rollback":
        return _settle_rollback(record, batch, members, signal, now)
    return _settle_forward(record, batch, by_id, members, strategy, signal, now, timed_out=bool(deciding))


def _settle_rollback(
    record: RolloutRecord, batch: RolloutBatch, members: list[ObservedInstance], signal: bool, now: datetime
) -> BatchStep:
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
    event = normal("RolledBack", f"batch {batch.number}: restored {len(good)}, failed {len(bad)}")
    return BatchStep(record, events=(event,))


def _settle_forward(
    record: RolloutRecord,
    batch: RolloutBatch,
    by_id: dict[str, ObservedInstance],
    members: list[ObservedInstance],
    strategy: Strategy,
    signal: bool,
    now: datetime,
    *,
    timed_out: bool,
) -> BatchStep:
    good = [i.instance_id for i in members if strategy.at_target(i) and is_healthy(i, signal)]
    # Healthy but not at the target (the target moved while the batch ran): pending again, not failed.
    bad = [i.instance_id for i in members if not is_healthy(i, signal)]
    record = batch_done(record, good, bad, now)
    events = [normal("BatchCompleted", f"batch {batch.number}: {len(good)} upgraded, {len(bad)} unhealthy")]
    if not bad:
        return BatchStep(record, events=tuple(events))
    names = ", ".join(_described(i, by_id) for i in bad)
    events.append(warning("BatchUnhealthy", f"batch {batch.number}: {names} unhealthy after upgrade"))
    done, failed = record.done, record.failed
    breach = exceeds(len(failed), len(done) + len(failed), strategy.policy.max_unhealthy_upgraded_percent)
    if breach:
        fault = ApiError(
            code=TIMEOUT_CODE if timed_out else AFTER_BATCH_CODE,
            message=f"{len(failed)} of {len(done) + len(failed)} upgraded instances are unhealthy "
            f"(more than {strategy.policy.max_unhealthy_upgraded_percent}%): {names}",
            target=bad[0],
            details=instance_errors(bad, by_id),
        )
        record = record.model_copy(update={"fault": fault})
    if strategy.rollback_each_failed_batch or (breach and strategy.rollback_on_breach):
        record, rolling_back = _record_rollback(record, batch, bad, by_id, strategy, now)
        events.extend(rolling_back)
    return BatchStep(record, events=tuple(events))


def _described(instance_id: str, by_id: dict[str, ObservedInstance]) -> str:
    found = by_id.get(instance_id)
    if found is None:
        return instance_id
    return f"{found.name} ({found.last_error.code})" if found.last_error is not None else found.name


def _record_rollback(
    record: RolloutRecord,
    batch: RolloutBatch,
    bad: list[str],
    by_id: dict[str, ObservedInstance],
    strategy: Strategy,
    now: datetime,
) -> tuple[RolloutRecord, list[PlannedEvent]]:
    """A rollback batch for the failed instances whose image changed (restore the previous OS disk)."""
    to_restore = [
        i
        for i in bad
        if i in by_id and record.previousImageVersions.get(i, by_id[i].image.version) != by_id[i].image.version
    ]
    if not to_restore or strategy.rollback is None:
        return record, []
    rollback = RolloutBatch(number=batch.number, instanceIds=to_restore, action="Rollback", startTime=fmt(now))
    names = ", ".join(by_id[i].name for i in to_restore)
    event = warning("RollingBack", f"batch {batch.number}: restoring the previous OS disk of {names}")
    return record.model_copy(update={"batch": rollback}), [event]


def _next(
    record: RolloutRecord, instances: Sequence[ObservedInstance], strategy: Strategy, signal: bool, now: datetime
) -> BatchStep:
    pending = pending_instances(record, instances, strategy)
    ended = _ended(record, pending)
    if ended is not None:
        return ended
    held = _held(record, strategy, now)
    if held is not None:
        return held
    unhealthy = unhealthy_before_batch(instances, signal, strategy.policy)
    if unhealthy is not None:
        fault = ApiError(
            code=BEFORE_BATCH_CODE,
            message=f"{unhealthy} of {len(instances)} instances are unhealthy "
            f"(more than {strategy.policy.max_unhealthy_percent}%) before the next batch",
        )
        faulted = record.model_copy(update={"fault": fault})
        return BatchStep(None, finished=faulted, outcome="Faulted", events=(warning(fault.code, fault.message),))
    return _start_batch(
        record, select_batch(pending, len(instances), strategy.policy, signal), instances, strategy, now
    )


def _ended(record: RolloutRecord, pending: list[ObservedInstance]) -> BatchStep | None:
    if record.fault is not None:
        event = warning(record.fault.code, record.fault.message)
        return BatchStep(None, finished=record, outcome="Faulted", events=(event,))
    if record.cancelRequested:
        event = normal("RolloutCancelled", "rollout cancelled after the batch in flight")
        return BatchStep(None, finished=record, outcome="Cancelled", events=(event,))
    if not pending:
        event = normal("RolloutCompleted", f"{len(record.done)} instances upgraded")
        return BatchStep(None, finished=record, outcome="Completed", events=(event,))
    return None


def _held(record: RolloutRecord, strategy: Strategy, now: datetime) -> BatchStep | None:
    if strategy.hold_reason is not None:
        return BatchStep(record, waiting=strategy.hold_reason, requeue_after=HOLD_REQUEUE_SECONDS)
    if record.lastBatchEndTime is None:
        return None
    remaining = strategy.policy.pause.total_seconds() - seconds_since(record.lastBatchEndTime, now)
    if remaining <= 0:
        return None
    waiting = Reason("PauseBetweenBatches", f"pausing {int(remaining)}s before the next batch")
    return BatchStep(record, waiting=waiting, requeue_after=remaining)


def _start_batch(
    record: RolloutRecord,
    chosen: list[ObservedInstance],
    instances: Sequence[ObservedInstance],
    strategy: Strategy,
    now: datetime,
) -> BatchStep:
    """Record the next batch (the intent), then send it in the same pass."""
    number = record.batchesCompleted + 1
    previous = dict(record.previousImageVersions)
    for i in chosen:
        previous.setdefault(i.instance_id, i.image.version)
    surge = strategy.surge_from is not None
    new_batch = RolloutBatch(
        number=number,
        instanceIds=[i.instance_id for i in chosen],
        action="Surge" if surge else strategy.forward_name,
        startTime=fmt(now),
        surgeCapacity=(strategy.surge_from or 0) + len(chosen) if surge else None,
    )
    record = record.model_copy(
        update={"batch": new_batch, "previousImageVersions": previous, "lastProgressTime": fmt(now)}
    )
    sent = send(record, new_batch, {i.instance_id: i for i in instances}, strategy)
    started = normal("BatchStarted", f"batch {number}: {strategy.forward_name} {', '.join(i.name for i in chosen)}")
    return replace(sent, events=(started, *sent.events))
