"""Gates: the checks a step's bake time requires (``rolloutPolicy.steps[].gates``).

The measuring is I/O and happens in the reconciler's observe phase; everything else is here, pure:

- ``due``: which gates the reconciler measures in this pass (from the stored intent record and
  ``now``): those of a reached step, every ``interval``, until its bake is over and every gate passed;
- ``record``: the pass's measurements folded into the step's ``GateStatus`` records (the facts later
  passes decide from);
- ``verdict``: a gate fails once its failed measurements exceed ``failureLimit``; it has passed while
  its last measurement passed. A measurement that could not be taken (``Error``: Prometheus
  unreachable, no data) neither passes nor fails: the step waits, and ``progressDeadline`` turns a
  long wait into ``Stalled``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.rollout_policy import Gate, RolloutStep
from scaleset_operator.api.rollout_status import GateStatus, StepProgress
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import RolloutRecord, ScaleSetStatus
from scaleset_operator.planner.inputs import GateMeasurement
from scaleset_operator.planner.timefmt import fmt, seconds_since


@dataclass(frozen=True)
class GateRequest:
    """A gate to measure now, and which step (reached when) the measurement is for."""

    step: int
    reached: str
    gate: Gate


@dataclass(frozen=True)
class Verdict:
    failed: tuple[GateStatus, ...] = ()
    waiting: tuple[GateStatus, ...] = ()
    """Not passed yet (never measured, or the last measurement was an error or a tolerated failure)."""


def due(status: ScaleSetStatus, spec: ScaleSetSpec, now: datetime) -> tuple[GateRequest, ...]:
    record = status.rollout
    if record is None or record.fault is not None or record.cancelRequested or record.step is None:
        return ()
    progress, steps = record.step, spec.rolloutPolicy.steps
    if progress.reachedTime is None or progress.promoted or progress.index >= len(steps):
        return ()
    step = steps[progress.index]
    if baked(step, progress, now) and not verdict(step, progress).waiting:
        return ()
    return tuple(
        GateRequest(progress.index, progress.reachedTime, gate)
        for gate in step.gates
        if _due(gate, state(progress, gate.name), now)
    )


def _due(gate: Gate, found: GateStatus, now: datetime) -> bool:
    return seconds_since(found.lastMeasured, now) >= parse_duration(gate.interval).total_seconds()


def next_due(step: RolloutStep, progress: StepProgress, now: datetime) -> float | None:
    """Seconds until the next measurement of this step's gates is due (None without gates)."""
    waits = [
        parse_duration(gate.interval).total_seconds() - seconds_since(state(progress, gate.name).lastMeasured, now)
        for gate in step.gates
    ]
    return max(0.0, min(waits)) if waits else None


def baked(step: RolloutStep, progress: StepProgress, now: datetime) -> bool:
    return seconds_since(progress.reachedTime, now) >= parse_duration(step.bakeTime).total_seconds()


def state(progress: StepProgress, name: str) -> GateStatus:
    return next((g for g in progress.gates if g.name == name), GateStatus(name=name))


def record(
    record: RolloutRecord | None, measurements: Sequence[GateMeasurement], now: datetime
) -> RolloutRecord | None:
    """The measurements taken for the record's current step, folded into its gates."""
    progress = record.step if record is not None else None
    if record is None or progress is None:
        return record
    gates = {g.name: g for g in progress.gates}
    for m in measurements:
        if m.step != progress.index or m.reached != progress.reachedTime:
            continue  # measured for a step that is over meanwhile
        gates[m.gate] = _measured(gates.get(m.gate, GateStatus(name=m.gate)), m, now)
    if list(gates.values()) == progress.gates:
        return record
    return record.model_copy(update={"step": progress.model_copy(update={"gates": list(gates.values())})})


def _measured(found: GateStatus, m: GateMeasurement, now: datetime) -> GateStatus:
    counts = {
        "passed": found.passed + (m.result == "Passed"),
        "failed": found.failed + (m.result == "Failed"),
        "errors": found.errors + (m.result == "Error"),
    }
    return found.model_copy(
        update={"phase": m.result, "lastMeasured": fmt(now), "value": m.value, "message": m.message, **counts}
    )


def verdict(step: RolloutStep, progress: StepProgress) -> Verdict:
    failed, waiting = [], []
    for gate in step.gates:
        found = state(progress, gate.name)
        if found.failed > gate.failureLimit:
            failed.append(found)
        elif found.phase != "Passed":
            waiting.append(found)
    return Verdict(tuple(failed), tuple(waiting))


def describe(found: GateStatus) -> str:
    if found.phase == "Pending":
        return f"{found.name}: not measured yet"
    return f"{found.name}: {found.message}"
