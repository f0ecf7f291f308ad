"""``Reconciling``: True while the operator works (or retries), False when idle or blocked."""

from __future__ import annotations

import pytest

from scaleset_operator.planner.decision import Failed, Reason
from scaleset_operator.planner.status import reconciling
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, unknown, view

CASES: list[tuple[str, View, tuple[str, str]]] = [
    ("idle", view(), ("False", "Idle")),
    ("rolling", view(progress=(Reason("RollingForward", "2/5"),)), ("True", "RollingForward")),
    ("the first activity wins", view(progress=(Reason("Creating", "a"), Reason("Scaling", "b"))), ("True", "Creating")),
    ("throttled: retrying is progress", view(inputs(unknown())), ("True", "Throttled")),
    ("a 5xx: retrying", view(inputs(unknown("transient", code="ServiceUnavailable"))), ("True", "BackendUnavailable")),
    (
        "unobservable past progressDeadline: stalled, not progressing",
        view(inputs(unknown("transient")), observation_overdue="PT30M"),
        ("False", "Idle"),
    ),
    ("settled unhealthy: nothing in progress", view(degraded=Reason("InstancesUnhealthy", "x")), ("False", "Idle")),
    ("credentials refused: blocked, not progressing", view(inputs(unknown("unauthorized"))), ("False", "Idle")),
    (
        "blocked while busy",
        view(progress=(Reason("RollingForward", "x"),), blockers=(Reason("Stuck", "y"),)),
        ("False", "Idle"),
    ),
    ("an act failed: retrying", view(outcome=Failed(unknown("transient", "act"))), ("True", "BackendUnavailable")),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reconciling(case: str, given: View, expected: tuple[str, str]) -> None:
    found = reconciling.condition(given)
    assert (found.status, found.reason) == expected
