"""Small builders for autoscale settings and metric samples, through the real API models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from scaleset_operator.api.autoscale import AutoscaleSettings
from scaleset_operator.autoscale import MetricSample

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
"""A Monday (January: Pacific Standard Time is UTC-8)."""
VMSS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"


def rule(
    operator: str,
    threshold: float,
    direction: str,
    value: int = 1,
    *,
    metric: str = "Percentage CPU",
    kind: str = "ChangeCount",
    cooldown: str = "PT5M",
    **trigger: Any,
) -> dict[str, Any]:
    return {
        "metricTrigger": {"metricName": metric, "operator": operator, "threshold": threshold, **trigger},
        "scaleAction": {"direction": direction, "type": kind, "value": value, "cooldown": cooldown},
    }


OUT_70 = rule("GreaterThan", 70, "Increase")
IN_30 = rule("LessThan", 30, "Decrease")


def profile(
    name: str = "default",
    minimum: int = 1,
    maximum: int = 10,
    default: int = 1,
    rules: list[Any] | None = None,
    **when: Any,
) -> dict[str, Any]:
    capacity = {"minimum": minimum, "maximum": maximum, "default": default}
    return {"name": name, "capacity": capacity, "rules": [OUT_70, IN_30] if rules is None else rules, **when}


def settings(*profiles: dict[str, Any], **extra: Any) -> AutoscaleSettings:
    return AutoscaleSettings.model_validate({"profiles": list(profiles) or [profile()], **extra})


def weekly(time_zone: str, days: list[str], hour: int, minute: int = 0) -> dict[str, Any]:
    return {"recurrence": {"schedule": {"timeZone": time_zone, "days": days, "hours": [hour], "minutes": [minute]}}}


def samples(
    per_minute: list[list[float]] | list[float], *, now: datetime = NOW, instances: int | None = None
) -> list[MetricSample]:
    """One sample per instance per minute, the last minute just before ``now``.

    ``[[10, 20], [30, 40]]``: two minutes, two instances; ``[50, 60]`` with ``instances=3``: every
    instance reports 50, then 60.
    """
    rows = [row if isinstance(row, list) else [row] * (instances or 1) for row in per_minute]
    start = now - timedelta(minutes=len(rows))
    return [
        MetricSample(str(i), start + timedelta(minutes=m, seconds=30), float(v))
        for m, row in enumerate(rows)
        for i, v in enumerate(row)
    ]


def cpu(level: float, instances: int, minutes: int = 10, *, now: datetime = NOW) -> dict[str, list[MetricSample]]:
    """Every instance at ``level`` percent CPU for the last ``minutes``."""
    return {"Percentage CPU": samples([level] * minutes, instances=instances, now=now)}
