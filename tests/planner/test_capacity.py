"""One owner for capacity: the number a pass keeps, the change it reports, and the handoff back to
the spec without a jump to a stale number."""

from __future__ import annotations

from typing import Any

import pytest

from scaleset_operator.api.status import CapacityStatus, RolloutBatch, RolloutRecord
from scaleset_operator.planner import capacity
from tests.planner.autoscale_specs import owned
from tests.planner.specs import make_spec

SURGE = RolloutRecord(
    kind="ModelUpgrade",
    target="abc",
    startTime="2026-01-05T11:00:00Z",
    batch=RolloutBatch(number=1, instanceIds=["0"], action="Surge", startTime="2026-01-05T11:00:00Z", surgeCapacity=4),
)


def stored(owner: str, observed: int, stale: int | None) -> CapacityStatus:
    return CapacityStatus(owner=owner, observed=observed, staleSpecCapacity=stale)  # type: ignore[arg-type]


# (case, spec overrides, observed, stored, rollout) -> (capacity, from spec, change, handoff, record)
CASES: list[tuple[str, dict[str, Any], int, CapacityStatus | None, RolloutRecord | None, tuple[Any, ...]]] = [
    ("spec owns: its number", {"sku.capacity": 3}, 5, None, None, (3, True, None, False, None)),
    (
        "autoscale owns: the cloud's number, the spec's recorded",
        {"sku.capacity": 2, **owned()},
        5,
        None,
        None,
        (5, False, None, False, ("Autoscale", 5, 2)),
    ),
    (
        "external owns: the cloud's number",
        {"sku.capacity": 2, "capacityOwner": "External"},
        7,
        stored("External", 7, 2),
        None,
        (7, False, None, False, ("External", 7, 2)),
    ),
    (
        "a change the operator did not make is reported",
        {"sku.capacity": 2, **owned()},
        4,
        stored("Autoscale", 3, 2),
        None,
        (4, False, (3, 4), False, ("Autoscale", 4, 2)),
    ),
    (
        "a maxSurge batch's change is the operator's own",
        {"sku.capacity": 2, **owned()},
        4,
        stored("Autoscale", 3, 2),
        SURGE,
        (4, False, None, False, ("Autoscale", 4, 2)),
    ),
    (
        "back to Spec with the stale number: the observed one is kept",
        {"sku.capacity": 2},
        5,
        stored("Autoscale", 5, 2),
        None,
        (5, False, None, True, ("Spec", 5, 2)),
    ),
    (
        "back to Spec with a new number: the spec owns it again",
        {"sku.capacity": 3},
        5,
        stored("Autoscale", 5, 2),
        None,
        (3, True, None, False, None),
    ),
    (
        "back to Spec with the observed number: nothing to write",
        {"sku.capacity": 5},
        5,
        stored("Autoscale", 5, 2),
        None,
        (5, True, None, False, None),
    ),
    (
        "back to Spec, the stale number happens to be the cloud's",
        {"sku.capacity": 2},
        2,
        stored("Spec", 2, 2),
        None,
        (2, True, None, False, None),
    ),
    (
        "during a handoff, another owner's change is still reported",
        {"sku.capacity": 2},
        6,
        stored("Spec", 5, 2),
        None,
        (6, False, (5, 6), True, ("Spec", 6, 2)),
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides", "observed", "before", "rollout", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_capacity_owner(
    case: str,
    overrides: dict[str, Any],
    observed: int,
    before: CapacityStatus | None,
    rollout: RolloutRecord | None,
    expected: tuple[Any, ...],
) -> None:
    step = capacity.step(make_spec(**overrides), observed, before, rollout)
    record = capacity.record(step)
    found = (
        step.capacity,
        step.from_spec,
        step.change,
        step.handoff is not None,
        (record.owner, record.observed, record.staleSpecCapacity) if record is not None else None,
    )
    assert found == expected


def test_the_handoff_message_says_how_to_end_it() -> None:
    step = capacity.step(make_spec(**{"sku.capacity": 2}), 5, stored("Autoscale", 5, 2), None)
    assert step.handoff is not None and step.handoff.reason == "CapacityHandoff"
    assert "keeping the observed 5" in step.handoff.message
    assert "Set spec.sku.capacity (to 5 to keep it)" in step.handoff.message
