"""``status.observation``: what could be seen, since when, and why not."""

from __future__ import annotations

from scaleset_operator.api.status import ObservationStatus, ScaleSetStatus
from scaleset_operator.planner.decision import PENDING, Failed
from scaleset_operator.planner.inputs import SpecProblem
from scaleset_operator.planner.observation import Absent
from scaleset_operator.planner.status import observation
from tests.planner.builders import inputs, unknown, view

EARLIER = "2026-01-05T10:00:00Z"


def stored(state: str, **extra: str) -> ScaleSetStatus:
    return ScaleSetStatus(observation=ObservationStatus(state=state, since=EARLIER, **extra))  # type: ignore[arg-type]


def test_observed_since_the_state_began() -> None:
    assert observation.record(view(inputs(status=stored("Observed")))) == ObservationStatus(
        state="Observed", since=EARLIER
    )
    assert observation.record(view(inputs(status=stored("Unknown")))).since == "2026-01-05T12:00:00Z"  # type: ignore[union-attr]


def test_unknown_says_why_and_since_when() -> None:
    found = observation.record(view(inputs(unknown())))
    assert found == ObservationStatus(
        state="Unknown",
        since="2026-01-05T11:59:30Z",
        phase="observe",
        cause="throttled",
        code="TooManyRequests",
        message="slow down",
    )


def test_a_failed_act_is_unknown_until_observed_again_and_kept_while_retrying() -> None:
    failed = observation.record(view(outcome=Failed(unknown("transient", "act", "Conflict"))))
    assert failed is not None and (failed.state, failed.phase, failed.code) == ("Unknown", "act", "Conflict")
    retrying = inputs(status=ScaleSetStatus(observation=failed))
    assert observation.record(view(retrying, outcome=PENDING)) == failed, "the intent write keeps the trouble shown"


def test_absent_and_unplannable() -> None:
    assert observation.record(view(inputs(Absent()))).state == "Absent"  # type: ignore[union-attr]
    blocked = inputs(problem=SpecProblem("InvalidSpec", "x"), status=stored("Observed"))
    assert observation.record(view(blocked)) == stored("Observed").observation, "nothing was looked at"
