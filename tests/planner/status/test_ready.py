"""``Ready``: one row per situation a user can be in."""

from __future__ import annotations

import pytest

from scaleset_operator.planner.decision import Failed, Reason
from scaleset_operator.planner.inputs import SpecProblem
from scaleset_operator.planner.status import ready
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, unknown, view

CASES: list[tuple[str, View, tuple[str, str]]] = [
    ("converged", view(), ("True", "Converged")),
    ("the cloud cannot be read: unknown, not false", view(inputs(unknown())), ("Unknown", "Throttled")),
    ("credentials refused: unknown", view(inputs(unknown("unauthorized"))), ("Unknown", "BackendUnauthorized")),
    ("unavailable: unknown", view(inputs(unknown("transient"))), ("Unknown", "BackendUnavailable")),
    (
        "unobservable past progressDeadline: still unknown",
        view(inputs(unknown("transient")), observation_overdue="PT30M"),
        ("Unknown", "BackendUnavailable"),
    ),
    (
        "invalid spec",
        view(inputs(problem=SpecProblem("InvalidSpec", "sku: missing")), blockers=(Reason("InvalidSpec", "x"),)),
        ("False", "InvalidSpec"),
    ),
    ("a blocker", view(blockers=(Reason("ProgressDeadlineExceeded", "stuck"),)), ("False", "ProgressDeadlineExceeded")),
    ("busy", view(progress=(Reason("RollingForward", "2/5"),)), ("False", "RollingForward")),
    (
        "unhealthy instances",
        view(degraded=Reason("InstancesUnhealthy", "1 unhealthy")),
        ("False", "InstancesUnhealthy"),
    ),
    (
        "a call failed while acting",
        view(outcome=Failed(unknown("transient", "act", "Conflict"))),
        ("False", "BackendUnavailable"),
    ),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_ready(case: str, given: View, expected: tuple[str, str]) -> None:
    found = ready.condition(given)
    assert (found.status, found.reason) == expected


def test_converged_says_what_converged_means_in_manual_mode() -> None:
    found = ready.condition(view(converged_message="3 instances await a manual upgrade"))
    assert found.message == "3 instances await a manual upgrade"


def test_a_stale_message_says_since_when_and_why() -> None:
    message = ready.condition(view(inputs(unknown()))).message
    assert message == "TooManyRequests: slow down; last observed before 2026-01-05T11:59:30Z"
