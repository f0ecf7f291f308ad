"""Autoscale settings for the planner's tests: a default profile that scales out above 70% CPU and
in below 30% (five-minute windows, so a journey takes few simulated minutes)."""

from __future__ import annotations

from typing import Any

from scaleset_operator.api.autoscale import AutoscaleSettings


def rules(cooldown: str = "PT5M", window: str = "PT5M") -> list[dict[str, Any]]:
    trigger = {"metricName": "Percentage CPU", "timeWindow": window}
    return [
        {
            "metricTrigger": {**trigger, "operator": "GreaterThan", "threshold": 70},
            "scaleAction": {"direction": "Increase", "cooldown": cooldown},
        },
        {
            "metricTrigger": {**trigger, "operator": "LessThan", "threshold": 30},
            "scaleAction": {"direction": "Decrease", "cooldown": cooldown},
        },
    ]


def autoscale(minimum: int = 2, maximum: int = 5, default: int | None = None, **extra: Any) -> dict[str, Any]:
    cooldown = extra.pop("cooldown", "PT5M")
    capacity = {"minimum": minimum, "maximum": maximum, "default": minimum if default is None else default}
    return {"profiles": [{"name": "default", "capacity": capacity, "rules": rules(cooldown)}], **extra}


def settings(**kwargs: Any) -> AutoscaleSettings:
    return AutoscaleSettings.model_validate(autoscale(**kwargs))


def owned(**kwargs: Any) -> dict[str, Any]:
    """Spec overrides: capacity owned by ``spec.autoscale``."""
    return {"capacityOwner": "Autoscale", "autoscale": autoscale(**kwargs)}
