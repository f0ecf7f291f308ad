"""``spec.autoscale`` and ``spec.capacityOwner``: Azure's autoscale settings for one ScaleSet.

The models mirror ``Microsoft.Insights/autoscaleSettings`` (api-version 2022-10-01) under Azure's
own names, so Azure's autoscale documentation applies: profiles with ``capacity {minimum, maximum,
default}``, metric ``rules`` (``metricTrigger`` + ``scaleAction``), ``recurrence`` and ``fixedDate``
schedules, ``enabled`` and ``predictiveAutoscalePolicy``. Where this API differs from the REST
model it says so in the field's description (docs/autoscale.md lists every difference and why):
counts are integers (Azure spells them as strings), durations are whole minutes, the evaluation
knobs Azure's portal always fills in have its portal defaults, notifications and metric dimensions
are not part of it.

Every rule is enforced twice with the same words: by the CRD (schema + CEL, so ``kubectl apply``
refuses bad input naming the field) and by the pydantic models (so the operator reports ``Stalled``
instead of acting on an object that slipped past an older CRD).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from tzlocal.windows_tz import win_tz

from scaleset_operator.api.base import ApiModel, JsonDict, cel, field_rules, pattern_message, with_rules

CapacityOwner = Literal["Spec", "Autoscale", "External"]
CAPACITY_OWNER_DESCRIPTION = (
    "Who sets the number of instances. Spec (default): spec.sku.capacity, written by people, GitOps, "
    "or an HPA/KEDA through the scale subresource. Autoscale: spec.autoscale decides, evaluated by "
    "the cloud (Azure's autoscale, or the simulator with the same rules); the operator never writes "
    "spec.sku.capacity to the cloud and reports the observed capacity. External: something outside "
    "Kubernetes changes the cloud scale set's capacity (an autoscale setting made elsewhere, a cluster "
    "autoscaler, a person in the portal); the operator never writes capacity and keeps what it observes "
    "in every model update."
)

Operator = Literal["Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"]
Statistic = Literal["Average", "Min", "Max", "Sum", "Count"]
TimeAggregation = Literal["Average", "Minimum", "Maximum", "Total", "Count", "Last"]
Direction = Literal["Increase", "Decrease"]
ScaleType = Literal["ChangeCount", "PercentChangeCount", "ExactCount"]
TimeGrain = Literal["PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H"]
Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PredictiveScaleMode = Literal["Disabled", "ForecastOnly", "Enabled"]

WINDOWS_TIME_ZONES: tuple[str, ...] = tuple(sorted(win_tz))
"""Windows time zone names Azure's autoscale accepts, from CLDR's windowsZones table (tzlocal)."""

MAX_CAPACITY = 1000
_TIME_PART = r"T([0-9]{1,4}H([0-9]{1,5}M)?|[0-9]{1,5}M)"
_MINUTE_PATTERN = rf"^(P[0-9]{{1,2}}D({_TIME_PART})?|P{_TIME_PART})$"
_MINUTE_PARTS = re.compile(r"([0-9]+)([DHM])")
_LOCAL_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"


# -- durations in whole minutes -------------------------------------------------------------------


def duration_minutes(value: str) -> int:
    """Minutes of an ISO 8601 duration written in days, hours and minutes (``PT5M``, ``PT1H30M``, ``P1D``)."""
    if re.fullmatch(_MINUTE_PATTERN, value) is None:
        raise ValueError(f"{value!r} is not an ISO 8601 duration in whole minutes (e.g. PT5M, PT1H, P1D)")
    scale = {"D": 1440, "H": 60, "M": 1}
    return sum(int(number) * scale[unit] for number, unit in _MINUTE_PARTS.findall(value))


def minutes_duration(minutes: int) -> str:
    """The canonical spelling of a whole number of minutes (``PT90M`` -> ``PT1H30M``; ``P1D``)."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    if days:
        return f"P{days}D" + (f"T{time}" if time else "")
    return f"PT{time or '0M'}"


def canonical_duration(value: timedelta) -> str:
    """A duration from elsewhere (the SDK, ARM JSON) in this API's whole-minute spelling."""
    seconds = value.total_seconds()
    if seconds % 60:
        raise ValueError(f"{value} is not a whole number of minutes")
    return minutes_duration(int(seconds // 60))


def _minutes_cel(unit: str, scale: int) -> str:
    found = f"self.find('[0-9]+{unit}')"
    return f"({found} == '' ? 0 : int({found}.replace('{unit}', '')) * {scale})"


def MinuteDuration(low: int, high: int, name: str) -> Any:
    """An ISO 8601 duration in whole minutes between ``low`` and ``high`` minutes, checked by CEL and pydantic."""
    bounds = f"{minutes_duration(low)} and {minutes_duration(high)}"
    message = f"{name} must be between {bounds} in whole minutes (e.g. PT5M, PT1H)"
    total = " + ".join(_minutes_cel(unit, scale) for unit, scale in (("D", 1440), ("H", 60), ("M", 1)))
    rule = cel(f"[{total}].all(minutes, minutes >= {low} && minutes <= {high})", message)

    def check(value: str) -> str:
        if not low <= duration_minutes(value) <= high:
            raise ValueError(message)
        return value

    schema = {
        **field_rules(rule),
        **pattern_message("must be an ISO 8601 duration in whole minutes, such as PT5M, PT1H30M or P1D"),
    }
    return Annotated[
        str, Field(pattern=_MINUTE_PATTERN, max_length=20, json_schema_extra=schema), AfterValidator(check)
    ]


TimeWindowDuration = MinuteDuration(5, 12 * 60, "timeWindow")
CooldownDuration = MinuteDuration(1, 7 * 1440, "cooldown")
LookAheadDuration = MinuteDuration(1, 60, "scaleLookAheadTime")


def _check_time_zone(value: str) -> str:
    if value not in win_tz:
        raise ValueError(f"unknown Windows time zone {value!r} (Azure's names, e.g. 'Pacific Standard Time', 'UTC')")
    return value


TimeZone = Annotated[
    str,
    Field(
        max_length=64,
        description="A Windows time zone name, as Azure's autoscale expects (e.g. 'Pacific Standard Time', "
        "'W. Europe Standard Time', 'UTC').",
        json_schema_extra={"enum": list(WINDOWS_TIME_ZONES)},
    ),
    AfterValidator(_check_time_zone),
]


def _check_local_time(value: str) -> str:
    datetime.fromisoformat(value)
    return value


LocalTime = Annotated[
    str,
    Field(
        pattern=_LOCAL_TIME_PATTERN,
        max_length=32,
        description="A wall-clock date and time in the profile's timeZone, without offset: 2024-11-29T06:00:00.",
        json_schema_extra=pattern_message("must be a date and time without offset, such as 2027-11-26T00:00:00"),
    ),
    AfterValidator(_check_local_time),
]


# -- the models ------------------------------------------------------------------------------------


class ScaleCapacity(ApiModel):
    """Instance limits of a profile. Azure's REST model spells these as strings; here they are integers."""

    model_config = with_rules(
        cel("self.minimum <= self.maximum", "capacity.minimum must not exceed capacity.maximum"),
        cel(
            "self.minimum <= self.default && self.default <= self.maximum",
            "capacity.default must be between capacity.minimum and capacity.maximum",
        ),
    )

    minimum: int = Field(ge=0, le=MAX_CAPACITY, description="Autoscale never scales below this.")
    maximum: int = Field(ge=0, le=MAX_CAPACITY, description="Autoscale never scales above this.")
    default: int = Field(
        ge=0,
        le=MAX_CAPACITY,
        description="Used when metrics cannot be read: a lower capacity is raised to it (never lowered).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> ScaleCapacity:
        if self.minimum > self.maximum:
            raise ValueError("capacity.minimum must not exceed capacity.maximum")
        if not self.minimum <= self.default <= self.maximum:
            raise ValueError("capacity.default must be between capacity.minimum and capacity.maximum")
        return self


class MetricTrigger(ApiModel):
    """When a rule fires: ``timeAggregation`` over ``timeWindow`` of the metric sampled per ``timeGrain``
    with ``statistic``, compared with ``threshold`` by ``operator``."""

    metricName: str = Field(
        min_length=1, max_length=256, description="e.g. 'Percentage CPU', 'Network In Total', 'Available Memory Bytes'."
    )
    metricNamespace: str | None = Field(
        default=None, max_length=256, description="e.g. microsoft.compute/virtualmachinescalesets (the default)."
    )
    metricResourceUri: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+",
        description="The resource that emits the metric; defaults to the scale set itself.",
        json_schema_extra=pattern_message(
            "must be an ARM resource ID: /subscriptions/.../resourceGroups/.../providers/..."
        ),
    )
    timeGrain: TimeGrain = Field(default="PT1M", description="Sampling period of the metric (PT1M to PT12H).")
    statistic: Statistic = Field(default="Average", description="How the samples within one timeGrain are combined.")
    timeWindow: TimeWindowDuration = Field(  # type: ignore[valid-type]
        default="PT10M", description="How far back autoscale looks (PT5M to PT12H)."
    )
    timeAggregation: TimeAggregation = Field(
        default="Average", description="How the sampled values in timeWindow are combined into one value."
    )
    operator: Operator = Field(description="How the value is compared with threshold.")
    threshold: float = Field(description="The value the metric is compared with.")
    dividePerInstance: bool = Field(
        default=False, description="Divide the value by the current instance count (e.g. a queue length per instance)."
    )


class ScaleAction(ApiModel):
    model_config = with_rules(
        cel(
            "self.type == 'ExactCount' || self.value >= 1",
            "scaleAction.value must be at least 1 for ChangeCount and PercentChangeCount",
            field_path=".value",
        ),
        cel(
            "self.type != 'PercentChangeCount' || self.direction == 'Increase' || self.value <= 100",
            "a Decrease by PercentChangeCount cannot exceed 100 (percent)",
            field_path=".value",
        ),
    )

    direction: Direction = Field(description="Increase (scale out) or Decrease (scale in).")
    type: ScaleType = Field(
        default="ChangeCount",
        description="ChangeCount: by value instances; PercentChangeCount: by value percent of the current count "
        "(out: rounded up, in: rounded down, at least 1); ExactCount: to value instances.",
    )
    value: int = Field(default=1, ge=0, le=MAX_CAPACITY, description="Azure spells it as a string; here an integer.")
    cooldown: CooldownDuration = Field(  # type: ignore[valid-type]
        default="PT5M",
        description="After any scale action, how long this rule waits before it may scale again (PT1M to P7D).",
    )

    @model_validator(mode="after")
    def _value(self) -> ScaleAction:
        if self.type != "ExactCount" and self.value < 1:
            raise ValueError("scaleAction.value must be at least 1 for ChangeCount and PercentChangeCount")
        if self.type == "PercentChangeCount" and self.direction == "Decrease" and self.value > 100:
            raise ValueError("a Decrease by PercentChangeCount cannot exceed 100 (percent)")
        return self


class ScaleRule(ApiModel):
    metricTrigger: MetricTrigger
    scaleAction: ScaleAction


class RecurrentSchedule(ApiModel):
    """The weekly start times of a profile; it stays active until another profile starts."""

    timeZone: TimeZone
    days: list[Weekday] = Field(min_length=1, max_length=7, json_schema_extra={"x-kubernetes-list-type": "set"})
    hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(
        min_length=1, max_length=24, json_schema_extra={"x-kubernetes-list-type": "set"}
    )
    minutes: list[Annotated[int, Field(ge=0, le=59)]] = Field(
        default_factory=lambda: [0], min_length=1, max_length=60, json_schema_extra={"x-kubernetes-list-type": "set"}
    )


class Recurrence(ApiModel):
    frequency: Literal["Week"] = Field(default="Week", description="Azure supports Week only.")
    schedule: RecurrentSchedule


class TimeWindow(ApiModel):
    """A fixed-date profile's window: active from start to end (inclusive), wall-clock in timeZone."""

    model_config = with_rules(cel("self.start < self.end", "fixedDate.start must be before fixedDate.end"))

    timeZone: TimeZone = "UTC"
    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.start >= self.end:
            raise ValueError("fixedDate.start must be before fixedDate.end")
        return self


class AutoscaleProfile(ApiModel):
    """One scale condition. With neither fixedDate nor recurrence it is the default profile."""

    model_config = with_rules(
        cel(
            "!(has(self.fixedDate) && has(self.recurrence))",
            "a profile has either fixedDate or recurrence, not both",
        ),
    )

    name: str = Field(min_length=1, max_length=256)
    capacity: ScaleCapacity
    rules: list[ScaleRule] = Field(default_factory=list, max_length=10, description="At most 10 rules.")
    fixedDate: TimeWindow | None = None
    recurrence: Recurrence | None = None

    @model_validator(mode="after")
    def _one_schedule(self) -> AutoscaleProfile:
        if self.fixedDate is not None and self.recurrence is not None:
            raise ValueError("a profile has either fixedDate or recurrence, not both")
        return self

    @property
    def kind(self) -> Literal["FixedDate", "Recurrence", "Default"]:
        if self.fixedDate is not None:
            return "FixedDate"
        return "Recurrence" if self.recurrence is not None else "Default"


class PredictiveAutoscalePolicy(ApiModel):
    """Azure's predictive autoscale for scale sets (CPU forecasts). The simulator does not forecast."""

    model_config = with_rules(
        cel(
            "!has(self.scaleLookAheadTime) || self.scaleMode == 'Enabled'",
            "scaleLookAheadTime needs scaleMode: Enabled",
            field_path=".scaleLookAheadTime",
        ),
    )

    scaleMode: PredictiveScaleMode = "Disabled"
    scaleLookAheadTime: LookAheadDuration | None = Field(  # type: ignore[valid-type]
        default=None, description="How long before the forecast load instances are started (PT1M to PT1H)."
    )

    @model_validator(mode="after")
    def _look_ahead(self) -> PredictiveAutoscalePolicy:
        if self.scaleLookAheadTime is not None and self.scaleMode != "Enabled":
            raise ValueError("scaleLookAheadTime needs scaleMode: Enabled")
        return self


_ONE_DEFAULT = "at most one profile may have neither fixedDate nor recurrence (the default profile)"


class AutoscaleSettings(ApiModel):
    """``spec.autoscale``: the autoscale setting of this scale set (Azure: one per scale set)."""

    model_config = with_rules(
        cel("self.profiles.filter(p, !has(p.fixedDate) && !has(p.recurrence)).size() <= 1", _ONE_DEFAULT),
    )

    enabled: bool = Field(
        default=True,
        description="false pauses autoscale and keeps the current capacity. (Azure's REST default is false; "
        "here a declared setting is on unless paused.)",
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=260,
        pattern=r"^[^<>%&:\\?/#*$^();,.|]+$",
        description="Name of the Microsoft.Insights/autoscaleSettings resource (Azure backend); "
        "defaults to '<scale set name>-autoscale'.",
        json_schema_extra=pattern_message("must be an autoscale setting name without any of <>%&:\\?/#*$();,.|"),
    )
    profiles: list[AutoscaleProfile] = Field(
        min_length=1,
        max_length=20,
        description="Fixed-date profiles win over recurrence profiles, which win over the default profile.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    predictiveAutoscalePolicy: PredictiveAutoscalePolicy | None = None

    @model_validator(mode="after")
    def _profiles(self) -> AutoscaleSettings:
        names = [p.name for p in self.profiles]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"profiles: duplicate name {duplicates}; each profile needs its own name")
        if sum(1 for p in self.profiles if p.kind == "Default") > 1:
            raise ValueError(_ONE_DEFAULT)
        return self


# -- rules on ScaleSetSpec (kept here so scaleset.py only lists them) -------------------------------

_NEEDS_SETTINGS = "capacityOwner: Autoscale needs spec.autoscale"
_NEEDS_OWNER = "spec.autoscale with enabled: true needs capacityOwner: Autoscale (one owner for capacity)"

CAPACITY_OWNER_RULES: tuple[JsonDict, ...] = (
    cel("self.capacityOwner != 'Autoscale' || has(self.autoscale)", _NEEDS_SETTINGS, field_path=".capacityOwner"),
    cel(
        "!has(self.autoscale) || !self.autoscale.enabled || self.capacityOwner == 'Autoscale'",
        _NEEDS_OWNER,
        field_path=".capacityOwner",
    ),
)


def check_capacity_owner(owner: CapacityOwner, autoscale: AutoscaleSettings | None) -> None:
    """The pydantic side of ``CAPACITY_OWNER_RULES`` (same outcome, same words)."""
    if owner == "Autoscale" and autoscale is None:
        raise ValueError(_NEEDS_SETTINGS)
    if autoscale is not None and autoscale.enabled and owner != "Autoscale":
        raise ValueError(_NEEDS_OWNER)
