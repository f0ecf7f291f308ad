"""The rollout concern of a pass: start a rollout when one is due, step it, chain the next one, and
say what it is doing, what it waits for and what blocks it."""

from __future__ import annotations

from datetime import datetime

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.status import RolloutRecord, RolloutResult
from scaleset_operator.planner import requeue
from scaleset_operator.planner.decision import Effects, FinishedRollout, Reason, RolloutStep
from scaleset_operator.planner.drift import Drift, differences
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.rollout import batches, progress
from scaleset_operator.planner.rollout.record import BatchStep
from scaleset_operator.planner.rollout.results import merged
from scaleset_operator.planner.rollout.starting import disk_target, start_or_retarget
from scaleset_operator.planner.rollout.strategies import strategy_for
from scaleset_operator.planner.timefmt import parse

CHAINED_PER_PASS = 2
"""A rollout that ends may let the next due one start (and send its first batch) in the same pass."""
HOLDS = frozenset({"Paused", "OutsideMaintenanceWindow", "PauseBetweenBatches"})
"""Waits by design: they never count against ``progressDeadline``."""


def step(facts: Facts, record: RolloutRecord | None) -> tuple[RolloutStep, Effects]:
    """``record``: the intent record as this pass found it (after any operation changed it)."""
    record, started = start_or_retarget(facts, record)
    effects = Effects(events=tuple(started))
    finished: list[FinishedRollout] = []
    last: BatchStep | None = None
    for _ in range(CHAINED_PER_PASS):
        if record is None:
            break
        last = batches.step(record, facts.instances, strategy_for(facts, record), facts.signal, facts.now)
        effects += Effects(last.actions, last.events, last.requeue_after)
        record = last.record
        if last.finished is None or last.outcome is None:
            break
        finished.append(FinishedRollout(last.finished, last.outcome))
        if last.outcome != "Completed":
            break  # a Faulted or Cancelled rollout is reported first; nothing else starts this pass
        record, started = start_or_retarget(facts, None)
        effects += Effects(events=tuple(started))
    return _rollout_step(facts, record, finished, last), effects


def current(facts: Facts) -> RolloutStep:
    """The stored rollout, not stepped (a pass busy with the model): shown as it stands."""
    return _rollout_step(facts, facts.status.rollout, [], None)


def _rollout_step(
    facts: Facts, record: RolloutRecord | None, finished: list[FinishedRollout], last: BatchStep | None
) -> RolloutStep:
    results = merged(facts.status.lastRollouts, finished, facts.now)
    if record is None:
        return RolloutStep(None, tuple(finished), results, faulted=_faulted(facts, results))
    counts = progress.counts(facts, record)
    waiting = last.waiting if last is not None else None
    no_progress = stuck(facts, record, waiting)
    activity = no_progress or waiting or Reason("RollingForward", progress.summary(record, counts))
    return RolloutStep(
        record,
        tuple(finished),
        results,
        counts=counts,
        activity=activity,
        moving=no_progress is None and (waiting is None or waiting.reason == "WaitingForBatch"),
        sends_batch=last is not None and bool(last.actions) and record.batch is not None,
        stuck=no_progress,
    )


def summary(step: RolloutStep) -> Reason | None:
    """What Reconciling says while a rollout runs."""
    if step.record is None or step.counts is None or step.activity is None:
        return None
    message = progress.summary(step.record, step.counts)
    if step.activity.reason == "RollingForward":
        return Reason("RollingForward", message)
    return Reason(step.activity.reason, f"{message}; {step.activity.message}")


def stuck(facts: Facts, record: RolloutRecord, waiting: Reason | None) -> Reason | None:
    """No progress within ``progressDeadline`` while waiting (then RolloutProgressing is False too: a
    rollout reported stalled is never reported progressing). Waits the rollout is meant to make do
    not count, as a Deployment's deadline is not checked while it is paused: a hold (``spec.paused``,
    outside the maintenance window, the pause between batches), and a batch within its health
    timeout, which is progress even when ``progressDeadline`` is the shorter (a rule refused at
    apply time, but a ScaleSet stored before it still runs)."""
    if waiting is None or waiting.reason in HOLDS:
        return None
    deadline = facts.spec.rolloutPolicy.progressDeadline
    if requeue.seconds_left(last_progress(facts, record), parse_duration(deadline), facts.now) > 0:
        return None
    return Reason("ProgressDeadlineExceeded", f"no rollout progress within {deadline}: {waiting.message}")


def last_progress(facts: Facts, record: RolloutRecord) -> datetime:
    """The last progress, counting a batch in flight as progress until its health timeout is over."""
    last = parse(record.lastProgressTime or record.startTime)
    if record.batch is not None:
        last = max(last, parse(record.batch.startTime) + parse_duration(facts.spec.rolloutPolicy.healthTimeout))
    return last


def _faulted(facts: Facts, results: tuple[RolloutResult, ...]) -> Reason | None:
    """The most recent Faulted rollout whose target is still wanted: it needs a person."""
    for result in results:
        if result.outcome == "Faulted" and result.error is not None and _still_wanted(facts, result):
            return Reason(result.error.code, result.error.message)
    return None


def _still_wanted(facts: Facts, result: RolloutResult) -> bool:
    if result.kind == "ModelUpgrade":
        return result.target == facts.model_hash and any(not i.latest_model_applied for i in facts.instances)
    if result.kind == "OSUpgrade":
        return result.target == facts.latest_image_version
    return result.target == disk_target(facts) and any(
        d.kind is Drift.DATA_DISK_SIZE
        for i in facts.instances
        for d in differences(i, facts.desired, facts.latest_image_version)
    )
