"""``Autoscaling``: whether the autoscale setting decides the capacity now; absent when none matters."""

from __future__ import annotations

import pytest

from scaleset_operator.api.status import AutoscaleStatus, ScaleSetStatus
from scaleset_operator.planner.decision import PENDING, AutoscaleStep, CapacityStep, Failed, Reason
from scaleset_operator.planner.status import autoscaling
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, unknown, view

OWNED = CapacityStep("Autoscale", 3, 3, False, stale_spec=2)


def setting(state: str = "Applied", **extra: object) -> AutoscaleStatus:
    fields = {
        "name": "web-autoscale",
        "state": state,
        "enabled": True,
        "profile": "default",
        "minimum": 2,
        "maximum": 5,
    }
    return AutoscaleStatus.model_validate({**fields, **extra})


def step(status: AutoscaleStatus | None, **extra: object) -> AutoscaleStep:
    return AutoscaleStep(status, **extra)  # type: ignore[arg-type]


def with_step(autoscale: AutoscaleStep | None, **extra: object) -> View:
    return view(capacity=OWNED, autoscale=autoscale, **extra)


APPLYING = step(setting("Applying"), activity=Reason("ApplyingAutoscale", "creating"), sends=True)
DELETING = step(setting("Deleting"), activity=Reason("DeletingAutoscale", "removed"), sends=True)
STORED = ScaleSetStatus(autoscale=setting())

CASES: list[tuple[str, View, tuple[str, str] | None]] = [
    ("no setting matters", with_step(None), None),
    ("nothing read", with_step(step(None)), None),
    ("being written", with_step(APPLYING, outcome=PENDING), ("False", "Applying")),
    ("written: the cloud accepted it", with_step(APPLYING), ("True", "Active")),
    ("in place", with_step(step(setting())), ("True", "Active")),
    ("held for a rollout batch", with_step(step(setting(heldMinimum=4))), ("True", "HeldForRollout")),
    ("disabled", with_step(step(setting(enabled=False))), ("False", "Disabled")),
    ("another setting targets the scale set", with_step(step(setting("Conflict"))), ("False", "Conflict")),
    ("made elsewhere, enabled", with_step(step(setting("External"))), ("True", "External")),
    ("being deleted", with_step(DELETING, outcome=PENDING), ("False", "Deleting")),
    ("deleted", with_step(DELETING), None),
    (
        "its write failed",
        with_step(APPLYING, outcome=Failed(unknown("transient", "act", "InternalServerError"))),
        ("False", "BackendUnavailable"),
    ),
    ("the cloud cannot be read", view(inputs(unknown(), status=STORED)), ("Unknown", "Throttled")),
    ("the cloud cannot be read, no setting before", view(inputs(unknown())), None),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_autoscaling(case: str, given: View, expected: tuple[str, str] | None) -> None:
    found = autoscaling.condition(given)
    assert ((found.status, found.reason) if found is not None else None) == expected


def test_the_message_says_what_is_in_force_and_what_comes_next() -> None:
    last = {
        "time": "2026-01-05T11:58:00Z",
        "oldCapacity": 2,
        "newCapacity": 3,
        "reason": "ScaleOut",
        "message": "2 -> 3: rule 0 'Percentage CPU' Average 80 > 70, profile default",
    }
    found = autoscaling.condition(with_step(step(setting(lastScaleAction=last, nextActionTime="2026-01-05T12:03:00Z"))))
    assert found is not None
    assert found.message == (
        "autoscale setting web-autoscale; profile default (2-5) in force; last change 2 -> 3: rule 0 "
        "'Percentage CPU' Average 80 > 70, profile default; next action allowed at 2026-01-05T12:03:00Z"
    )
