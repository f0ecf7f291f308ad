"""Why the capacity changed: the rule and metric value behind each change the operator sees, or an
honest "not explained"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scaleset_operator.api.autoscale import AutoscaleSettings
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.planner.autoscale_explain import event, explain
from tests.planner.autoscale_specs import settings
from tests.planner.builders import T0

TARGET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
OUT_BY_THREE = {
    "metricTrigger": {"metricName": "Percentage CPU", "operator": "GreaterThan", "threshold": 70},
    "scaleAction": {"direction": "Increase", "value": 3},
}
BY_THREE = AutoscaleSettings.model_validate(
    {"profiles": [{"name": "default", "capacity": {"minimum": 2, "maximum": 9, "default": 2}, "rules": [OUT_BY_THREE]}]}
)
DISABLED = AutoscaleSettings.model_validate({**settings().model_dump(), "enabled": False})


def cpu(value: float, instances: int = 3, minutes: int = 5) -> dict[str, list[MetricSample]]:
    return {
        "Percentage CPU": [
            MetricSample(str(i), T0 - timedelta(minutes=m + 1), value) for m in range(minutes) for i in range(instances)
        ]
    }


# (case, change, settings, metrics) -> (reason, rule, metric value, message, Event reason)
CASES = [
    (
        "scale-out by rule",
        (2, 3),
        settings(),
        cpu(80),
        ("ScaleOut", 0, 80.0, "2 -> 3: rule 0 'Percentage CPU' Average 80 > 70, profile default", "AutoscaledOut"),
    ),
    (
        "scale-in by rule",
        (4, 3),
        settings(),
        cpu(10),
        ("ScaleIn", 1, 10.0, "4 -> 3: rule 1 'Percentage CPU' Average 10 < 30, profile default", "AutoscaledIn"),
    ),
    (
        "below the profile's minimum: the limit, no metric needed",
        (1, 2),
        settings(),
        None,
        ("BelowMinimum", None, None, "1 -> 2: below the minimum, profile default", "AutoscaledOut"),
    ),
    (
        "a rule fired, but the engine asks for more now: the fired rule",
        (2, 3),
        BY_THREE,
        cpu(90, minutes=10),
        ("ScaleOut", 0, 90.0, "2 -> 3: rule 0 'Percentage CPU' Average 90 > 70, profile default", "AutoscaledOut"),
    ),
    (
        "no rule fired: not made up",
        (3, 4),
        settings(),
        cpu(50),
        (
            "Unexplained",
            None,
            None,
            "3 -> 4: not explained by the autoscale rules in force (another tool or a person)",
            "CapacityChanged",
        ),
    ),
    (
        "the metrics could not be read",
        (2, 3),
        settings(),
        None,
        ("Unexplained", None, None, "2 -> 3: the metrics could not be read", "CapacityChanged"),
    ),
    (
        "a disabled setting explains nothing",
        (2, 3),
        DISABLED,
        cpu(80),
        (
            "Unexplained",
            None,
            None,
            "2 -> 3: no enabled autoscale setting this operator can read explains it",
            "CapacityChanged",
        ),
    ),
]


@pytest.mark.parametrize(("case", "change", "given", "metrics", "expected"), CASES, ids=[c[0] for c in CASES])
def test_explain(
    case: str,
    change: tuple[int, int],
    given: AutoscaleSettings,
    metrics: dict[str, list[MetricSample]] | None,
    expected: tuple[object, ...],
) -> None:
    action = explain(change, given, metrics, T0, TARGET)
    posted = event(action, "Autoscale")
    assert (action.reason, action.rule, action.metricValue, action.message, posted.reason) == expected
    assert (action.oldCapacity, action.newCapacity) == change


def test_an_unexplained_change_names_the_owner() -> None:
    action = explain((3, 5), None, None, T0, TARGET)
    assert event(action, "External").message.endswith("(capacityOwner External)")
