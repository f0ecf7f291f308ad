"""``rolloutPolicy.progressDeadline`` (planner/rollout/drive.py): a rollout that is progressing is never
stuck. A batch within its health timeout is progress, holds are not counted (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scaleset_operator.api.status import RolloutBatch, RolloutRecord
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.rollout import drive
from scaleset_operator.planner.timefmt import fmt
from tests.planner.builders import T0, facts
from tests.planner.specs import make_spec

WAITING = Reason("WaitingForBatch", "batch 1: waiting for web000000 to become healthy")
DELETING = Reason("WaitingForBatch", "batch 1: deleting 0")


def ago(minutes: float) -> str:
    return fmt(T0 - timedelta(minutes=minutes))


def record(progress_minutes_ago: float, batch_minutes_ago: float | None) -> RolloutRecord:
    batch = None
    if batch_minutes_ago is not None:
        batch = RolloutBatch(number=1, instanceIds=["0"], action="Upgrade", startTime=ago(batch_minutes_ago))
    return RolloutRecord(
        kind="ModelUpgrade", target="abc", startTime=ago(120), lastProgressTime=ago(progress_minutes_ago), batch=batch
    )


CASES: list[tuple[str, dict[str, str], Reason | None, RolloutRecord, bool]] = [
    # case, rolloutPolicy, what the rollout waits for, record, stuck
    ("moving", {}, None, record(60, None), False),
    ("a batch within the deadline", {}, WAITING, record(10, 10), False),
    (
        "a batch past a shorter deadline, within its health timeout (stored before the rule)",
        {"healthTimeout": "PT2H", "progressDeadline": "PT10M"},
        WAITING,
        record(100, 100),
        False,
    ),
    (
        "the same, once the health timeout and then the deadline have passed",
        {"healthTimeout": "PT2H", "progressDeadline": "PT10M"},
        DELETING,
        record(130, 130),
        True,
    ),
    ("no progress for longer than the deadline", {"progressDeadline": "PT30M"}, DELETING, record(31, 40), True),
    ("paused for hours", {}, Reason("Paused", "spec.paused is true"), record(300, None), False),
    ("outside the window for days", {}, Reason("OutsideMaintenanceWindow", "next opens"), record(9000, None), False),
    ("pausing between batches", {}, Reason("PauseBetweenBatches", "pausing 3000s"), record(60, None), False),
]


@pytest.mark.parametrize(("case", "policy", "waiting", "given", "stuck"), CASES, ids=[c[0] for c in CASES])
def test_progress_deadline(
    case: str, policy: dict[str, str], waiting: Reason | None, given: RolloutRecord, stuck: bool
) -> None:
    spec = make_spec(**{"rolloutPolicy": policy})
    found = drive.stuck(facts(spec=spec), given, waiting)
    assert (found is not None) == stuck, found
    if found is not None:
        assert found.reason == "ProgressDeadlineExceeded" and waiting is not None and waiting.message in found.message
