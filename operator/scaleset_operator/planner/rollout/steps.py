"""Canary steps (``rolloutPolicy.steps``): checkpoints where a rollout stops, bakes, checks its gates
and, when asked, holds until a person promotes it.

A rollout with steps is the same batch machine (``batches.py``) with one more rule before each
batch: the rolling policy still sizes the batch, but a batch never crosses the current step's
checkpoint (``limit``). Once the instances done (or failed) reach the checkpoint:

1. the step is *reached*: its bake time starts (``StepProgress.reachedTime``, recorded);
2. while it bakes, instance health is watched as usual and its gates are measured (``gates.py``);
   a failed gate stops the rollout (``GateFailed``; with ``onGateFailure: Rollback`` it also rolls
   the rollout's instances back);
3. after the bake, once every gate passed: a ``pause: {}`` step holds until a ``Promote`` operation
   (which also ends the bake early); then the next step. After the last step, the rest of the
   instances (if any) roll under the plain rolling policy.

The rollout's instances (``total``) are the ones done, failed and still pending; a checkpoint of
``percent`` is rounded up (10% of 10 is 1, 10% of 5 is 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.rollout_policy import RolloutStep
from scaleset_operator.api.rollout_status import StepProgress
from scaleset_operator.api.status import ApiError, RolloutRecord
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.events import PlannedEvent, normal
from scaleset_operator.planner.rollout import gates
from scaleset_operator.planner.timefmt import fmt, seconds_since

GATE_FAILED_CODE = "GateFailed"
PROMOTION_REQUEUE_SECONDS = 30.0
INTENDED_WAITS = ("Baking", "WaitingForPromotion")
"""Waits the rollout asked for: they do not count against ``progressDeadline``."""


@dataclass(frozen=True)
class StepCheck:
    record: RolloutRecord
    limit: int | None = None
    """The next batch takes at most this many instances (None: no checkpoint ahead)."""
    waiting: Reason | None = None
    fault: ApiError | None = None
    events: tuple[PlannedEvent, ...] = ()
    requeue_after: float | None = None


def check(record: RolloutRecord, steps: Sequence[RolloutStep], total: int, now: datetime) -> StepCheck:
    """Where the rollout stands against its steps before the next batch."""
    progress = record.step or StepProgress()
    events: list[PlannedEvent] = []
    touched = len(record.done) + len(record.failed)
    while progress.index < len(steps):
        step, number = steps[progress.index], f"{progress.index + 1}/{len(steps)}"
        target = step.checkpoint(total)
        if touched < target:
            return StepCheck(_with(record, progress), limit=target - touched, events=tuple(events))
        if progress.reachedTime is None:
            progress = progress.model_copy(update={"reachedTime": fmt(now)})
            record = record.model_copy(update={"lastProgressTime": fmt(now)})
            events.append(
                normal(
                    "StepReached",
                    f"step {number} ({step.describe()}): {touched} of {total} instances; baking {step.bakeTime}",
                )
            )
        stopped = _held(step, progress, number, now)
        if stopped is not None:
            return StepCheck(
                _with(record, progress),
                events=(*events, *stopped.events),
                waiting=stopped.waiting,
                fault=stopped.fault,
                requeue_after=stopped.requeue_after,
            )
        events.append(
            normal("StepCompleted", f"step {number} ({step.describe()}) completed{_gate_summary(step, progress)}")
        )
        progress = StepProgress(index=progress.index + 1)
        record = record.model_copy(update={"lastProgressTime": fmt(now)})
    return StepCheck(_with(record, progress), events=tuple(events))


@dataclass(frozen=True)
class _Stop:
    waiting: Reason | None = None
    fault: ApiError | None = None
    events: tuple[PlannedEvent, ...] = ()
    requeue_after: float | None = None


def _held(step: RolloutStep, progress: StepProgress, number: str, now: datetime) -> _Stop | None:
    """Why the reached step is not over yet: a failed gate, the bake, gates not passed, the pause."""
    verdict = gates.verdict(step, progress)
    if verdict.failed:
        message = f"step {number}: gate " + "; ".join(gates.describe(g) for g in verdict.failed)
        return _Stop(fault=ApiError(code=GATE_FAILED_CODE, message=message))
    if progress.promoted:
        return None
    remaining = parse_duration(step.bakeTime).total_seconds() - seconds_since(progress.reachedTime, now)
    gate_wait = gates.next_due(step, progress, now)
    if remaining > 0:
        message = f"step {number} ({step.describe()}): baking, {int(remaining)}s left{_pending(verdict)}"
        wait = min(remaining, gate_wait) if gate_wait is not None else remaining
        return _Stop(Reason("Baking", message), requeue_after=max(1.0, wait))
    if verdict.waiting:
        names = "; ".join(gates.describe(g) for g in verdict.waiting)
        message = f"step {number} ({step.describe()}): baked; waiting for gates to pass: {names}"
        return _Stop(Reason("WaitingForGates", message), requeue_after=max(1.0, gate_wait or 1.0))
    if step.pause is not None:
        message = f"step {number} ({step.describe()}): held until a Promote operation"
        return _Stop(Reason("WaitingForPromotion", message), requeue_after=PROMOTION_REQUEUE_SECONDS)
    return None


def _pending(verdict: gates.Verdict) -> str:
    return f"; gates: {'; '.join(gates.describe(g) for g in verdict.waiting)}" if verdict.waiting else ""


def _gate_summary(step: RolloutStep, progress: StepProgress) -> str:
    if progress.promoted:
        return " (promoted)"
    if not step.gates:
        return ""
    return "; gates passed: " + ", ".join(f"{g.name} ({g.value})" for g in progress.gates if g.phase == "Passed")


def _with(record: RolloutRecord, progress: StepProgress) -> RolloutRecord:
    return record if record.step == progress else record.model_copy(update={"step": progress})


def waiting_at(record: RolloutRecord | None) -> bool:
    """A reached step holds the rollout (baking, checking its gates, or paused): Promote applies."""
    return record is not None and record.step is not None and record.step.reachedTime is not None


def promoted(record: RolloutRecord) -> RolloutRecord:
    assert record.step is not None
    return record.model_copy(update={"step": record.step.model_copy(update={"promoted": True})})
