"""timeGrain, statistic, timeWindow, timeAggregation and dividePerInstance, one table each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scaleset_operator.api.autoscale import MetricTrigger
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.autoscale.metrics import metric_value, sampled_values

from .builders import NOW, samples


def trigger(**fields: object) -> MetricTrigger:
    return MetricTrigger.model_validate(
        {"metricName": "Percentage CPU", "operator": "GreaterThan", "threshold": 0, **fields}
    )


@pytest.mark.parametrize(
    ("statistic", "expected"), [("Average", 30.0), ("Min", 10.0), ("Max", 60.0), ("Sum", 90.0), ("Count", 3.0)]
)
def test_statistic_combines_the_instances_of_one_time_grain(statistic: str, expected: float) -> None:
    one_minute = samples([[10, 20, 60]])
    assert sampled_values(trigger(statistic=statistic), one_minute, NOW) == [expected]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("Average", 30.0), ("Minimum", 10.0), ("Maximum", 50.0), ("Total", 90.0), ("Count", 3.0), ("Last", 30.0)],
)
def test_time_aggregation_combines_the_sampled_values(aggregation: str, expected: float) -> None:
    three_minutes = samples([10, 50, 30], instances=2)
    measured = metric_value(trigger(timeAggregation=aggregation), three_minutes, NOW, instances=2)
    assert measured is not None and (measured.value, measured.grains) == (expected, 3)


def test_time_grain_buckets_align_on_the_epoch() -> None:
    ten_minutes = samples([1, 1, 1, 1, 1, 5, 5, 5, 5, 5])
    assert sampled_values(trigger(timeGrain="PT5M"), ten_minutes, NOW) == [1.0, 5.0]
    assert sampled_values(trigger(timeGrain="PT5M", statistic="Sum"), ten_minutes, NOW) == [5.0, 25.0]


def test_time_window_takes_only_the_recent_past() -> None:
    old_then_new = samples([99] * 5 + [10] * 5)
    assert metric_value(trigger(timeWindow="PT5M"), old_then_new, NOW, 1).value == 10  # type: ignore[union-attr]
    assert metric_value(trigger(timeWindow="PT10M"), old_then_new, NOW, 1).value == 54.5  # type: ignore[union-attr]
    at_now = [MetricSample("0", NOW, 100.0)]
    assert metric_value(trigger(), at_now, NOW, 1) is None, "a sample at now is not in the past window yet"
    too_old = [MetricSample("0", NOW - timedelta(minutes=10, seconds=1), 100.0)]
    assert metric_value(trigger(), too_old, NOW, 1) is None


def test_divide_per_instance_and_no_data() -> None:
    queue = samples([300] * 5)
    per_instance = trigger(metricName="ApproximateMessageCount", dividePerInstance=True, statistic="Sum")
    assert metric_value(per_instance, queue, NOW, instances=5).value == 60  # type: ignore[union-attr]
    assert metric_value(per_instance, queue, NOW, instances=0).value == 300, "nothing to divide by"  # type: ignore[union-attr]
    assert metric_value(trigger(), [], NOW, instances=3) is None
