"""Scale-in selection: Azure's Default / NewestVM / OldestVM rules, zone balance and protection."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaleset_operator.api.scaleset import ScaleInRule
from scaleset_operator.simulator.scale_in import ScaleInCandidate, select_for_scale_in

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def vm(
    instance_id: int, zone: str | None = None, fd: int = 0, age: int = 0, protected: bool = False
) -> ScaleInCandidate:
    """``age``: minutes after T0 the instance was created (higher = newer)."""
    return ScaleInCandidate(str(instance_id), zone, fd, T0 + timedelta(minutes=age), protected)


CASES: list[tuple[str, list[ScaleInCandidate], ScaleInRule, int, list[str]]] = [
    ("default removes highest IDs", [vm(0), vm(1), vm(2), vm(3)], "Default", 2, ["3", "2"]),
    ("default compares IDs numerically", [vm(9), vm(10), vm(2)], "Default", 1, ["10"]),
    (
        "default balances zones before IDs",
        [vm(0, "1"), vm(1, "1"), vm(2, "1"), vm(3, "2"), vm(4, "2"), vm(5, "3")],
        "Default",
        2,
        ["2", "4"],
    ),
    (
        "default balances fault domains within the zone",
        [vm(0, fd=0), vm(1, fd=0), vm(2, fd=1), vm(3, fd=2)],
        "Default",
        1,
        ["1"],
    ),
    (
        "default skips protected instances",
        [vm(0), vm(1), vm(2, protected=True), vm(3, protected=True)],
        "Default",
        1,
        ["1"],
    ),
    (
        "protected instances still count toward zone balance",
        [vm(0, "1", protected=True), vm(1, "1", protected=True), vm(2, "1"), vm(3, "2"), vm(4, "2")],
        "Default",
        1,
        ["2"],
    ),
    (
        "a zone with only protected instances is passed over",
        [vm(0, "1", protected=True), vm(1, "1", protected=True), vm(2, "1", protected=True), vm(3, "2")],
        "Default",
        1,
        ["3"],
    ),
    ("fewer unprotected than asked", [vm(0), vm(1, protected=True)], "Default", 2, ["0"]),
    ("nothing to remove", [vm(0), vm(1)], "Default", 0, []),
    ("newest first", [vm(5, age=1), vm(1, age=3), vm(7, age=2)], "NewestVM", 2, ["1", "7"]),
    ("oldest first", [vm(5, age=1), vm(1, age=3), vm(7, age=2)], "OldestVM", 2, ["5", "7"]),
    ("newest: same age, higher ID", [vm(3), vm(4), vm(2)], "NewestVM", 1, ["4"]),
    ("oldest: same age, lower ID", [vm(3), vm(4), vm(2)], "OldestVM", 1, ["2"]),
    (
        "newest still balances zones first",
        [vm(0, "1", age=0), vm(1, "1", age=1), vm(2, "1", age=2), vm(3, "2", age=9)],
        "NewestVM",
        1,
        ["2"],
    ),
    (
        "oldest still balances zones first",
        [vm(0, "2", age=0), vm(1, "1", age=1), vm(2, "1", age=2), vm(3, "1", age=3)],
        "OldestVM",
        3,
        ["1", "2", "0"],
    ),
    (
        "newest skips protected",
        [vm(0, age=0), vm(1, age=1), vm(2, age=2, protected=True)],
        "NewestVM",
        1,
        ["1"],
    ),
]


@pytest.mark.parametrize(
    ("instances", "rule", "count", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_scale_in_selection(
    instances: list[ScaleInCandidate], rule: ScaleInRule, count: int, expected: list[str]
) -> None:
    assert select_for_scale_in(instances, rule, count) == expected


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[ScaleInCandidate], bool]:
    zonal = draw(st.booleans())
    size = draw(st.integers(0, 30))
    fleet = [
        vm(
            n,
            zone=draw(st.sampled_from(["1", "2", "3"])) if zonal else None,
            fd=draw(st.integers(0, 4)),
            age=draw(st.integers(0, 5)),
            protected=draw(st.booleans()),
        )
        for n in range(size)
    ]
    return fleet, zonal


RULES: list[ScaleInRule] = ["Default", "NewestVM", "OldestVM"]


@given(fleets(), st.sampled_from(RULES), st.integers(0, 35))
def test_never_removes_protected_and_removes_as_many_as_possible(
    fleet_and_zonal: tuple[list[ScaleInCandidate], bool], rule: ScaleInRule, count: int
) -> None:
    fleet, _ = fleet_and_zonal
    chosen = select_for_scale_in(fleet, rule, count)

    protected = {i.instance_id for i in fleet if i.protected}
    assert not protected & set(chosen)
    assert len(chosen) == len(set(chosen)) == min(count, len(fleet) - len(protected))


@given(st.lists(st.integers(0, 10), min_size=3, max_size=3), st.sampled_from(RULES), st.integers(0, 30))
def test_keeps_zones_balanced(per_zone: list[int], rule: ScaleInRule, count: int) -> None:
    fleet: list[ScaleInCandidate] = []
    for zone, size in zip(("1", "2", "3"), per_zone, strict=True):
        fleet += [vm(len(fleet) + n, zone, fd=n % 3, age=n) for n in range(size)]

    chosen = set(select_for_scale_in(fleet, rule, count))

    remaining = Counter(i.zone for i in fleet if i.instance_id not in chosen)
    counts = [remaining[z] for z in ("1", "2", "3")]
    assert max(counts) - min(counts) <= max(max(per_zone) - min(per_zone), 1)
    # Scale-in only ever shrinks a fullest zone: the zone sizes are those of "water-filling" down.
    expected = list(per_zone)
    for _ in range(min(count, sum(per_zone))):
        expected[expected.index(max(expected))] -= 1
    assert sorted(counts) == sorted(expected)
