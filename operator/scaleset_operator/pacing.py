"""How often an idle ScaleSet is looked at again: stretched with the fleet, so that a subscription's
steady-state reads stay under a share of its Compute budget.

A converged ScaleSet still needs an occasional observation (instances that failed or were deleted
outside the operator, a new 'latest' image). Each one costs a scale set GET and a VM list request
per 100 VMs (``cloud/limits.py``). Compute allows a subscription 360 VM-list requests a minute, so
a fixed 30 s resync throttles a subscription past ~180 ScaleSets while nothing changes, hurting
every other client of the subscription. Instead, with P VM-list pages over all the ScaleSets of a
subscription and a read share r (``--idle-read-share``, default 0.5), the idle interval is::

    max(floor, P x 60 / (r x 360)) seconds          (and likewise for the 800/min scale set GETs)

1,000 ScaleSets of 10 VMs resync every 5.6 minutes and read 180 VM lists a minute, half the
subscription's budget; the other half stays free for busy ScaleSets and every other client. The
floor is the planner's own idle resync (30 s). Busy ScaleSets (a rollout or an operation in flight)
are not stretched: they follow the planner's requeue and the backend's budget.

Every process sees every ScaleSet (each shard watches them all and acts on its own share), so each
computes the same interval and the fleet as a whole stays within the share.

Phases: a ScaleSet that turns idle is looked at again after a uniformly random part of the interval,
then every interval +-10%, so a fleet created at once spreads its reads evenly instead of arriving in
waves every interval.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from scaleset_operator import metrics
from scaleset_operator.cloud.limits import SUBSCRIPTION_LIMITS, BudgetKind, Rate, observation_cost

DEFAULT_IDLE_READ_SHARE = 0.5
JITTER = 0.1


@dataclass(frozen=True)
class _Tracked:
    subscription: str
    cost: Mapping[BudgetKind, int]


class ResyncPacing:
    def __init__(
        self,
        share: float = DEFAULT_IDLE_READ_SHARE,
        limits: Mapping[BudgetKind, Rate] = SUBSCRIPTION_LIMITS,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("the idle read share must be in (0, 1]")
        self.share = share
        self.limits = limits
        self.rng = rng if rng is not None else random.Random()
        self._tracked: dict[Hashable, _Tracked] = {}
        self._totals: dict[str, Counter[BudgetKind]] = {}
        self._counts: Counter[str] = Counter()

    def track(self, key: Hashable, subscription: str, instances: int) -> None:
        """Count ``key`` (a ScaleSet of ``instances`` VMs) in its subscription's idle reads."""
        entry = _Tracked(subscription.lower(), observation_cost(instances))
        if self._tracked.get(key) == entry:
            return
        self.forget(key)
        self._tracked[key] = entry
        self._totals.setdefault(entry.subscription, Counter()).update(entry.cost)
        self._counts[entry.subscription] += 1
        self._report(entry.subscription)

    def forget(self, key: Hashable) -> None:
        entry = self._tracked.pop(key, None)
        if entry is None:
            return
        self._totals[entry.subscription].subtract(entry.cost)
        self._counts[entry.subscription] -= 1
        if self._counts[entry.subscription] <= 0:
            del self._totals[entry.subscription], self._counts[entry.subscription]
        self._report(entry.subscription)

    def interval(self, subscription: str) -> float:
        """Seconds between two observations of each idle ScaleSet of ``subscription`` (no floor)."""
        totals = self._totals.get(subscription.lower())
        if not totals:
            return 0.0
        return max(
            totals[kind] * 60.0 / (self.share * rate.per_minute) for kind, rate in self.limits.items() if kind in totals
        )

    def idle_delay(self, key: Hashable, floor: float, *, first: bool) -> float:
        """When to look at an idle ScaleSet again: at least ``floor`` (the planner's own resync)."""
        entry = self._tracked.get(key)
        interval = max(floor, self.interval(entry.subscription) if entry else 0.0)
        if first:
            return interval * self.rng.random()
        return interval * self.rng.uniform(1 - JITTER, 1 + JITTER)

    def reads_per_minute(self, subscription: str, floor: float) -> dict[BudgetKind, float]:
        """The steady-state reads of the subscription's idle ScaleSets, per minute and kind."""
        totals = self._totals.get(subscription.lower(), Counter())
        interval = max(floor, self.interval(subscription))
        return {kind: n * 60.0 / interval for kind, n in totals.items()} if interval else {}

    def subscriptions(self) -> list[str]:
        return sorted(self._counts)

    def _report(self, subscription: str) -> None:
        count = self._counts.get(subscription, 0)
        if count:
            metrics.SUBSCRIPTION_SCALESETS.labels(subscription).set(count)
            metrics.SUBSCRIPTION_RESYNC_SECONDS.labels(subscription).set(self.interval(subscription))
        else:
            for gauge in (metrics.SUBSCRIPTION_SCALESETS, metrics.SUBSCRIPTION_RESYNC_SECONDS):
                with contextlib.suppress(KeyError):  # never reported
                    gauge.remove(subscription)
