"""A ScaleSetOperation's status: one setter per condition, and ``acted`` after the call."""

from __future__ import annotations

import pytest

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.planner.decision import ACCEPTED, PENDING, Failed, OperationChange, OperationStep
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.status import operation
from scaleset_operator.planner.timefmt import fmt
from tests.planner.builders import T0, unknown

VIEW = OperationView(
    "op", ScaleSetOperationSpec(scaleSetName="web", action="Restart", allInstances=True), ScaleSetOperationStatus()
)


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (
            "Pending",
            {"Complete": "False", "Failed": "False", "Ready": "False", "Reconciling": "True", "Stalled": "False"},
        ),
        (
            "Running",
            {"Complete": "False", "Failed": "False", "Ready": "False", "Reconciling": "True", "Stalled": "False"},
        ),
        (
            "Succeeded",
            {"Complete": "True", "Failed": "False", "Ready": "True", "Reconciling": "False", "Stalled": "False"},
        ),
        (
            "Failed",
            {"Complete": "False", "Failed": "True", "Ready": "False", "Reconciling": "False", "Stalled": "True"},
        ),
    ],
)
def test_each_condition_follows_the_phase(phase: str, expected: dict[str, str]) -> None:
    assert {kind: setter(phase) for kind, setter in operation.SETTERS} == expected  # type: ignore[arg-type]


def sent() -> OperationStep:
    return OperationStep(
        VIEW, OperationChange("Running", "Running", "Restart sent", affected=("0",), acted=False), sends=True
    )


def test_acted_only_once_the_backend_accepted_the_call() -> None:
    assert operation.operation_status(sent(), PENDING, fmt(T0)).acted is False
    assert operation.operation_status(sent(), ACCEPTED, fmt(T0)).acted is True
    assert operation.operation_status(sent(), Failed(unknown("transient", "act")), fmt(T0)).acted is False


def test_a_finished_operation_has_times_and_its_reason() -> None:
    done = operation.operation_status(
        OperationStep(VIEW, OperationChange("Failed", "InstancesFailed", "no")), ACCEPTED, fmt(T0)
    )
    assert (done.phase, done.startTime, done.completionTime) == (
        "Failed",
        "2026-01-05T12:00:00Z",
        "2026-01-05T12:00:00Z",
    )
    assert {c.type: c.reason for c in done.conditions}["Stalled"] == "InstancesFailed"


def test_no_change_keeps_the_stored_status() -> None:
    assert operation.operation_status(OperationStep(VIEW), ACCEPTED, fmt(T0)) == VIEW.status
