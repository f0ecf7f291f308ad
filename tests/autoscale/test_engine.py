"""The rule engine, table by table: operators, scale out (any) and in (all), cooldown, the flapping
guard, limits, default capacity, PercentChangeCount rounding and ExactCount."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from scaleset_operator.api.autoscale import ScaleAction
from scaleset_operator.autoscale import AutoscaleInput, Evaluation, evaluate
from scaleset_operator.autoscale.engine import rule_target

from .builders import IN_30, NOW, OUT_70, VMSS, cpu, profile, rule, samples, settings


def run(
    capacity: int, metrics: dict[str, Any], *profiles: dict[str, Any], enabled: bool = True, **extra: Any
) -> Evaluation:
    chosen = settings(*profiles, enabled=enabled)
    return evaluate(AutoscaleInput(chosen, capacity, NOW, metrics, target_resource_id=VMSS, **extra))


@pytest.mark.parametrize(
    ("operator", "value", "fires"),
    [
        ("GreaterThan", 70.0, False),
        ("GreaterThan", 70.5, True),
        ("GreaterThanOrEqual", 70.0, True),
        ("GreaterThanOrEqual", 69.9, False),
        ("LessThan", 70.0, False),
        ("LessThan", 69.9, True),
        ("LessThanOrEqual", 70.0, True),
        ("LessThanOrEqual", 70.1, False),
        ("Equals", 70.0, True),
        ("Equals", 70.1, False),
        ("NotEquals", 70.1, True),
        ("NotEquals", 70.0, False),
    ],
)
def test_every_operator(operator: str, value: float, fires: bool) -> None:
    result = run(3, cpu(value, 3), profile(rules=[rule(operator, 70, "Increase")]))
    assert result.rules[0].value == value
    assert result.rules[0].fired is fires
    assert (result.reason, result.new_capacity) == (("ScaleOut", 4) if fires else ("NoRuleFired", None))


def test_scale_out_when_any_rule_fires_and_the_largest_wins() -> None:
    memory = rule("LessThan", 1e9, "Increase", 50, metric="Available Memory Bytes", kind="PercentChangeCount")
    metrics = {**cpu(80, 4), "Available Memory Bytes": samples([5e8] * 10, instances=4)}
    result = run(4, metrics, profile(rules=[OUT_70, memory, IN_30]))
    assert (result.reason, result.new_capacity, result.rule.index) == ("ScaleOut", 6, 1)  # type: ignore[union-attr]
    assert result.message == "scale out 4 -> 6: rule 1 'Available Memory Bytes' Average 5e+08 < 1e+09"
    only_cpu = run(4, cpu(80, 4), profile(rules=[OUT_70, memory, IN_30]))
    assert only_cpu.new_capacity == 5, "the memory rule has no data; the CPU rule alone fires"


def test_scale_in_only_when_every_scale_in_rule_fires_and_by_as_little_as_possible() -> None:
    memory_in = rule("GreaterThan", 2e9, "Decrease", 3, metric="Available Memory Bytes")
    rules = [OUT_70, rule("LessThan", 30, "Decrease", 50, kind="PercentChangeCount"), memory_in]
    low_memory = {**cpu(10, 8), "Available Memory Bytes": samples([1e9] * 10, instances=8)}
    assert run(8, low_memory, profile(rules=rules)).reason == "NoRuleFired"
    idle = {**cpu(10, 8), "Available Memory Bytes": samples([4e9] * 10, instances=8)}
    result = run(8, idle, profile(rules=rules))
    assert (result.reason, result.new_capacity) == ("ScaleIn", 5), "-3 beats -50% (to 4)"
    no_in_rules = run(8, cpu(10, 8), profile(rules=[OUT_70]))
    assert no_in_rules.reason == "NoRuleFired", "without a scale-in rule nothing scales in"


def test_cooldown_follows_any_scale_action_and_is_per_rule() -> None:
    out_fast = rule("GreaterThan", 70, "Increase", cooldown="PT5M")
    in_slow = rule("LessThan", 30, "Decrease", cooldown="PT10M")
    scaled = NOW - timedelta(minutes=3)
    busy = run(3, cpu(90, 3), profile(rules=[out_fast, in_slow]), last_scale_time=scaled)
    assert (busy.reason, busy.new_capacity) == ("Cooldown", None)
    assert busy.next_action_time == scaled + timedelta(minutes=5)
    assert busy.rule is not None and busy.rule.cooldown_until == scaled + timedelta(minutes=5)
    later = NOW - timedelta(minutes=5)
    assert run(3, cpu(90, 3), profile(rules=[out_fast, in_slow]), last_scale_time=later).new_capacity == 4
    idle = run(3, cpu(10, 3), profile(rules=[out_fast, in_slow]), last_scale_time=later)
    assert (idle.reason, idle.next_action_time) == ("Cooldown", later + timedelta(minutes=10))
    assert (
        run(3, cpu(10, 3), profile(rules=[out_fast, in_slow]), last_scale_time=NOW - timedelta(minutes=10)).new_capacity
        == 2
    )


def test_flapping_guard_skips_a_scale_in_that_would_scale_out_again() -> None:
    """Azure's own example: out at CPU >= 80, in at CPU <= 60, three instances."""
    rules = [rule("GreaterThanOrEqual", 80, "Increase"), rule("LessThanOrEqual", 60, "Decrease")]
    at_60 = run(3, cpu(60, 3), profile(rules=rules))
    assert (at_60.reason, at_60.new_capacity) == ("Flapping", None), "60 x 3 / 2 = 90 would scale out"
    at_50 = run(3, cpu(50, 3), profile(rules=rules))
    assert (at_50.reason, at_50.new_capacity) == ("ScaleIn", 2), "50 x 3 / 2 = 75 stays below 80"


def test_flapping_guard_scales_in_by_less_when_that_is_safe() -> None:
    rules = [OUT_70, rule("LessThan", 45, "Decrease", 5)]
    result = run(10, cpu(40, 10), profile(rules=rules, maximum=20))
    assert (result.reason, result.new_capacity) == ("ScaleIn", 6), "5 would run at 80%, 6 at 66.7%"
    assert "(not 5: that would trigger a scale-out)" in result.message


def test_flapping_projection_leaves_totals_and_other_resources_alone() -> None:
    queue = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/q"
    total_out = rule("GreaterThan", 500, "Increase", statistic="Sum")
    result = run(4, cpu(100, 4), profile(rules=[total_out, rule("LessThan", 200, "Decrease", statistic="Sum")]))
    assert result.reason == "NoRuleFired", "a total of 400 is neither > 500 nor < 200"
    result = run(4, cpu(40, 4), profile(rules=[total_out, rule("LessThan", 200, "Decrease", statistic="Sum")]))
    assert result.new_capacity == 3, "the total (160) does not grow when instances go"
    external = rule("GreaterThan", 10, "Increase", metricResourceUri=queue)
    assert run(4, cpu(10, 4), profile(rules=[external, IN_30], default=1)).reason == "ScaleIn"


def test_limits_bring_capacity_back_inside_whatever_the_rules_and_cooldown() -> None:
    recent = NOW - timedelta(minutes=1)
    below = run(1, cpu(10, 1), profile(minimum=3, maximum=6, default=3), last_scale_time=recent)
    above = run(8, cpu(90, 8), profile(minimum=3, maximum=6, default=3), last_scale_time=recent)
    assert (below.reason, below.new_capacity, above.reason, above.new_capacity) == (
        "BelowMinimum",
        3,
        "AboveMaximum",
        6,
    )
    clamped = run(5, cpu(90, 5), profile(maximum=6, rules=[rule("GreaterThan", 70, "Increase", 3)]))
    assert (clamped.reason, clamped.new_capacity) == ("ScaleOut", 6)
    at_max = run(6, cpu(90, 6), profile(maximum=6))
    assert (at_max.reason, at_max.new_capacity) == ("AtLimit", None)
    at_min = run(1, cpu(10, 1), profile(minimum=1))
    assert (at_min.reason, at_min.new_capacity) == ("AtLimit", None)


def test_default_capacity_when_metrics_are_unavailable() -> None:
    missing = run(1, {}, profile(default=3))
    assert (missing.reason, missing.new_capacity) == ("DefaultCapacity", 3)
    assert missing.rules[0].value is None and "no data" in missing.message
    assert run(5, {}, profile(default=3)).reason == "NoRuleFired", "the default never lowers capacity"
    queue = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ServiceBus/namespaces/q"
    elsewhere = rule("GreaterThan", 10, "Increase", metricResourceUri=queue)
    assert run(1, cpu(90, 1), profile(default=2, rules=[elsewhere])).reason == "DefaultCapacity"


@pytest.mark.parametrize(
    ("direction", "kind", "value", "current", "target"),
    [
        ("Increase", "ChangeCount", 2, 3, 5),
        ("Decrease", "ChangeCount", 2, 3, 1),
        ("Decrease", "ChangeCount", 5, 3, -2),
        ("Increase", "PercentChangeCount", 50, 3, 5),  # 1.5 rounds up
        ("Increase", "PercentChangeCount", 10, 3, 4),  # 0.3 rounds up to at least one
        ("Increase", "PercentChangeCount", 100, 0, 1),  # from zero: at least one
        ("Decrease", "PercentChangeCount", 50, 3, 2),  # 1.5 rounds down
        ("Decrease", "PercentChangeCount", 10, 3, 2),  # at least one
        ("Decrease", "PercentChangeCount", 100, 4, 0),
        ("Increase", "ExactCount", 8, 3, 8),
        ("Increase", "ExactCount", 2, 3, 3),  # an increase never lowers
        ("Decrease", "ExactCount", 2, 5, 2),
        ("Decrease", "ExactCount", 8, 5, 5),  # a decrease never raises
    ],
)
def test_rule_targets(direction: str, kind: str, value: int, current: int, target: int) -> None:
    action = ScaleAction.model_validate({"direction": direction, "type": kind, "value": value})
    assert rule_target(action, current) == target


def test_exact_count_is_clamped_to_the_profile() -> None:
    exact = rule("GreaterThan", 70, "Increase", 20, kind="ExactCount")
    assert run(3, cpu(90, 3), profile(maximum=10, rules=[exact])).new_capacity == 10
    to_zero = rule("LessThan", 5, "Decrease", 0, kind="ExactCount")
    assert run(3, cpu(1, 3), profile(minimum=0, rules=[to_zero])).new_capacity == 0


def test_disabled_in_progress_and_no_profile() -> None:
    assert run(3, cpu(90, 3), profile(), enabled=False).reason == "Disabled"
    busy = run(3, cpu(90, 3), profile(), scale_in_progress=True)
    assert (busy.reason, busy.new_capacity, busy.profile.name) == ("ScaleActionInProgress", None, "default")  # type: ignore[union-attr]
    window = {"fixedDate": {"start": "2024-11-29T00:00:00", "end": "2024-11-30T00:00:00"}}
    nothing = run(3, cpu(90, 3), profile(**window))
    assert (nothing.reason, nothing.profile, nothing.next_profile_change) == (
        "NoActiveProfile",
        None,
        nothing.next_profile_change,
    )
    assert nothing.next_profile_change is not None and nothing.next_profile_change.year == 2024


def test_evaluation_explains_the_decision() -> None:
    result = run(2, cpu(85, 2), profile(name="weekday", minimum=2, default=2))
    assert (result.profile.name, result.profile_kind, result.direction) == ("weekday", "Default", "Increase")  # type: ignore[union-attr]
    assert result.rule is not None and (result.rule.index, result.rule.value) == (0, 85.0)
    assert result.message == "scale out 2 -> 3: rule 0 'Percentage CPU' Average 85 > 70"
    assert [r.fired for r in result.rules] == [True, False]
