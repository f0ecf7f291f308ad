"""Why the capacity changed, and what autoscale will do next, from the rules the cloud evaluates.

The cloud decides (Azure's autoscale, or the simulator's service with the same engine); the
operator only explains, with that same engine (``scaleset_operator.autoscale``) over the metrics it
read: when it sees the capacity move from ``old`` to ``new``, it evaluates the setting at ``old``
and names the rule and metric value that lead there (``AutoscaledOut 2 -> 3: rule 0 'Percentage
CPU' Average 80 > 70``). A change the rules in force do not explain (a person, another tool, a
setting this API cannot read) is reported as such, never made up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from scaleset_operator.api.autoscale import AutoscaleSettings
from scaleset_operator.api.status import ScaleActionStatus
from scaleset_operator.autoscale import AutoscaleInput, Evaluation, MetricSample, RuleEvaluation, evaluate
from scaleset_operator.autoscale.engine import rule_target
from scaleset_operator.planner.events import PlannedEvent, normal
from scaleset_operator.planner.timefmt import fmt

LIMIT_REASONS = ("BelowMinimum", "AboveMaximum")


def explain(
    change: tuple[int, int],
    settings: AutoscaleSettings | None,
    metrics: Mapping[str, Sequence[MetricSample]] | None,
    now: datetime,
    target: str,
) -> ScaleActionStatus:
    """The scale action behind ``change`` (old, new), as far as the rules in force explain it."""
    old, new = change
    if settings is None or not settings.enabled:
        return _unexplained(change, now, "no enabled autoscale setting this operator can read explains it")
    evaluation = evaluate(AutoscaleInput(settings, old, now, metrics or {}, None, target))
    profile = evaluation.profile.name if evaluation.profile is not None else None
    if evaluation.new_capacity == new and (metrics is not None or evaluation.reason in LIMIT_REASONS):
        return _action(change, now, evaluation.reason, profile, evaluation.rule, _detail(evaluation))
    if metrics is None:
        return _unexplained(change, now, "the metrics could not be read")
    rule = _fired(evaluation, "Increase" if new > old else "Decrease", old)
    if rule is None:
        return _unexplained(change, now, "not explained by the autoscale rules in force (another tool or a person)")
    return _action(change, now, "ScaleOut" if new > old else "ScaleIn", profile, rule, rule.describe())


def _fired(evaluation: Evaluation, direction: str, current: int) -> RuleEvaluation | None:
    """The rule of that direction that fired and asks for the most (held back only by cooldown or
    by the moment the operator looked)."""
    fired = [r for r in evaluation.rules if r.direction == direction and r.fired]
    if not fired:
        return None
    return max(fired, key=lambda r: (abs(rule_target(r.rule.scaleAction, current) - current), -r.index))


def _detail(evaluation: Evaluation) -> str:
    """The engine's own words without its 'scale out 2 -> 3: ' prefix (the Event says that)."""
    if evaluation.rule is not None and evaluation.reason in ("ScaleOut", "ScaleIn"):
        return evaluation.rule.describe()
    return evaluation.message.split(": ", 1)[-1]


def _action(
    change: tuple[int, int],
    now: datetime,
    reason: str,
    profile: str | None,
    rule: RuleEvaluation | None,
    detail: str,
) -> ScaleActionStatus:
    old, new = change
    trigger = rule.rule.metricTrigger if rule is not None else None
    where = f", profile {profile}" if profile else ""
    return ScaleActionStatus(
        time=fmt(now),
        oldCapacity=old,
        newCapacity=new,
        reason=reason,
        profile=profile,
        rule=rule.index if rule is not None else None,
        metricName=trigger.metricName if trigger is not None else None,
        metricValue=rule.value if rule is not None else None,
        threshold=trigger.threshold if trigger is not None else None,
        message=f"{old} -> {new}: {detail}{where}"[:1024],
    )


def _unexplained(change: tuple[int, int], now: datetime, why: str) -> ScaleActionStatus:
    old, new = change
    return ScaleActionStatus(
        time=fmt(now), oldCapacity=old, newCapacity=new, reason="Unexplained", message=f"{old} -> {new}: {why}"
    )


def event(action: ScaleActionStatus, owner: str) -> PlannedEvent:
    """One Event per observed capacity change: ``AutoscaledOut``/``AutoscaledIn`` with the rule, or
    ``CapacityChanged`` when no rule explains it."""
    if action.reason == "Unexplained":
        return normal("CapacityChanged", f"{action.message} (capacityOwner {owner})")
    verb = "AutoscaledOut" if action.newCapacity > action.oldCapacity else "AutoscaledIn"
    return normal(verb, action.message)


def outlook(
    settings: AutoscaleSettings, capacity: int, now: datetime, last: datetime | None, target: str
) -> Evaluation:
    """The profile in force and when the next action or profile change may come (no metrics needed:
    cooldowns count from the last scale action, profiles follow the clock)."""
    return evaluate(AutoscaleInput(settings, capacity, now, {}, last, target))
