"""Azure's rolling upgrade policy rules, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scaleset_operator.cloud.observed import ObservedImage, ObservedInstance
from scaleset_operator.planner.rolling_policy import BatchPolicy, batch_size, exceeds, select_batch

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def instance(
    iid: int, *, ud: int = 0, zone: str | None = None, health: str = "Healthy", state: str = "Succeeded"
) -> ObservedInstance:
    return ObservedInstance(
        instance_id=str(iid),
        name=f"web{iid:06d}",
        zone=zone,
        fault_domain=0,
        update_domain=ud,
        latest_model_applied=False,
        image=ObservedImage(version="1.0.0"),
        data_disks={},
        os_profile_fingerprint=None,
        provisioning_state=state,
        power_state="running",  # type: ignore[arg-type]
        health_state=health,
        created_at=T0 + timedelta(seconds=iid),  # type: ignore[arg-type]
    )


def policy(batch: int = 20, *, cross_zone: bool = False, prioritize: bool = False) -> BatchPolicy:
    return BatchPolicy(
        max_batch_percent=batch,
        max_unhealthy_percent=20,
        max_unhealthy_upgraded_percent=20,
        pause=timedelta(0),
        cross_zone=cross_zone,
        prioritize_unhealthy=prioritize,
        health_timeout=timedelta(minutes=5),
    )


@pytest.mark.parametrize(
    ("count", "percent", "expected"),
    [
        (1, 20, 1),  # at least one instance
        (5, 20, 1),  # five or fewer: one per batch
        (6, 20, 1),
        (10, 20, 2),
        (100, 20, 20),
        (100, 5, 5),
        (3, 100, 3),
        (7, 50, 3),
        (0, 20, 1),
    ],
)
def test_batch_size_is_a_percentage_of_the_instance_count_and_at_least_one(
    count: int, percent: int, expected: int
) -> None:
    assert batch_size(count, percent) == expected


@pytest.mark.parametrize(
    ("part", "whole", "percent", "expected"),
    [
        (1, 5, 20, False),
        (2, 5, 20, True),
        (2, 10, 20, False),
        (3, 10, 20, True),
        (0, 10, 0, False),
        (1, 10, 0, True),
        (0, 0, 20, False),
    ],
)
def test_limits_trip_only_when_strictly_more_than_the_percentage(
    part: int, whole: int, percent: int, expected: bool
) -> None:
    assert exceeds(part, whole, percent) is expected


def test_a_batch_never_spans_two_update_domains() -> None:
    pending = [instance(i, ud=i % 5) for i in range(10)]
    chosen = select_batch(pending, 10, policy(100), signal=True)
    assert {i.update_domain for i in chosen} == {0}
    assert [i.instance_id for i in chosen] == ["0", "5"]


def test_a_batch_never_spans_two_zones_without_cross_zone_upgrade() -> None:
    pending = [instance(i, ud=0, zone=str(1 + i % 3)) for i in range(9)]
    chosen = select_batch(pending, 9, policy(100), signal=True)
    assert {i.zone for i in chosen} == {"1"}
    crossing = select_batch(pending, 9, policy(100, cross_zone=True), signal=True)
    assert {i.zone for i in crossing} == {"1", "2", "3"}


def test_prioritize_unhealthy_instances_takes_unhealthy_first() -> None:
    pending = [instance(0, ud=0), instance(1, ud=1, health="Unhealthy"), instance(2, ud=1)]
    assert [i.instance_id for i in select_batch(pending, 10, policy(20, prioritize=True), True)] == ["1", "2"]
    assert [i.instance_id for i in select_batch(pending, 10, policy(20), True)] == ["0"]


def test_batch_is_bounded_by_the_policy_size() -> None:
    pending = [instance(i, ud=0) for i in range(50)]
    assert len(select_batch(pending, 50, policy(20), True)) == 10
