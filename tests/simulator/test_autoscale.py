"""Metrics from a load the user sets, and autoscale settings the simulator evaluates as Azure does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scaleset_operator.api.autoscale import AutoscaleSettings
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale
from scaleset_operator.cloud.errors import Conflict, InvalidRequest, NotFound, Throttled
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud
from scaleset_operator.simulator.metrics import MEMORY_BYTES

from .conftest import KEY, ModelFactory

SETTING = AutoscaleKey(KEY.subscription_id, KEY.resource_group, "web-autoscale")


def out_in(out: float = 70, into: float = 30, window: str = "PT5M", cooldown: str = "PT5M") -> list[dict[str, Any]]:
    trigger = {"metricName": "Percentage CPU", "timeWindow": window}
    return [
        {
            "metricTrigger": {**trigger, "operator": "GreaterThan", "threshold": out},
            "scaleAction": {"direction": "Increase", "cooldown": cooldown},
        },
        {
            "metricTrigger": {**trigger, "operator": "LessThan", "threshold": into},
            "scaleAction": {"direction": "Decrease", "cooldown": cooldown},
        },
    ]


def desired(*profiles: dict[str, Any], enabled: bool = True) -> DesiredAutoscale:
    default = {"name": "default", "capacity": {"minimum": 2, "maximum": 5, "default": 2}, "rules": out_in()}
    settings = AutoscaleSettings.model_validate({"enabled": enabled, "profiles": list(profiles) or [default]})
    return DesiredAutoscale(SETTING, "westeurope", KEY, settings)


@pytest.fixture
def running(cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory) -> SimulatedCloud:
    cloud.apply(KEY, make_model(), 2)
    clock.advance(60)
    return cloud


def capacity_over(cloud: SimulatedCloud, clock: ManualClock, minutes: int) -> list[int]:
    """The capacity at the end of each of the next ``minutes`` simulated minutes."""
    seen = []
    for _ in range(minutes):
        clock.advance(60)
        snapshot = cloud.snapshot(KEY)
        assert snapshot is not None
        seen.append(snapshot.capacity)
    return seen


def test_load_drives_per_instance_metrics(running: SimulatedCloud, clock: ManualClock) -> None:
    running.set_load(KEY, 80)
    running.set_load(KEY, 95, instance_id="1")
    clock.advance(120)
    now = running.now()
    metrics = running.get_metrics(KEY, ["Percentage CPU", "available memory bytes"], now - timedelta(minutes=2), now)
    with pytest.raises(InvalidRequest, match="Failed to find metric configuration for Disk Read Bytes"):
        running.get_metrics(KEY, ["Disk Read Bytes"], now - timedelta(minutes=2), now)
    last_minute = [(s.instance_id, s.value) for s in metrics["Percentage CPU"][-2:]]
    assert last_minute == [("0", 80.0), ("1", 95.0)]
    assert metrics["available memory bytes"][-1].value == MEMORY_BYTES * (1 - 0.8 * 0.95)
    running.set_load(KEY, 10)
    assert running.loads(KEY) == (10.0, {"0": None, "1": None}), "a load for all clears instances' own"
    with pytest.raises(ValueError, match="between 0 and 100"):
        running.set_load(KEY, 120)


def test_only_running_instances_report_and_new_ones_start_at_the_scale_set_load(
    running: SimulatedCloud, clock: ManualClock, make_model: ModelFactory
) -> None:
    running.set_load(KEY, 60)
    clock.advance(45)
    running.apply(KEY, make_model(), 3)  # instance 2 is still creating at the next minute
    clock.advance(15)
    latest = running.latest_metrics(KEY)
    assert latest is not None and latest[1] == {"0": 60.0, "1": 60.0}
    clock.advance(60)
    assert running.latest_metrics(KEY)[1] == {"0": 60.0, "1": 60.0, "2": 60.0}  # type: ignore[index]


def test_metrics_are_counted_and_can_fail(running: SimulatedCloud) -> None:
    marker = running.calls.marker()
    now = running.now()
    running.get_metrics(KEY, ["Percentage CPU"], now - timedelta(minutes=5), now)
    assert [c.kind for c in running.calls.since(marker)] == ["metrics"]
    running.faults.fail_next("metrics", status=429, retry_after=7)
    with pytest.raises(Throttled):
        running.get_metrics(KEY, ["Percentage CPU"], now, now)


def test_a_long_jump_of_the_clock_keeps_only_the_retention(running: SimulatedCloud, clock: ManualClock) -> None:
    clock.advance(7 * 24 * 3600)
    now = running.now()
    week = running.get_metrics(KEY, ["Percentage CPU"], now - timedelta(days=7), now)["Percentage CPU"]
    assert len(week) == 2 * 13 * 60, "13 hours of samples from two instances"


def test_one_setting_per_scale_set_and_its_target_must_exist(running: SimulatedCloud) -> None:
    assert running.apply_autoscale(desired()) is True
    assert running.apply_autoscale(desired()) is False, "a PUT of the same setting replaces it"
    other = DesiredAutoscale(
        AutoscaleKey(KEY.subscription_id, KEY.resource_group, "other"), "westeurope", KEY, desired().settings
    )
    with pytest.raises(Conflict, match="only one autoscale setting"):
        running.apply_autoscale(other)
    missing = DesiredAutoscale(
        SETTING, "westeurope", KEY.__class__(KEY.subscription_id, "rg", "nope"), desired().settings
    )
    with pytest.raises(NotFound, match="target resource"):
        running.apply_autoscale(missing)
    observed = running.get_autoscale(KEY)
    assert observed is not None and observed.key == SETTING and observed.targets(KEY) and observed.enabled
    assert running.delete_autoscale(SETTING) is True
    assert running.delete_autoscale(SETTING) is False
    assert running.get_autoscale(KEY) is None


def test_load_80_scales_out_by_rule_with_cooldown_then_load_10_scales_in_keeping_protection(
    running: SimulatedCloud, clock: ManualClock
) -> None:
    running.apply_autoscale(desired())
    running.set_protection(KEY, "0", scale_in=True)
    running.set_load(KEY, 80)
    out = capacity_over(running, clock, 20)
    # Once five minutes of 80% fill the window: one instance per cooldown (PT5M) up to the maximum.
    assert out == [2] * 5 + [3] * 5 + [4] * 5 + [5] * 5
    setting = running.autoscale.targeting(KEY)
    assert setting is not None
    changes = [(a.old_capacity, a.new_capacity, a.reason, a.metric_name, a.metric_value) for a in setting.actions]
    assert changes == [
        (2, 3, "ScaleOut", "Percentage CPU", 80.0),
        (3, 4, "ScaleOut", "Percentage CPU", 80.0),
        (4, 5, "ScaleOut", "Percentage CPU", 80.0),
    ]
    assert [a.time - setting.actions[0].time for a in setting.actions] == [
        timedelta(0),
        timedelta(minutes=5),
        timedelta(minutes=10),
    ]
    running.set_load(KEY, 10)
    capacity_over(running, clock, 30)
    snapshot = running.snapshot(KEY)
    assert snapshot is not None and snapshot.capacity == 2, "scaled in to the minimum"
    assert "0" in snapshot.ids, "the instance protected from scale-in is kept"
    assert [a.reason for a in setting.actions][3:] == ["ScaleIn", "ScaleIn", "ScaleIn"]


def test_a_recurrence_profile_takes_over_when_the_clock_reaches_it(running: SimulatedCloud, clock: ManualClock) -> None:
    default = {"name": "default", "capacity": {"minimum": 2, "maximum": 5, "default": 2}, "rules": out_in()}
    pacific = {"timeZone": "Pacific Standard Time", "days": ["Monday"], "minutes": [0]}
    business = {
        "name": "business",
        "capacity": {"minimum": 4, "maximum": 8, "default": 4},
        "rules": out_in(),
        "recurrence": {"schedule": {**pacific, "hours": [9]}},
    }
    evening = {
        "name": "evening",
        "capacity": {"minimum": 1, "maximum": 3, "default": 1},
        "rules": out_in(),
        "recurrence": {"schedule": {**pacific, "hours": [18]}},
    }
    running.set_load(KEY, 50)
    clock.set(datetime(2024, 1, 1, 16, 58, tzinfo=UTC))  # 08:58 PST; the last Monday profile was last week's evening
    running.apply_autoscale(desired(default, business, evening))
    assert capacity_over(running, clock, 2) == [2, 2], "the evening profile allows 2"
    assert capacity_over(running, clock, 1) == [4], "09:00 PST: business hours raise the minimum"
    setting = running.autoscale.targeting(KEY)
    assert setting is not None and setting.last_evaluation is not None
    assert (setting.last_evaluation.profile.name, setting.actions[-1].reason) == ("business", "BelowMinimum")  # type: ignore[union-attr]
    clock.set(datetime(2024, 1, 2, 1, 59, tzinfo=UTC))  # 17:59 PST
    assert capacity_over(running, clock, 2)[-1] == 3, "18:00 PST: the evening profile's maximum"


def test_disabled_or_deleted_settings_leave_capacity_alone(running: SimulatedCloud, clock: ManualClock) -> None:
    running.apply_autoscale(desired(enabled=False))
    running.set_load(KEY, 90)
    assert set(capacity_over(running, clock, 10)) == {2}
    assert running.autoscale.targeting(KEY).last_evaluation.reason == "Disabled"  # type: ignore[union-attr]
    running.apply_autoscale(desired())
    running.delete_autoscale(SETTING)
    assert set(capacity_over(running, clock, 10)) == {2}
