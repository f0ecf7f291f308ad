"""The operator's own throttling budget, mirroring Azure Compute's limits per scale set.

Azure throttles Compute calls per subscription and per scale set and answers 429 with a
``Retry-After`` once a budget is spent; a controller that learns about the limit only from the 429
has already hurt every other client of the subscription. So each call first takes a token from a
bucket refilled at Compute's published rate (DESIGN.md section 5): PUT 4/min with a burst of 12,
update actions (manual upgrade, reimage, reimage-all, restart, delete instances) 4/min burst 12,
high-cost GET (the VM list with instance views) 10/min burst 30, low-cost GET (the scale set) 12/min
burst 36. An empty bucket raises ``Throttled(code="ClientThrottled")`` with the seconds until the
next token, which the reconciler treats exactly like Azure's own 429. A 429 from Azure also closes
the bucket for its ``Retry-After``, so nothing retries early.

Calls on single virtual machines (Flexible orchestration has no batch reimage or restart, so a
batch is one call per VM) take from ``vm_update``, a bucket per *subscription* at Compute's
subscription-wide update rate, 500/min with a burst of 1500: a batch takes one token per VM, all or
none, so it is either sent whole or held back whole.

The clock is injectable (monotonic seconds) so tests can run the budget on simulated time.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import Throttled

BudgetKind = Literal["put", "update", "high_cost_get", "low_cost_get", "vm_update"]
SUBSCRIPTION_KINDS: frozenset[BudgetKind] = frozenset({"vm_update"})
"""Kinds budgeted per subscription (calls on single VMs), not per scale set."""
CLIENT_THROTTLED = "ClientThrottled"
_EPSILON = 1e-9


@dataclass(frozen=True)
class Rate:
    per_minute: float
    burst: int


COMPUTE_LIMITS: Mapping[BudgetKind, Rate] = {
    "put": Rate(per_minute=4, burst=12),
    "update": Rate(per_minute=4, burst=12),
    "high_cost_get": Rate(per_minute=10, burst=30),
    "low_cost_get": Rate(per_minute=12, burst=36),
    "vm_update": Rate(per_minute=500, burst=1500),
}


class TokenBucket:
    """``burst`` tokens, refilled continuously at ``per_minute``; ``hold`` closes it for a while."""

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.tokens = float(rate.burst)
        self.updated = now
        self.closed_until = float("-inf")

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.rate.burst), self.tokens + elapsed * self.rate.per_minute / 60.0)
        self.updated = max(self.updated, now)

    def wait(self, now: float, tokens: int = 1) -> float:
        """Seconds until ``tokens`` are available (0: now; infinite: more than the burst)."""
        self.refill(now)
        if now < self.closed_until:
            return self.closed_until - now
        if tokens > self.rate.burst:
            return math.inf
        if self.tokens >= tokens - _EPSILON:
            return 0.0
        # Rounded up to the millisecond: waiting exactly this long always yields the tokens.
        return math.ceil((tokens - self.tokens) * 60_000.0 / self.rate.per_minute) / 1000.0

    def take(self, now: float, tokens: int = 1) -> float:
        """Take ``tokens`` and return 0, or return the seconds until they are available (taking nothing)."""
        wait = self.wait(now, tokens)
        if wait == 0:
            self.tokens = max(0.0, self.tokens - tokens)
        return wait

    def hold(self, now: float, seconds: float) -> None:
        self.refill(now)
        self.closed_until = max(self.closed_until, now + seconds)


class CallBudget:
    """One bucket per (scale set, kind); the key carries the subscription, so budgets never mix."""

    def __init__(
        self,
        limits: Mapping[BudgetKind, Rate] = COMPUTE_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = dict(limits)
        self.clock = clock
        self._buckets: dict[tuple[ScaleSetKey, BudgetKind], TokenBucket] = {}

    def _bucket(self, key: ScaleSetKey, kind: BudgetKind) -> TokenBucket:
        if kind in SUBSCRIPTION_KINDS:
            key = ScaleSetKey(key.subscription_id.lower(), "", "")
        bucket = self._buckets.get((key, kind))
        if bucket is None:
            bucket = self._buckets[(key, kind)] = TokenBucket(self.limits[kind], self.clock())
        return bucket

    def take(self, key: ScaleSetKey, *kinds: BudgetKind) -> None:
        """Spend one call of each of ``kinds`` on ``key`` (a kind listed twice: two calls), all or
        none, or raise ``Throttled`` without calling Azure. Taking the calls of an observation
        together means a refused VM list never wastes the scale set GET before it."""
        now = self.clock()
        wanted = Counter(kinds)
        waits = {kind: self._bucket(key, kind).wait(now, count) for kind, count in wanted.items()}
        kind, wait = max(waits.items(), key=lambda item: item[1])
        if wait > 0:
            scope = f"subscription {key.subscription_id}" if kind in SUBSCRIPTION_KINDS else f"scale set {key.name}"
            rate = self.limits[kind]
            raise Throttled(
                f"client-side budget for {wanted[kind]} {kind.replace('_', '-')} call(s) on {scope} is spent "
                f"({rate.per_minute:g}/min, burst {rate.burst}); next call in {wait:.1f}s",
                retry_after=wait if math.isfinite(wait) else 60.0,
                code=CLIENT_THROTTLED,
            )
        for kind, count in wanted.items():
            self._bucket(key, kind).take(now, count)

    def hold(self, key: ScaleSetKey, kind: BudgetKind, seconds: float) -> None:
        """Azure said 429 with ``Retry-After: seconds``: no call of this kind before then."""
        self._bucket(key, kind).hold(self.clock(), seconds)

    def available(self, key: ScaleSetKey, kind: BudgetKind) -> float:
        bucket = self._bucket(key, kind)
        bucket.refill(self.clock())
        return bucket.tokens
