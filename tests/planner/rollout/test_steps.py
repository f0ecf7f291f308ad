"""``steps.check``: the checkpoint ahead, the bake, the gates, the pause, promotion."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scaleset_operator.api.rollout_policy import RolloutStep
from scaleset_operator.api.rollout_status import GateStatus, StepProgress
from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner.rollout import steps
from scaleset_operator.planner.timefmt import fmt
from tests.planner.builders import T0

GATE = {"name": "errors", "http": {"url": "http://127.0.0.1:9/health"}}
CANARY = [
    RolloutStep.model_validate({"percent": 10, "bakeTime": "PT5M"}),
    RolloutStep.model_validate({"percent": 50, "pause": {}}),
    RolloutStep.model_validate({"percent": 100, "bakeTime": "PT1M", "gates": [GATE]}),
]
AGO = fmt(T0 - timedelta(minutes=2))
LONG_AGO = fmt(T0 - timedelta(minutes=10))


def record(done: int, failed: int = 0, **step: object) -> RolloutRecord:
    return RolloutRecord(
        kind="ModelUpgrade",
        target="m",
        startTime=LONG_AGO,
        done=[str(i) for i in range(done)],
        failed=[str(100 + i) for i in range(failed)],
        step=StepProgress.model_validate(step) if step else None,
    )


def passed(name: str = "errors") -> GateStatus:
    return GateStatus(name=name, phase="Passed", passed=1, lastMeasured=fmt(T0), value="200", message="HTTP 200")


CASES: list[tuple[str, RolloutRecord, int, tuple[int | None, str | None, int]]] = [
    # (case, record, total) -> (batch limit, waiting reason, step index after)
    ("nothing done: the first batch stops at 10%", record(0), 10, (1, None, 0)),
    ("10% of 5 rounds up to one instance", record(0), 5, (1, None, 0)),
    ("checkpoint reached: the bake starts", record(1), 10, (None, "Baking", 0)),
    ("a failed instance counts toward the checkpoint", record(0, failed=1), 10, (None, "Baking", 0)),
    ("baking", record(1, index=0, reachedTime=AGO), 10, (None, "Baking", 0)),
    ("baked: on to 50%, batches up to 4 more", record(1, index=0, reachedTime=LONG_AGO), 10, (4, None, 1)),
    ("50% reached: held for promotion", record(5, index=1, reachedTime=AGO), 10, (None, "WaitingForPromotion", 1)),
    ("promoted: on to 100%", record(5, index=1, reachedTime=AGO, promoted=True), 10, (5, None, 2)),
    ("100%: baking before the end", record(10, index=2, reachedTime=fmt(T0)), 10, (None, "Baking", 2)),
    (
        "100% baked, gate not measured yet",
        record(10, index=2, reachedTime=LONG_AGO),
        10,
        (None, "WaitingForGates", 2),
    ),
    ("100% baked, gate passed: done", record(10, index=2, reachedTime=LONG_AGO, gates=[passed()]), 10, (None, None, 3)),
    ("promotion ends the bake early", record(1, index=0, reachedTime=fmt(T0), promoted=True), 10, (4, None, 1)),
]


@pytest.mark.parametrize(("case", "given", "total", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check(case: str, given: RolloutRecord, total: int, expected: tuple[int | None, str | None, int]) -> None:
    found = steps.check(given, CANARY, total, T0)
    assert found.fault is None
    waiting = found.waiting.reason if found.waiting is not None else None
    assert found.record.step is not None
    assert (found.limit, waiting, found.record.step.index) == expected


def test_a_failed_gate_stops_the_rollout_with_its_measurement() -> None:
    failed = GateStatus(name="errors", phase="Failed", failed=1, value="503", message="HTTP 503, expected 200")
    found = steps.check(record(10, index=2, reachedTime=AGO, gates=[failed]), CANARY, 10, T0)
    assert found.fault is not None and found.fault.code == steps.GATE_FAILED_CODE
    assert found.fault.message == "step 3/3: gate errors: HTTP 503, expected 200"


def test_failures_within_the_failure_limit_only_wait() -> None:
    tolerant = [RolloutStep.model_validate({"percent": 100, "gates": [{**GATE, "failureLimit": 1}]})]
    once = GateStatus(name="errors", phase="Failed", failed=1, message="HTTP 503, expected 200")
    found = steps.check(record(10, index=0, reachedTime=AGO, gates=[once]), tolerant, 10, T0)
    assert found.fault is None and found.waiting is not None and found.waiting.reason == "WaitingForGates"


def test_steps_events_say_where_the_rollout_is() -> None:
    reached = steps.check(record(1), CANARY, 10, T0)
    assert [(e.reason, e.message) for e in reached.events] == [
        ("StepReached", "step 1/3 (10%): 1 of 10 instances; baking PT5M")
    ]
    assert reached.record.step is not None and reached.record.step.reachedTime == fmt(T0)
    assert reached.waiting is not None and reached.waiting.message == "step 1/3 (10%): baking, 300s left"
    completed = steps.check(record(1, index=0, reachedTime=LONG_AGO), CANARY, 10, T0)
    assert [e.reason for e in completed.events] == ["StepCompleted"]


def test_count_steps_and_the_rest_after_the_last_step() -> None:
    two = [RolloutStep.model_validate({"count": 2, "bakeTime": "PT1M"})]
    assert steps.check(record(0), two, 10, T0).limit == 2
    assert steps.check(record(0), two, 1, T0).limit == 1  # a count larger than the rollout: all of it
    after = steps.check(record(2, index=0, reachedTime=LONG_AGO), two, 10, T0)
    assert after.limit is None and after.waiting is None  # the rest rolls under the plain policy
