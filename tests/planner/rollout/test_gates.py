"""``gates``: which gates are measured when, how measurements are recorded, and the verdict."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scaleset_operator.api.rollout_status import GateStatus, StepProgress
from scaleset_operator.api.status import ApiError, RolloutRecord, ScaleSetStatus
from scaleset_operator.planner.inputs import GateMeasurement
from scaleset_operator.planner.rollout import gates
from scaleset_operator.planner.timefmt import fmt
from tests.planner.builders import T0
from tests.planner.specs import make_spec

PROM = {"secretRef": {"name": "prom"}, "query": "errors", "operator": "LessThan", "threshold": 0.05}
SPEC = make_spec(
    **{
        "rolloutPolicy.steps": [
            {"percent": 10, "bakeTime": "PT5M", "gates": [{"name": "errors", "prometheus": PROM, "interval": "PT1M"}]},
            {"percent": 100},
        ]
    }
)
REACHED = fmt(T0 - timedelta(minutes=2))


def status(*, reached: str | None = REACHED, index: int = 0, **gate: object) -> ScaleSetStatus:
    state = [GateStatus.model_validate({"name": "errors", **gate})] if gate else []
    progress = StepProgress(index=index, reachedTime=reached, gates=state)
    return ScaleSetStatus(rollout=RolloutRecord(kind="ModelUpgrade", target="m", startTime=REACHED, step=progress))


def ago(seconds: int) -> str:
    return fmt(T0 - timedelta(seconds=seconds))


DUE: list[tuple[str, ScaleSetStatus, bool]] = [
    ("reached, never measured", status(), True),
    ("measured 30s ago, interval 1m", status(phase="Passed", lastMeasured=ago(30)), False),
    ("measured 60s ago", status(phase="Passed", lastMeasured=ago(60)), True),
    ("not reached yet", status(reached=None), False),
    ("a step without gates", status(index=1), False),
    ("baked and passed: measuring stops", status(reached=ago(400), phase="Passed", lastMeasured=ago(90)), False),
    ("baked but the last measurement erred: measuring goes on", status(reached=ago(400), phase="Error"), True),
    ("no rollout", ScaleSetStatus(), False),
]


@pytest.mark.parametrize(("case", "given", "expected"), DUE, ids=[c[0] for c in DUE])
def test_due(case: str, given: ScaleSetStatus, expected: bool) -> None:
    found = gates.due(given, SPEC, T0)
    assert bool(found) == expected
    if found:
        assert (found[0].step, found[0].reached, found[0].gate.name) == (0, given.rollout.step.reachedTime, "errors")  # type: ignore[union-attr]


def test_a_stopped_rollout_measures_nothing() -> None:
    stopped = status().model_copy(deep=True)
    assert stopped.rollout is not None
    faulted = stopped.model_copy(
        update={"rollout": stopped.rollout.model_copy(update={"fault": ApiError(code="x", message="y")})}
    )
    assert gates.due(faulted, SPEC, T0) == ()


def measurement(result: str, *, step: int = 0, reached: str = REACHED) -> GateMeasurement:
    return GateMeasurement(step, reached, "errors", result, "0.01", f"{result.lower()} message")  # type: ignore[arg-type]


def test_measurements_are_counted_for_their_step_only() -> None:
    record = status().rollout
    record = gates.record(record, [measurement("Passed"), measurement("Failed", step=1)], T0)
    record = gates.record(record, [measurement("Error"), measurement("Passed", reached=ago(999))], T0)
    assert record is not None and record.step is not None
    assert record.step.gates == [
        GateStatus(
            name="errors",
            phase="Error",
            passed=1,
            errors=1,
            lastMeasured=fmt(T0),
            value="0.01",
            message="error message",
        )
    ]


VERDICTS: list[tuple[str, dict[str, object], int, tuple[int, int]]] = [
    ("never measured: waiting", {}, 0, (0, 1)),
    ("passed", {"phase": "Passed", "passed": 3}, 0, (0, 0)),
    ("one failure, limit 0: failed", {"phase": "Failed", "failed": 1}, 0, (1, 0)),
    ("one failure, limit 1: waiting", {"phase": "Failed", "failed": 1}, 1, (0, 1)),
    ("passed again after a tolerated failure", {"phase": "Passed", "failed": 1, "passed": 1}, 1, (0, 0)),
    ("errors never fail it", {"phase": "Error", "errors": 9}, 0, (0, 1)),
]


@pytest.mark.parametrize(("case", "state", "limit", "expected"), VERDICTS, ids=[c[0] for c in VERDICTS])
def test_verdict(case: str, state: dict[str, object], limit: int, expected: tuple[int, int]) -> None:
    step = make_spec(
        **{
            "rolloutPolicy.steps": [
                {"percent": 10, "gates": [{"name": "errors", "prometheus": PROM, "failureLimit": limit}]}
            ]
        }
    ).rolloutPolicy.steps[0]
    progress = StepProgress(gates=[GateStatus.model_validate({"name": "errors", **state})] if state else [])
    found = gates.verdict(step, progress)
    assert (len(found.failed), len(found.waiting)) == expected
