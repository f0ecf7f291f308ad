"""From per-instance metric samples to the one value a rule compares with its threshold.

A rule's ``metricTrigger`` reads its metric the way Azure's autoscale describes it:

1. take the samples of the last ``timeWindow`` (``now - timeWindow <= t < now``);
2. cut them into ``timeGrain`` buckets aligned on the epoch (PT1M buckets start on the minute) and
   combine each bucket's samples, from every instance, with ``statistic`` (Average, Min, Max, Sum,
   Count: the number of samples), giving one sampled value per time grain;
3. combine the sampled values with ``timeAggregation`` (Average, Minimum, Maximum, Total, Count:
   the number of sampled values, Last: the latest one);
4. with ``dividePerInstance``, divide by the current instance count.

No samples in the window means the metric is unavailable (Azure then falls back on the profile's
default capacity). The simulator emits one sample per instance per minute, so with the default
PT1M grain ``Sum`` is the total across instances and ``Average`` the mean instance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean

from scaleset_operator.api.autoscale import MetricTrigger, Statistic, TimeAggregation, duration_minutes


@dataclass(frozen=True)
class MetricSample:
    """One value of one metric from one instance at one time."""

    instance_id: str
    time: datetime
    value: float


def sample_order(sample: MetricSample) -> tuple[datetime, int, str]:
    """Time, then instance (numeric IDs in numeric order): how samples are listed everywhere."""
    number = int(sample.instance_id) if sample.instance_id.isdigit() else -1
    return sample.time, number, sample.instance_id


@dataclass(frozen=True)
class MetricValue:
    value: float
    grains: int
    """How many sampled values (time grains with data) went into ``value``."""


_STATISTICS: dict[Statistic, Callable[[Sequence[float]], float]] = {
    "Average": fmean,
    "Min": min,
    "Max": max,
    "Sum": math.fsum,
    "Count": lambda values: float(len(values)),
}
_AGGREGATIONS: dict[TimeAggregation, Callable[[Sequence[float]], float]] = {
    "Average": fmean,
    "Minimum": min,
    "Maximum": max,
    "Total": math.fsum,
    "Count": lambda values: float(len(values)),
    "Last": lambda values: values[-1],
}


def grain_seconds(trigger: MetricTrigger) -> int:
    return duration_minutes(trigger.timeGrain) * 60


def window(trigger: MetricTrigger) -> timedelta:
    return timedelta(minutes=duration_minutes(trigger.timeWindow))


def sampled_values(trigger: MetricTrigger, samples: Sequence[MetricSample], now: datetime) -> list[float]:
    """Steps 1 and 2: one value per time grain with data, oldest first."""
    start = now - window(trigger)
    grain = grain_seconds(trigger)
    buckets: dict[int, list[float]] = {}
    for sample in samples:
        if start <= sample.time < now:
            buckets.setdefault(int(sample.time.timestamp()) // grain, []).append(sample.value)
    combine = _STATISTICS[trigger.statistic]
    return [combine(buckets[bucket]) for bucket in sorted(buckets)]


def metric_value(
    trigger: MetricTrigger, samples: Sequence[MetricSample], now: datetime, instances: int
) -> MetricValue | None:
    """The value ``trigger`` compares with its threshold at ``now``; None when there is no data."""
    values = sampled_values(trigger, samples, now)
    if not values:
        return None
    value = _AGGREGATIONS[trigger.timeAggregation](values)
    if trigger.dividePerInstance and instances > 0:
        value /= instances
    return MetricValue(value, len(values))
