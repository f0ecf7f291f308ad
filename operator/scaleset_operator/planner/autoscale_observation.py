"""What a pass reads of autoscale, and when it reads it (the reconciler asks; the planner says).

The autoscale setting is read (one Insights GET) only when it matters to this ScaleSet: it declares
``spec.autoscale``, its capacity has another owner than the spec, or status still reports a setting
(one to delete). A failed read is a failed observation like any other: nothing is decided from it.

Metrics are read only to explain a capacity change the operator did not make: the metrics of the
profile in force over its longest ``timeWindow``, once, on the pass that sees the change. They are
for display (``status.autoscale.lastScaleAction``, the ``AutoscaledOut`` Event); the cloud decides,
the operator never scales by its own evaluation. A failed metrics read leaves the change unexplained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scaleset_operator.api.autoscale import AutoscaleSettings, duration_minutes
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import RolloutRecord, ScaleSetStatus
from scaleset_operator.autoscale import MetricSample, active_profile
from scaleset_operator.cloud.autoscale import ObservedAutoscale
from scaleset_operator.cloud.observed import ObservedScaleSet


@dataclass(frozen=True)
class AutoscaleObservation:
    """The autoscale setting that targets the scale set (None: there is none), and metric samples
    when a capacity change is to be explained."""

    setting: ObservedAutoscale | None
    metrics: Mapping[str, Sequence[MetricSample]] | None = None
    """None: not read this pass (no change to explain, or the read failed)."""


@dataclass(frozen=True)
class MetricsQuery:
    names: tuple[str, ...]
    start: datetime
    end: datetime


def surging(record: RolloutRecord | None) -> bool:
    """A maxSurge batch owns the capacity while it runs (the operator's own change, not the owner's)."""
    return record is not None and record.batch is not None and record.batch.action == "Surge"


def wanted(spec: ScaleSetSpec, status: ScaleSetStatus) -> bool:
    """Whether this pass reads the autoscale setting."""
    return spec.autoscale is not None or spec.capacityOwner != "Spec" or status.autoscale is not None


def evaluated_settings(spec: ScaleSetSpec, setting: ObservedAutoscale | None) -> AutoscaleSettings | None:
    """The settings the cloud evaluates: the observed setting's when this API can read them (they
    include a rollout's held minimum, or were made elsewhere); else the spec's if the operator wrote
    that setting (it carries the hash tag); else none (a setting made elsewhere that this API cannot
    express explains nothing here)."""
    if setting is None:
        return None
    if setting.settings is not None:
        return setting.settings
    return spec.autoscale if setting.settings_hash is not None else None


def metrics_query(
    spec: ScaleSetSpec,
    status: ScaleSetStatus,
    observed: ObservedScaleSet,
    setting: ObservedAutoscale | None,
    now: datetime,
) -> MetricsQuery | None:
    """The metrics that explain a capacity change seen this pass, or None when there is none."""
    stored = status.capacity
    if stored is None or stored.observed == observed.capacity or surging(status.rollout):
        return None
    settings = evaluated_settings(spec, setting)
    active = active_profile(settings, now) if settings is not None and settings.enabled else None
    if active is None or not active.profile.rules:
        return None
    triggers = [rule.metricTrigger for rule in active.profile.rules]
    minutes = max(duration_minutes(t.timeWindow) for t in triggers)
    names = tuple(sorted({t.metricName for t in triggers}))
    return MetricsQuery(names, now - timedelta(minutes=minutes), now)
