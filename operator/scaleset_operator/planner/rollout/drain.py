"""The drain hook of a rollout batch (``rolloutPolicy.drain``; the core is ``planner/drain_hook.py``).

Crash-safe like the batch itself: the batch is recorded with its drain (the Job names derive from the
rollout, the batch and the instance, so a restarted operator finds them) before any Job exists; each
pass asks the reconciler to create the Jobs still missing; the batch is sent once every Job
succeeded. A failed Job, or one not finished within ``timeout``, blocks the batch (``Stalled``,
naming the Job): delete the Job to run it again, or cancel or abort the rollout. The wait counts in
the rollout's timing (``drainSeconds``), and the health timeout starts when the batch is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scaleset_operator.api.status import RolloutBatch, RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner import drain_hook
from scaleset_operator.planner.actions import DrainJob
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.events import normal, warning
from scaleset_operator.planner.rollout.record import BatchStep
from scaleset_operator.planner.rollout.strategies import Drain, Strategy
from scaleset_operator.planner.timefmt import fmt, seconds_since

BLOCKED = ("DrainFailed", "DrainTimeout")
"""Waits only a person ends (Stalled)."""
WAIT_REQUEUE_SECONDS = 2.0
BLOCKED_REQUEUE_SECONDS = 30.0
DISRUPTIONS = {"Surge": "Delete", "Upgrade": "Upgrade", "Reimage": "Reimage", "ReimageAll": "ReimageAll"}


def begin(record: RolloutRecord, batch: RolloutBatch, drain: Drain, now: datetime) -> RolloutBatch:
    scope = f"{record.kind}/{record.target}/{record.startTime}"
    started = drain_hook.begin(drain.scale_set, scope, str(batch.number), batch.instanceIds, now)
    return batch.model_copy(update={"drain": started})


def jobs(batch: RolloutBatch, instances: Sequence[ObservedInstance], strategy: Strategy) -> tuple[DrainJob, ...]:
    assert batch.drain is not None and strategy.drain is not None
    disruption = DISRUPTIONS.get(batch.action, batch.action)
    hook = strategy.drain
    return drain_hook.missing(batch.drain, batch.instanceIds, instances, hook.jobs, disruption, hook.timeout)


def step(
    record: RolloutRecord, batch: RolloutBatch, instances: Sequence[ObservedInstance], strategy: Strategy, now: datetime
) -> BatchStep:
    """Wait for the batch's Jobs; once all succeeded, the batch (sent by the caller) starts its clock."""
    assert batch.drain is not None and strategy.drain is not None
    if record.cancelRequested or record.fault is not None:
        message = f"batch {batch.number}: not sent (the rollout stops); its drain Jobs are left as they are"
        return BatchStep(record.model_copy(update={"batch": None}), events=(normal("DrainAbandoned", message),))
    found = drain_hook.assess(batch.drain, strategy.drain.jobs, strategy.drain.timeout, now)
    if found.drain != batch.drain:
        batch = batch.model_copy(update={"drain": found.drain})
        record = record.model_copy(update={"batch": batch})
    message = f"batch {batch.number}: {found.message}"
    if found.state == "Drained":
        return _drained(record, batch, message, now)
    if found.state == "Failed":
        message += "; delete the Job to run it again, or cancel or abort the rollout"
        events = (warning("DrainFailed", message),) if found.newly_failed else ()
        return BatchStep(
            record, waiting=Reason("DrainFailed", message), requeue_after=BLOCKED_REQUEUE_SECONDS, events=events
        )
    if found.state == "TimedOut":
        return BatchStep(record, waiting=Reason("DrainTimeout", message), requeue_after=BLOCKED_REQUEUE_SECONDS)
    left = strategy.drain.timeout - seconds_since(found.drain.startTime, now)
    return BatchStep(
        record,
        waiting=Reason("Draining", message),
        jobs=jobs(batch, instances, strategy),
        requeue_after=min(WAIT_REQUEUE_SECONDS, max(1.0, left)),
    )


def _drained(record: RolloutRecord, batch: RolloutBatch, message: str, now: datetime) -> BatchStep:
    assert batch.drain is not None
    took = int(seconds_since(batch.drain.startTime, now))
    drained = batch.model_copy(update={"drain": drain_hook.drained(batch.drain, now), "startTime": fmt(now)})
    record = record.model_copy(update={"batch": drained, "drainSeconds": record.drainSeconds + took})
    return BatchStep(record, events=(normal("BatchDrained", message),))


def draining(batch: RolloutBatch | None) -> bool:
    return batch is not None and batch.drain is not None and batch.drain.endTime is None
