"""Azure's rolling upgrade policy: batch size, batch selection and the two health stop rules.

- batch size = ``maxBatchInstancePercent`` of the instance count, at least one instance;
- a batch stays within one update domain and one zone (several zones only with
  ``enableCrossZoneUpgrade``, still one update domain);
- ``prioritizeUnhealthyInstances`` takes unhealthy instances first;
- before each batch: stop if more than ``maxUnhealthyInstancePercent`` of all instances are unhealthy;
- after each batch: stop if more than ``maxUnhealthyUpgradedInstancePercent`` of the upgraded
  instances are unhealthy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.scaleset import RollingUpgradePolicy, ScaleSetSpec
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.health import is_unhealthy

BEFORE_BATCH_CODE = "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade"
AFTER_BATCH_CODE = "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade"
TIMEOUT_CODE = "RollingUpgradeTimeoutError"

# Azure's fallback policy for automatic OS upgrades without useRollingUpgradePolicy.
DEFAULT_POLICY = RollingUpgradePolicy()


@dataclass(frozen=True)
class BatchPolicy:
    max_batch_percent: int
    max_unhealthy_percent: int
    max_unhealthy_upgraded_percent: int
    pause: timedelta
    cross_zone: bool
    prioritize_unhealthy: bool
    health_timeout: timedelta

    @classmethod
    def from_spec(cls, spec: ScaleSetSpec, *, use_rolling_policy: bool = True) -> BatchPolicy:
        rolling = spec.upgradePolicy.rollingUpgradePolicy if use_rolling_policy else DEFAULT_POLICY
        return cls(
            max_batch_percent=rolling.maxBatchInstancePercent,
            max_unhealthy_percent=rolling.maxUnhealthyInstancePercent,
            max_unhealthy_upgraded_percent=rolling.maxUnhealthyUpgradedInstancePercent,
            pause=parse_duration(rolling.pauseTimeBetweenBatches),
            cross_zone=rolling.enableCrossZoneUpgrade,
            prioritize_unhealthy=rolling.prioritizeUnhealthyInstances,
            health_timeout=parse_duration(spec.rolloutPolicy.healthTimeout),
        )


def batch_size(instance_count: int, max_batch_percent: int) -> int:
    return max(1, instance_count * max_batch_percent // 100)


def exceeds(part: int, whole: int, percent: int) -> bool:
    """More than ``percent`` % (strictly), as Azure words its limits."""
    return whole > 0 and part * 100 > whole * percent


def unhealthy_before_batch(instances: Sequence[ObservedInstance], signal: bool, policy: BatchPolicy) -> int | None:
    """The unhealthy count if the before-batch rule stops the rollout, else None."""
    unhealthy = sum(1 for i in instances if is_unhealthy(i, signal))
    return unhealthy if exceeds(unhealthy, len(instances), policy.max_unhealthy_percent) else None


def select_batch(
    pending: Sequence[ObservedInstance], instance_count: int, policy: BatchPolicy, signal: bool
) -> list[ObservedInstance]:
    """The next batch: one update domain of one zone, unhealthy first when asked."""
    if not pending:
        return []

    def order(i: ObservedInstance) -> tuple[int, str, int, str, str]:
        first = 0 if policy.prioritize_unhealthy and is_unhealthy(i, signal) else 1
        zone = "" if policy.cross_zone else (i.zone or "")
        return (first, zone, i.update_domain, i.created_at.isoformat(), i.instance_id)

    ordered = sorted(pending, key=order)
    lead = ordered[0]
    same_group = [
        i for i in ordered if i.update_domain == lead.update_domain and (policy.cross_zone or i.zone == lead.zone)
    ]
    return same_group[: batch_size(instance_count, policy.max_batch_percent)]
