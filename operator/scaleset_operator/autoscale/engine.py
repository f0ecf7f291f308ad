"""The autoscale rule engine: Azure's evaluation of one autoscale setting at one moment, pure.

``evaluate(AutoscaleInput) -> Evaluation``. No I/O and no clock: ``now``, the current capacity, the
metric samples and the time of the last scale action are inputs, so the simulator (acting as Azure)
and the operator (explaining what Azure did) get the same answer from the same facts.

Azure's rules, in the order applied (docs/autoscale.md quotes the sources):

1. ``enabled: false``, or no profile in force: nothing happens.
2. The profile in force is chosen (``profiles.active_profile``: fixed date > recurrence > default).
3. A capacity outside the profile's ``[minimum, maximum]`` is brought back inside at once (manual
   scaling is reset; a new profile's limits apply on its first run), whatever the rules say.
4. If a rule's metric cannot be read and the capacity is below ``default``, it is raised to
   ``default`` (never lowered).
5. Scale out when ANY scale-out rule fires; with several, the largest resulting capacity wins.
6. Otherwise scale in only when ALL scale-in rules fire (and there is at least one); the smallest
   reduction wins ("scales in by as little as possible").
7. Flapping guard (scale-in only): the scale-out rules are re-evaluated on the metric projected to
   the new count (``value * current / new`` for per-instance metrics); if one would fire, a smaller
   reduction is tried, and if none avoids it the scale-in is skipped until the next run.
8. Cooldown: a rule may act only once its ``cooldown`` has passed since the last scale action of
   either direction ("the cooldown period applies to both scale-out and scale-in actions").
9. Every result is clamped to ``[minimum, maximum]``.

Rounding of PercentChangeCount (Azure documents none): the change is the percentage of the current
count rounded up for scale-out and down for scale-in, and at least one instance, which leans towards
availability like the rest of Azure's rules.
"""

from __future__ import annotations

import math
import operator as op
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from scaleset_operator.api.autoscale import (
    AutoscaleProfile,
    AutoscaleSettings,
    Direction,
    Operator,
    ScaleAction,
    ScaleCapacity,
    ScaleRule,
    duration_minutes,
)
from scaleset_operator.autoscale.metrics import MetricSample, metric_value
from scaleset_operator.autoscale.profiles import ActiveProfile, ProfileKind, active_profile, next_change

Reason = Literal[
    "Disabled",
    "NoActiveProfile",
    "ScaleActionInProgress",
    "BelowMinimum",
    "AboveMaximum",
    "DefaultCapacity",
    "ScaleOut",
    "ScaleIn",
    "Flapping",
    "Cooldown",
    "AtLimit",
    "NoRuleFired",
]
"""Why capacity changes (BelowMinimum ... ScaleIn) or does not (the others)."""

COMPARE: Mapping[Operator, Callable[[float, float], bool]] = {
    "Equals": op.eq,
    "NotEquals": op.ne,
    "GreaterThan": op.gt,
    "GreaterThanOrEqual": op.ge,
    "LessThan": op.lt,
    "LessThanOrEqual": op.le,
}
SYMBOL: Mapping[Operator, str] = {
    "Equals": "==",
    "NotEquals": "!=",
    "GreaterThan": ">",
    "GreaterThanOrEqual": ">=",
    "LessThan": "<",
    "LessThanOrEqual": "<=",
}


@dataclass(frozen=True)
class AutoscaleInput:
    settings: AutoscaleSettings
    capacity: int
    now: datetime
    metrics: Mapping[str, Sequence[MetricSample]] = field(default_factory=dict)
    """Samples of the scale set's own metrics by metric name (matched case-insensitively)."""
    last_scale_time: datetime | None = None
    """When autoscale last changed the capacity (either direction); starts every rule's cooldown."""
    target_resource_id: str | None = None
    """The scale set's ARM ID: a rule whose metricResourceUri names another resource has no data here."""
    scale_in_progress: bool = False
    """The previous scale action has not finished: Azure skips the run."""


@dataclass(frozen=True)
class RuleEvaluation:
    index: int
    rule: ScaleRule
    value: float | None
    """The metric value compared with the threshold; None when the metric could not be read."""
    fired: bool
    cooldown_until: datetime | None
    """Set while the rule is cooling down: it may not act before this time."""

    @property
    def direction(self) -> Direction:
        return self.rule.scaleAction.direction

    def describe(self) -> str:
        trigger = self.rule.metricTrigger
        value = "no data" if self.value is None else f"{self.value:g}"
        return (
            f"rule {self.index} '{trigger.metricName}' {trigger.timeAggregation} {value} "
            f"{SYMBOL[trigger.operator]} {trigger.threshold:g}"
        )


@dataclass(frozen=True)
class Evaluation:
    """What autoscale decides at ``now``, and why, in terms a status or an Event can show."""

    capacity: int
    new_capacity: int | None
    """None: no change."""
    reason: Reason
    message: str
    profile: AutoscaleProfile | None = None
    profile_kind: ProfileKind | None = None
    rule: RuleEvaluation | None = None
    """The rule whose metric caused the decision (or held it back), if one did."""
    rules: tuple[RuleEvaluation, ...] = ()
    next_action_time: datetime | None = None
    """While rules cool down: the earliest time one of them may act again."""
    next_profile_change: datetime | None = None

    @property
    def direction(self) -> Direction | None:
        if self.new_capacity is None or self.new_capacity == self.capacity:
            return None
        return "Increase" if self.new_capacity > self.capacity else "Decrease"


# -- rules ---------------------------------------------------------------------------------------


def _samples(inputs: AutoscaleInput, rule: ScaleRule) -> Sequence[MetricSample]:
    trigger = rule.metricTrigger
    source = trigger.metricResourceUri
    if source is not None and (inputs.target_resource_id or "").lower() != source.lower():
        return ()
    wanted = trigger.metricName.lower()
    return next((s for name, s in inputs.metrics.items() if name.lower() == wanted), ())


def _cooldown_until(inputs: AutoscaleInput, action: ScaleAction) -> datetime | None:
    if inputs.last_scale_time is None:
        return None
    until = inputs.last_scale_time + timedelta(minutes=duration_minutes(action.cooldown))
    return until if until > inputs.now else None


def evaluate_rule(inputs: AutoscaleInput, index: int, rule: ScaleRule) -> RuleEvaluation:
    trigger = rule.metricTrigger
    measured = metric_value(trigger, _samples(inputs, rule), inputs.now, inputs.capacity)
    value = None if measured is None else measured.value
    fired = value is not None and COMPARE[trigger.operator](value, trigger.threshold)
    return RuleEvaluation(index, rule, value, fired, _cooldown_until(inputs, rule.scaleAction))


def rule_target(action: ScaleAction, current: int) -> int:
    """The capacity one rule asks for (before the profile's limits); never the wrong direction."""
    increase = action.direction == "Increase"
    if action.type == "ExactCount":
        target = action.value
    else:
        change = action.value
        if action.type == "PercentChangeCount":
            exact = current * action.value / 100
            change = max(1, math.ceil(exact) if increase else math.floor(exact))
        target = current + change if increase else current - change
    return max(current, target) if increase else min(current, target)


def _per_instance(inputs: AutoscaleInput, rule: ScaleRule) -> bool:
    """Whether the metric is load per instance, which spreads over more or fewer instances: the scale
    set's own Average/Min/Max (a Sum or a Count of samples is a total, which does not), or any metric
    divided per instance."""
    trigger = rule.metricTrigger
    if trigger.dividePerInstance:
        return True
    own = (
        trigger.metricResourceUri is None
        or trigger.metricResourceUri.lower() == (inputs.target_resource_id or "").lower()
    )
    return own and trigger.statistic in ("Average", "Min", "Max") and trigger.timeAggregation != "Count"


def projected(inputs: AutoscaleInput, result: RuleEvaluation, count: int) -> float | None:
    """The metric ``result`` measured at the current capacity, estimated at ``count`` instances."""
    value, current = result.value, inputs.capacity
    if value is None or current == count:
        return value
    if not _per_instance(inputs, result.rule):
        return value
    if count == 0:
        return 0.0 if value == 0 else math.inf
    return value * current / count


def would_scale_out(inputs: AutoscaleInput, results: Sequence[RuleEvaluation], count: int) -> bool:
    """Whether any scale-out rule would fire at ``count`` instances (the flapping check)."""
    for result in results:
        estimate = projected(inputs, result, count)
        trigger = result.rule.metricTrigger
        if (
            result.direction == "Increase"
            and estimate is not None
            and COMPARE[trigger.operator](estimate, trigger.threshold)
        ):
            return True
    return False


# -- the decision ----------------------------------------------------------------------------------


def _clamp(capacity: ScaleCapacity, value: int) -> int:
    return max(capacity.minimum, min(capacity.maximum, value))


def _next_action_time(results: Sequence[RuleEvaluation]) -> datetime | None:
    cooling = [r.cooldown_until for r in results if r.cooldown_until is not None]
    return min(cooling) if cooling else None


def _scale_out(inputs: AutoscaleInput, limits: ScaleCapacity, results: Sequence[RuleEvaluation]) -> Evaluation | None:
    fired = [r for r in results if r.direction == "Increase" and r.fired]
    ready = [r for r in fired if r.cooldown_until is None]
    current = inputs.capacity
    if not fired:
        return None
    if not ready:
        first = min(fired, key=lambda r: r.cooldown_until or inputs.now)
        return _hold(
            inputs, "Cooldown", f"scale-out held by cooldown until {first.cooldown_until}: {first.describe()}", first
        )
    best = max(ready, key=lambda r: (rule_target(r.rule.scaleAction, current), -r.index))
    target = _clamp(limits, rule_target(best.rule.scaleAction, current))
    if target <= current:
        return _hold(inputs, "AtLimit", f"at the maximum {limits.maximum}: {best.describe()}", best)
    return _change(inputs, target, "ScaleOut", f"scale out {current} -> {target}: {best.describe()}", best)


def _scale_in(inputs: AutoscaleInput, limits: ScaleCapacity, results: Sequence[RuleEvaluation]) -> Evaluation | None:
    rules_in = [r for r in results if r.direction == "Decrease"]
    current = inputs.capacity
    if not rules_in or not all(r.fired for r in rules_in):
        return None
    cooling = [r for r in rules_in if r.cooldown_until is not None]
    if cooling:
        first = max(cooling, key=lambda r: r.cooldown_until or inputs.now)
        return _hold(
            inputs, "Cooldown", f"scale-in held by cooldown until {first.cooldown_until}: {first.describe()}", first
        )
    best = max(rules_in, key=lambda r: (rule_target(r.rule.scaleAction, current), -r.index))
    target = _clamp(limits, rule_target(best.rule.scaleAction, current))
    if target >= current:
        return _hold(inputs, "AtLimit", f"at the minimum {limits.minimum}: {best.describe()}", best)
    safe = next((count for count in range(target, current) if not would_scale_out(inputs, results, count)), None)
    if safe is None:
        return _hold(
            inputs, "Flapping", f"scale-in to {target} skipped: it would trigger a scale-out ({best.describe()})", best
        )
    note = "" if safe == target else f" (not {target}: that would trigger a scale-out)"
    return _change(inputs, safe, "ScaleIn", f"scale in {current} -> {safe}{note}: {best.describe()}", best)


def _hold(inputs: AutoscaleInput, reason: Reason, message: str, rule: RuleEvaluation | None = None) -> Evaluation:
    return Evaluation(inputs.capacity, None, reason, message, rule=rule)


def _change(
    inputs: AutoscaleInput, target: int, reason: Reason, message: str, rule: RuleEvaluation | None = None
) -> Evaluation:
    return Evaluation(inputs.capacity, target, reason, message, rule=rule)


def _limits(inputs: AutoscaleInput, limits: ScaleCapacity) -> Evaluation | None:
    current = inputs.capacity
    if current < limits.minimum:
        return _change(
            inputs, limits.minimum, "BelowMinimum", f"scale out {current} -> {limits.minimum}: below the minimum"
        )
    if current > limits.maximum:
        return _change(
            inputs, limits.maximum, "AboveMaximum", f"scale in {current} -> {limits.maximum}: above the maximum"
        )
    return None


def _default(inputs: AutoscaleInput, limits: ScaleCapacity, results: Sequence[RuleEvaluation]) -> Evaluation | None:
    missing = next((r for r in results if r.value is None), None)
    if missing is None or inputs.capacity >= limits.default:
        return None
    message = (
        f"scale out {inputs.capacity} -> {limits.default}: metrics unavailable ({missing.describe()}), default capacity"
    )
    return _change(inputs, limits.default, "DefaultCapacity", message, missing)


def _decide(inputs: AutoscaleInput, active: ActiveProfile, results: Sequence[RuleEvaluation]) -> Evaluation:
    limits = active.profile.capacity
    decided = (
        _limits(inputs, limits)
        or _default(inputs, limits, results)
        or _scale_out(inputs, limits, results)
        or _scale_in(inputs, limits, results)
    )
    if decided is not None:
        return decided
    return _hold(
        inputs,
        "NoRuleFired",
        f"no change at {inputs.capacity}: no scale-out rule fired and not every scale-in rule did",
    )


def evaluate(inputs: AutoscaleInput) -> Evaluation:
    """Azure's autoscale run at ``inputs.now``: the profile in force, the decision and its cause."""
    settings = inputs.settings
    if not settings.enabled:
        return _hold(inputs, "Disabled", "autoscale is disabled: the capacity stays as it is")
    active = active_profile(settings, inputs.now)
    upcoming = next_change(settings, inputs.now)
    if active is None:
        return replace(_hold(inputs, "NoActiveProfile", "no profile applies now"), next_profile_change=upcoming)
    results = tuple(evaluate_rule(inputs, index, rule) for index, rule in enumerate(active.profile.rules))
    if inputs.scale_in_progress:
        decided = _hold(inputs, "ScaleActionInProgress", "the previous scale action is still in progress")
    else:
        decided = _decide(inputs, active, results)
    return Evaluation(
        capacity=decided.capacity,
        new_capacity=decided.new_capacity,
        reason=decided.reason,
        message=decided.message,
        profile=active.profile,
        profile_kind=active.kind,
        rule=decided.rule,
        rules=results,
        next_action_time=_next_action_time(results),
        next_profile_change=upcoming,
    )
