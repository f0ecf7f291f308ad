"""``spec.autoscale`` and ``spec.capacityOwner``: the pydantic side of the rules the CRD enforces.

The same inputs are refused at ``kubectl apply`` by the generated CRD (tests/e2e/test_validation.py);
here the operator's own re-validation must refuse them with the same words, and accept what Azure
accepts.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from scaleset_operator.api.autoscale import (
    WINDOWS_TIME_ZONES,
    AutoscaleSettings,
    canonical_duration,
    duration_minutes,
    minutes_duration,
)
from scaleset_operator.api.crd import scaleset_crd
from scaleset_operator.api.scaleset import ScaleSet, ScaleSetSpec
from scaleset_operator.autoscale import AutoscaleInput, evaluate
from tests.autoscale.builders import cpu
from tests.backends.scenarios import BASE_SPEC
from tests.overrides import with_overrides

REPO_ROOT = Path(__file__).resolve().parents[2]

RULE: dict[str, Any] = {
    "metricTrigger": {"metricName": "Percentage CPU", "operator": "GreaterThan", "threshold": 70},
    "scaleAction": {"direction": "Increase"},
}
SETTINGS: dict[str, Any] = {
    "profiles": [{"name": "default", "capacity": {"minimum": 2, "maximum": 10, "default": 2}, "rules": [RULE]}]
}


def settings(**overrides: Any) -> dict[str, Any]:
    """``SETTINGS`` with dotted overrides below ``profiles[0]`` (``rule.`` for its first rule)."""
    data = copy.deepcopy(SETTINGS)
    profile = data["profiles"][0]
    for path, value in overrides.items():
        if path.startswith("rule."):
            profile["rules"][0] = with_overrides(profile["rules"][0], **{path.removeprefix("rule."): value})
        else:
            data["profiles"][0] = profile = with_overrides(profile, **{path: value})
    return data


def test_defaults_are_azure_portal_defaults() -> None:
    parsed = AutoscaleSettings.model_validate(SETTINGS)
    trigger = parsed.profiles[0].rules[0].metricTrigger
    action = parsed.profiles[0].rules[0].scaleAction
    assert parsed.enabled is True
    assert (trigger.timeGrain, trigger.statistic, trigger.timeWindow, trigger.timeAggregation) == (
        "PT1M",
        "Average",
        "PT10M",
        "Average",
    )
    assert (action.type, action.value, action.cooldown) == ("ChangeCount", 1, "PT5M")
    assert parsed.profiles[0].kind == "Default"


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("min-above-max", {"capacity": {"minimum": 5, "maximum": 3, "default": 3}}, "minimum must not exceed"),
    ("default-outside", {"capacity": {"minimum": 2, "maximum": 3, "default": 4}}, "default must be between"),
    ("capacity-too-large", {"capacity": {"minimum": 2, "maximum": 1001, "default": 2}}, "less than or equal to 1000"),
    ("window-too-short", {"rule.metricTrigger.timeWindow": "PT4M"}, "timeWindow must be between PT5M and PT12H"),
    ("window-too-long", {"rule.metricTrigger.timeWindow": "PT12H1M"}, "timeWindow must be between PT5M and PT12H"),
    ("cooldown-seconds", {"rule.scaleAction.cooldown": "PT30S"}, "should match pattern"),
    ("cooldown-too-long", {"rule.scaleAction.cooldown": "P8D"}, "cooldown must be between PT1M and P7D"),
    ("grain-unsupported", {"rule.metricTrigger.timeGrain": "PT2M"}, "PT1M"),
    ("statistic", {"rule.metricTrigger.statistic": "Median"}, "Average"),
    ("aggregation", {"rule.metricTrigger.timeAggregation": "Mean"}, "Last"),
    ("operator", {"rule.metricTrigger.operator": "Above"}, "GreaterThanOrEqual"),
    ("zero-change", {"rule.scaleAction.value": 0}, "at least 1 for ChangeCount"),
    (
        "percent-in-above-100",
        {"rule.scaleAction": {"direction": "Decrease", "type": "PercentChangeCount", "value": 150}},
        "cannot exceed 100",
    ),
    (
        "time-zone",
        {"recurrence": {"schedule": {"timeZone": "America/Los_Angeles", "days": ["Monday"], "hours": [9]}}},
        "unknown Windows time zone",
    ),
    ("hour", {"recurrence": {"schedule": {"timeZone": "UTC", "days": ["Monday"], "hours": [24]}}}, "less than or"),
    (
        "fixed-date-backwards",
        {"fixedDate": {"start": "2024-11-30T00:00:00", "end": "2024-11-29T00:00:00"}},
        "start must be before fixedDate.end",
    ),
    ("fixed-date-offset", {"fixedDate": {"start": "2024-11-29T00:00:00Z", "end": "2024-11-30T00:00:00"}}, "pattern"),
    (
        "both-schedules",
        {
            "fixedDate": {"start": "2024-11-29T00:00:00", "end": "2024-11-30T00:00:00"},
            "recurrence": {"schedule": {"timeZone": "UTC", "days": ["Monday"], "hours": [9]}},
        },
        "either fixedDate or recurrence",
    ),
]


@pytest.mark.parametrize(("name", "change", "message"), INVALID, ids=[row[0] for row in INVALID])
def test_invalid_settings_are_refused(name: str, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AutoscaleSettings.model_validate(settings(**change))


def test_profiles_need_unique_names_and_one_default() -> None:
    profile = SETTINGS["profiles"][0]
    with pytest.raises(ValidationError, match="duplicate name"):
        AutoscaleSettings.model_validate({"profiles": [profile, profile]})
    with pytest.raises(ValidationError, match="at most one profile may have neither"):
        AutoscaleSettings.model_validate({"profiles": [profile, {**profile, "name": "other"}]})
    with pytest.raises(ValidationError, match="at least 1 item"):
        AutoscaleSettings.model_validate({"profiles": []})


def test_predictive_look_ahead_needs_enabled() -> None:
    with pytest.raises(ValidationError, match="scaleLookAheadTime needs scaleMode: Enabled"):
        AutoscaleSettings.model_validate(
            {**SETTINGS, "predictiveAutoscalePolicy": {"scaleMode": "ForecastOnly", "scaleLookAheadTime": "PT10M"}}
        )
    policy = {"scaleMode": "Enabled", "scaleLookAheadTime": "PT1H"}
    assert AutoscaleSettings.model_validate({**SETTINGS, "predictiveAutoscalePolicy": policy})


def spec(**overrides: Any) -> ScaleSetSpec:
    return ScaleSetSpec.model_validate(with_overrides(BASE_SPEC, **overrides))


def test_one_owner_for_capacity() -> None:
    assert spec().capacityOwner == "Spec"
    assert spec(capacityOwner="External").autoscale is None
    assert spec(capacityOwner="Autoscale", autoscale=SETTINGS).autoscale is not None
    paused = {**SETTINGS, "enabled": False}
    assert spec(autoscale=paused).capacityOwner == "Spec", "a paused setting may stay declared"
    with pytest.raises(ValidationError, match=r"capacityOwner: Autoscale needs spec\.autoscale"):
        spec(capacityOwner="Autoscale")
    with pytest.raises(ValidationError, match="needs capacityOwner: Autoscale"):
        spec(autoscale=SETTINGS)
    with pytest.raises(ValidationError, match="needs capacityOwner: Autoscale"):
        spec(capacityOwner="External", autoscale=SETTINGS)


@pytest.mark.parametrize(
    ("text", "minutes", "canonical"),
    [
        ("PT5M", 5, "PT5M"),
        ("PT90M", 90, "PT1H30M"),
        ("PT1H", 60, "PT1H"),
        ("P1DT2H", 1560, "P1DT2H"),
        ("P7D", 10080, "P7D"),
    ],
)
def test_whole_minute_durations(text: str, minutes: int, canonical: str) -> None:
    assert duration_minutes(text) == minutes
    assert minutes_duration(minutes) == canonical
    assert canonical_duration(timedelta(minutes=minutes)) == canonical


def test_durations_from_elsewhere_must_be_whole_minutes() -> None:
    with pytest.raises(ValueError, match="whole number of minutes"):
        canonical_duration(timedelta(seconds=90))
    for text in ("PT", "P1DT", "PT30S", "5m"):
        with pytest.raises(ValueError, match="whole minutes"):
            duration_minutes(text)


def test_the_crd_lists_azure_time_zones_and_keeps_one_owner_rule() -> None:
    spec_schema = scaleset_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    profile = spec_schema["properties"]["autoscale"]["properties"]["profiles"]["items"]["properties"]
    zones = profile["recurrence"]["properties"]["schedule"]["properties"]["timeZone"]["enum"]
    assert zones == list(WINDOWS_TIME_ZONES)
    assert {"Pacific Standard Time", "W. Europe Standard Time", "UTC"} <= set(zones)
    assert spec_schema["properties"]["capacityOwner"]["default"] == "Spec"
    messages = [rule["message"] for rule in spec_schema["x-kubernetes-validations"]]
    assert "capacityOwner: Autoscale needs spec.autoscale" in messages


def test_the_worked_example_validates_and_its_rules_decide_as_documented() -> None:
    """examples/autoscale-web-tier.yaml: valid, and the engine scales it as docs/autoscale.md says."""
    document = yaml.safe_load((REPO_ROOT / "examples" / "autoscale-web-tier.yaml").read_text())
    scale_set = ScaleSet.model_validate(document)
    settings = scale_set.spec.autoscale
    assert scale_set.spec.capacityOwner == "Autoscale" and settings is not None
    monday = datetime(2027, 11, 22, 12, tzinfo=UTC)
    busy = evaluate(AutoscaleInput(settings, 2, monday, cpu(80, 2, now=monday)))
    quiet = evaluate(AutoscaleInput(settings, 4, monday, cpu(10, 4, now=monday)))
    sale = evaluate(
        AutoscaleInput(settings, 6, monday.replace(day=26, hour=20), cpu(80, 6, now=monday.replace(day=26, hour=20)))
    )
    assert (busy.profile.name, busy.new_capacity) == ("default", 3)  # type: ignore[union-attr]
    assert (quiet.reason, quiet.new_capacity) == ("ScaleIn", 3)
    assert (sale.profile.name, sale.new_capacity) == ("black-friday-2027", 9)  # type: ignore[union-attr]


def test_the_docs_snippets_are_valid() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (REPO_ROOT / "docs" / "autoscale.md").read_text(), flags=re.DOTALL)
    documents = [yaml.safe_load(block) for block in blocks]
    assert len(documents) == 2
    spec = ScaleSetSpec.model_validate({**BASE_SPEC, **documents[0]["spec"], "sku": documents[0]["spec"]["sku"]})
    assert spec.autoscale is not None and spec.capacityOwner == "Autoscale"
    settings = AutoscaleSettings.model_validate(documents[1])
    assert [p.kind for p in settings.profiles] == ["Recurrence", "Recurrence"]
