"""The simulator's autoscale service: ``Microsoft.Insights/autoscaleSettings`` resources, evaluated
on the simulator's clock by the same rule engine the operator uses (``scaleset_operator.autoscale``).

As on Azure, a setting is a resource of its own that names its target scale set, there is at most
one per scale set, and the service runs on its own schedule: once a minute (30 seconds after the
minute's metric samples) it evaluates each enabled setting against its scale set's recent samples
and changes the scale set's capacity when the rules say so. Each run's ``Evaluation`` and each scale
action are kept (the last ``HISTORY`` actions) for the admin endpoint and the tests.

Not modelled: predictive autoscale (``predictiveAutoscalePolicy`` is stored and returned, never
forecast), notifications (stored and returned as sent, never delivered), metrics of other resources
(a rule reading another resource has no data, so the profile's default capacity applies).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scaleset_operator.api.autoscale import AutoscaleSettings, duration_minutes
from scaleset_operator.autoscale import AutoscaleInput, Evaluation, MetricSample, evaluate
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale, ObservedAutoscale
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import Conflict

HISTORY = 50
RUN_OFFSET = timedelta(seconds=30)
"""Autoscale runs this long after each minute's samples (Azure: every 30 to 60 seconds)."""


@dataclass(frozen=True)
class ScaleActionRecord:
    """One capacity change made by autoscale, with the rule and metric value behind it."""

    time: datetime
    old_capacity: int
    new_capacity: int
    reason: str
    message: str
    profile: str | None
    metric_name: str | None
    metric_value: float | None


@dataclass
class SimAutoscale:
    key: AutoscaleKey
    location: str
    target: ScaleSetKey
    settings: AutoscaleSettings
    created_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """What a client sent that the service stores but does not act on (notifications)."""
    last_scale_time: datetime | None = None
    last_evaluation: Evaluation | None = None
    actions: deque[ScaleActionRecord] = field(default_factory=lambda: deque(maxlen=HISTORY))

    def observe(self) -> ObservedAutoscale:
        return ObservedAutoscale(
            key=self.key,
            location=self.location,
            target_resource_uri=self.target.resource_id,
            enabled=self.settings.enabled,
            settings=self.settings,
            tags=dict(self.tags),
        )


def metric_window(settings: AutoscaleSettings) -> tuple[set[str], timedelta]:
    """The metrics the settings read and the longest time window they look back."""
    triggers = [rule.metricTrigger for profile in settings.profiles for rule in profile.rules]
    names = {t.metricName for t in triggers}
    minutes = max((duration_minutes(t.timeWindow) for t in triggers), default=0)
    return names, timedelta(minutes=minutes)


class AutoscaleService:
    """The autoscale settings of the simulated cloud, by key; one per target scale set."""

    def __init__(self) -> None:
        self._settings: dict[AutoscaleKey, SimAutoscale] = {}

    def find(self, key: AutoscaleKey) -> SimAutoscale | None:
        return next((s for k, s in self._settings.items() if k.matches(key)), None)

    def targeting(self, target: ScaleSetKey) -> SimAutoscale | None:
        return next((s for s in self._settings.values() if str(s.target).lower() == str(target).lower()), None)

    def in_group(self, subscription_id: str, resource_group: str) -> list[SimAutoscale]:
        wanted = f"{subscription_id}/{resource_group}".lower()
        found = [
            s for s in self._settings.values() if f"{s.key.subscription_id}/{s.key.resource_group}".lower() == wanted
        ]
        return sorted(found, key=lambda s: s.key.name.lower())

    def put(
        self, desired: DesiredAutoscale, now: datetime, tags: Mapping[str, str], extra: Mapping[str, Any]
    ) -> tuple[SimAutoscale, bool]:
        """Create or replace a setting; (setting, created). One setting per target, as on Azure."""
        other = self.targeting(desired.target)
        if other is not None and not other.key.matches(desired.key):
            raise Conflict(
                f"the scale set {desired.target.name} already has the autoscale setting '{other.key.name}': "
                "a resource can have only one autoscale setting",
                code="Conflict",
            )
        existing = self.find(desired.key)
        if existing is None:
            existing = SimAutoscale(desired.key, desired.location, desired.target, desired.settings, now)
            self._settings[desired.key] = existing
            created = True
        else:
            existing.location, existing.target, existing.settings = desired.location, desired.target, desired.settings
            created = False
        existing.tags = dict(tags)
        existing.extra = dict(extra)
        return existing, created

    def delete(self, key: AutoscaleKey) -> bool:
        found = next((k for k in self._settings if k.matches(key)), None)
        if found is None:
            return False
        del self._settings[found]
        return True

    @staticmethod
    def run(
        setting: SimAutoscale, capacity: int, samples: Mapping[str, list[MetricSample]], now: datetime, busy: bool
    ) -> Evaluation:
        """One autoscale run: evaluate, and record the scale action if it changes the capacity."""
        evaluation = evaluate(
            AutoscaleInput(
                settings=setting.settings,
                capacity=capacity,
                now=now,
                metrics=samples,
                last_scale_time=setting.last_scale_time,
                target_resource_id=setting.target.resource_id,
                scale_in_progress=busy,
            )
        )
        setting.last_evaluation = evaluation
        if evaluation.new_capacity is not None and evaluation.new_capacity != capacity:
            setting.last_scale_time = now
            rule = evaluation.rule
            setting.actions.append(
                ScaleActionRecord(
                    time=now,
                    old_capacity=capacity,
                    new_capacity=evaluation.new_capacity,
                    reason=evaluation.reason,
                    message=evaluation.message,
                    profile=evaluation.profile.name if evaluation.profile else None,
                    metric_name=rule.rule.metricTrigger.metricName if rule else None,
                    metric_value=rule.value if rule else None,
                )
            )
        return evaluation
