"""``Stalled``: True only for what a person must fix, with the reason."""

from __future__ import annotations

import pytest

from scaleset_operator.planner.decision import Failed, Reason
from scaleset_operator.planner.status import stalled
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, unknown, view

UNHEALTHY = Reason("InstancesUnhealthy", "1 instances are unhealthy: web000000")

CASES: list[tuple[str, View, tuple[str, str]]] = [
    ("nothing blocks", view(), ("False", "Progressing")),
    ("throttling is not a blocker", view(inputs(unknown())), ("False", "Progressing")),
    (
        "credentials refused",
        view(inputs(unknown("unauthorized", code="AuthorizationFailed"))),
        ("True", "BackendUnauthorized"),
    ),
    ("a refused request", view(inputs(unknown("error", code="InvalidParameter"))), ("True", "BackendError")),
    (
        "the decision's first blocker",
        view(blockers=(Reason("InvalidSpec", "a"), Reason("X", "b"))),
        ("True", "InvalidSpec"),
    ),
    (
        "unavailable, retrying: not yet",
        view(inputs(unknown("transient", code="ServiceUnavailable"))),
        ("False", "Progressing"),
    ),
    (
        "unobservable for longer than progressDeadline",
        view(inputs(unknown("transient", code="ServiceUnavailable")), observation_overdue="PT30M"),
        ("True", "BackendUnavailable"),
    ),
    (
        "throttled for longer than progressDeadline",
        view(inputs(unknown()), observation_overdue="PT30M"),
        ("True", "Throttled"),
    ),
    (
        "settled unhealthy, within healthTimeout",
        view(degraded=UNHEALTHY),
        ("False", "Progressing"),
    ),
    (
        "settled unhealthy past healthTimeout (decided as a blocker)",
        view(degraded=UNHEALTHY, blockers=(UNHEALTHY,)),
        ("True", "InstancesUnhealthy"),
    ),
    (
        "a refused call while acting",
        view(outcome=Failed(unknown("error", "act", "PropertyChangeNotAllowed"))),
        ("True", "BackendError"),
    ),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_stalled(case: str, given: View, expected: tuple[str, str]) -> None:
    found = stalled.condition(given)
    assert (found.status, found.reason) == expected


def test_a_refused_call_names_azures_code_and_message() -> None:
    found = stalled.condition(view(outcome=Failed(unknown("error", "act", "PropertyChangeNotAllowed"))))
    assert found.message == "PropertyChangeNotAllowed: slow down"


def test_overdue_says_for_how_long_and_the_cause_with_the_time_last_observed() -> None:
    found = stalled.condition(
        view(inputs(unknown("transient", code="ServiceUnavailable")), observation_overdue="PT30M")
    )
    assert found.message == (
        "the scale set has not been observed for longer than PT30M (rolloutPolicy.progressDeadline): "
        "ServiceUnavailable: slow down; last observed before 2026-01-05T11:59:30Z"
    )
