"""``RolloutProgressing``: whether the rollout moves and what it waits for; absent without one."""

from __future__ import annotations

import pytest

from scaleset_operator.api.status import RolloutRecord, ScaleSetStatus
from scaleset_operator.planner.decision import Failed, Reason, RolloutStep
from scaleset_operator.planner.status import rollout_progressing
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, unknown, view

RECORD = RolloutRecord(kind="ModelUpgrade", target="abc", startTime="2026-01-05T11:00:00Z")
MOVING = RolloutStep(RECORD, activity=Reason("RollingForward", "ModelUpgrade 1/5 done"))
WAITING = RolloutStep(RECORD, activity=Reason("WaitingForBatch", "batch 2: waiting for web000001"))
PAUSED = RolloutStep(RECORD, activity=Reason("Paused", "spec.paused is true"), moving=False)
NO_PROGRESS = Reason("ProgressDeadlineExceeded", "no rollout progress within PT30M: batch 1: deleting 0")
STUCK = RolloutStep(RECORD, activity=NO_PROGRESS, moving=False, stuck=NO_PROGRESS)
FAULTED = RolloutStep(None, faulted=Reason("MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade", "2 of 5"))
STORED = ScaleSetStatus(rollout=RECORD)

CASES: list[tuple[str, View, tuple[str, str] | None]] = [
    ("no rollout", view(rollout=RolloutStep(None)), None),
    ("rolling forward", view(rollout=MOVING), ("True", "RollingForward")),
    ("a batch in flight is progress", view(rollout=WAITING), ("True", "WaitingForBatch")),
    ("paused holds", view(rollout=PAUSED), ("False", "Paused")),
    ("no progress within the deadline: not progressing", view(rollout=STUCK), ("False", "ProgressDeadlineExceeded")),
    ("faulted and still wanted", view(rollout=FAULTED), ("False", FAULTED.faulted.reason)),  # type: ignore[union-attr]
    ("the cloud cannot be read during a rollout", view(inputs(unknown(), status=STORED)), ("Unknown", "Throttled")),
    ("the cloud cannot be read, no rollout", view(inputs(unknown())), None),
    (
        "the batch's call failed",
        view(rollout=MOVING, outcome=Failed(unknown("transient", "act"))),
        ("False", "BackendUnavailable"),
    ),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rollout_progressing(case: str, given: View, expected: tuple[str, str] | None) -> None:
    found = rollout_progressing.condition(given)
    assert ((found.status, found.reason) if found is not None else None) == expected
