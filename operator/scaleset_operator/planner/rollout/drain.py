"""The drain hook (``rolloutPolicy.drain``): a Job per instance of a batch, run before the batch's call.

Crash-safe like the batch itself: the batch is recorded with its drain (the Job names are derived from
the rollout, the batch and the instance, so a restarted operator finds them) before any Job exists;
each pass asks the reconciler to create the Jobs still missing; the batch is sent once every Job
succeeded (``BatchDrain.succeeded`` remembers those seen succeeded, so a Job deleted afterwards by its
TTL is not run again). A failed Job, or one not finished within ``timeout``, blocks the batch
(``Stalled``, naming the Job): delete the Job to run it again, or cancel or abort the rollout. The
wait counts in the rollout's timing (``drainSeconds``) and the health timeout starts when the batch
is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from scaleset_operator.api.rollout_status import BatchDrain
from scaleset_operator.api.status import RolloutBatch, RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.actions import DrainJob
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.events import normal, warning
from scaleset_operator.planner.inputs import JobState
from scaleset_operator.planner.rollout.record import BatchStep
from scaleset_operator.planner.rollout.strategies import Drain, Strategy
from scaleset_operator.planner.timefmt import fmt, seconds_since

BLOCKED = ("DrainFailed", "DrainTimeout")
"""Waits only a person ends (Stalled)."""
WAIT_REQUEUE_SECONDS = 2.0
BLOCKED_REQUEUE_SECONDS = 30.0
DISRUPTIONS = {"Surge": "Delete", "Upgrade": "Upgrade", "Reimage": "Reimage", "ReimageAll": "ReimageAll"}


def job_name(scale_set: str, record: RolloutRecord, batch: int, instance_id: str) -> str:
    """``<scaleset>-drain-<rollout>-<batch>-<instance>``: at most 63 characters, the same after a restart."""
    rollout = hashlib.sha256(f"{record.kind}/{record.target}/{record.startTime}".encode()).hexdigest()[:6]
    return f"{scale_set[:30].rstrip('-')}-drain-{rollout}-{batch}-{instance_id}"


def begin(record: RolloutRecord, batch: RolloutBatch, drain: Drain, now: datetime) -> RolloutBatch:
    names = [job_name(drain.scale_set, record, batch.number, i) for i in batch.instanceIds]
    return batch.model_copy(update={"drain": BatchDrain(startTime=fmt(now), jobs=names)})


def jobs(batch: RolloutBatch, instances: Sequence[ObservedInstance], strategy: Strategy) -> tuple[DrainJob, ...]:
    """The batch's Jobs that do not exist and never succeeded: the reconciler creates them."""
    assert batch.drain is not None and strategy.drain is not None
    by_id = {i.instance_id: i for i in instances}
    wanted = []
    for instance_id, name in zip(batch.instanceIds, batch.drain.jobs, strict=True):
        if name in strategy.drain.jobs or name in batch.drain.succeeded:
            continue
        found = by_id.get(instance_id)
        instance_name = found.name if found is not None else instance_id
        disruption = DISRUPTIONS.get(batch.action, batch.action)
        wanted.append(DrainJob(name, instance_id, instance_name, disruption, int(strategy.drain.timeout)))
    return tuple(wanted)


def step(
    record: RolloutRecord, batch: RolloutBatch, instances: Sequence[ObservedInstance], strategy: Strategy, now: datetime
) -> BatchStep:
    """Wait for the batch's Jobs; once all succeeded, the batch (sent by the caller) starts its clock."""
    assert batch.drain is not None and strategy.drain is not None
    if record.cancelRequested or record.fault is not None:
        message = f"batch {batch.number}: not sent (the rollout stops); its drain Jobs are left as they are"
        return BatchStep(record.model_copy(update={"batch": None}), events=(normal("DrainAbandoned", message),))
    before = batch.drain
    batch = _seen(batch, strategy.drain.jobs)
    record = record.model_copy(update={"batch": batch}) if batch.drain != before else record
    drain = batch.drain
    assert drain is not None
    if len(drain.succeeded) == len(drain.jobs):
        return _drained(record, batch, now)
    if drain.failed:
        return _failed(record, batch, strategy.drain.jobs, new=[n for n in drain.failed if n not in before.failed])
    left = [n for n in drain.jobs if n not in drain.succeeded]
    waited = seconds_since(drain.startTime, now)
    if waited > strategy.drain.timeout:
        message = (
            f"batch {batch.number}: drain Job {', '.join(left)} did not finish within {int(strategy.drain.timeout)}s"
        )
        return BatchStep(record, waiting=Reason("DrainTimeout", message), requeue_after=BLOCKED_REQUEUE_SECONDS)
    done = f"{len(drain.succeeded)}/{len(drain.jobs)} done"
    message = f"batch {batch.number}: waiting for drain Jobs {', '.join(left)} ({done})"
    return BatchStep(
        record,
        waiting=Reason("Draining", message),
        jobs=jobs(batch, instances, strategy),
        requeue_after=min(WAIT_REQUEUE_SECONDS, max(1.0, strategy.drain.timeout - waited)),
    )


def _seen(batch: RolloutBatch, observed: Mapping[str, JobState]) -> RolloutBatch:
    """The Jobs seen succeeded (kept: a Job deleted later by its TTL is not run again) and failed now."""
    drain = batch.drain
    assert drain is not None
    seen = {n: observed[n].phase for n in drain.jobs if n in observed}
    succeeded = [n for n in drain.jobs if n in drain.succeeded or seen.get(n) == "Succeeded"]
    failed = [n for n in drain.jobs if seen.get(n) == "Failed" and n not in succeeded]
    if (succeeded, failed) == (drain.succeeded, drain.failed):
        return batch
    return batch.model_copy(update={"drain": drain.model_copy(update={"succeeded": succeeded, "failed": failed})})


def _failed(record: RolloutRecord, batch: RolloutBatch, observed: Mapping[str, JobState], new: list[str]) -> BatchStep:
    assert batch.drain is not None
    names = ", ".join(f"{n} ({observed[n].message})" if observed[n].message else n for n in batch.drain.failed)
    message = (
        f"batch {batch.number}: drain Job {names} failed; delete the Job to run it again, "
        "or cancel or abort the rollout"
    )
    events = (warning("DrainFailed", message),) if new else ()
    return BatchStep(
        record, waiting=Reason("DrainFailed", message), requeue_after=BLOCKED_REQUEUE_SECONDS, events=events
    )


def _drained(record: RolloutRecord, batch: RolloutBatch, now: datetime) -> BatchStep:
    assert batch.drain is not None
    took = int(seconds_since(batch.drain.startTime, now))
    drained = batch.model_copy(
        update={"drain": batch.drain.model_copy(update={"endTime": fmt(now)}), "startTime": fmt(now)}
    )
    record = record.model_copy(update={"batch": drained, "drainSeconds": record.drainSeconds + took})
    event = normal("BatchDrained", f"batch {batch.number}: drain Jobs succeeded after {took}s")
    return BatchStep(record, events=(event,))


def draining(batch: RolloutBatch | None) -> bool:
    return batch is not None and batch.drain is not None and batch.drain.endTime is None
