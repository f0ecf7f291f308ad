"""The operator's own throttling budget, mirroring Azure Compute's limits per scale set and per subscription.

Azure throttles Compute calls per scale set and per subscription and answers 429 with a
``Retry-After`` once a budget is spent; a controller that learns about the limit only from the 429
has already hurt every other client of the subscription. So each call first takes tokens from
buckets refilled at Compute's published rates (``cloud/limits.py``, DESIGN.md section 5):

- the scale set's bucket of that kind (PUT 4/min burst 12, update actions 4/min burst 12, high-cost
  GET 10/min burst 30, low-cost GET 12/min burst 36); an empty one raises
  ``Throttled(code="ClientThrottled")``. Calls on single virtual machines (Flexible orchestration has
  no batch reimage or restart, so a batch is one call per VM) take from ``vm_update``, a bucket per
  *subscription* at Compute's "update VMSS VMs" rate, 500/min burst 1500: a batch takes one token per
  VM, all or none, so it is either sent whole or held back whole;
- the subscription's bucket of that kind, shared by every scale set of the subscription (PUT
  125/min, update 500/min, delete 175/min, high-cost GET 360/min, low-cost GET 800/min, bursts
  three times that). With ``--shard I/N`` each of the N processes holds ``1/N`` of it (shards split
  the ScaleSets evenly). An empty one raises ``Throttled(code="SubscriptionBudget")`` naming the
  budget and a coarse wait, which the reconciler reports in status like Azure's own 429.

Both carry the seconds until the tokens are there, and the reconciler requeues the ScaleSet after
exactly that long. Refusals of one subscription bucket are handed successive refill slots, so a
crowd of waiting ScaleSets comes back spread at the refill rate instead of all at once. A 429 from
Azure also closes the scale set's bucket for its ``Retry-After``, so nothing retries early. Calls
are counted per subscription in Prometheus (docs/metrics.md).

The clock is injectable (monotonic seconds) so tests can run the budget on simulated time.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping

from scaleset_operator import metrics
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import Throttled
from scaleset_operator.cloud.limits import (
    SCALE_SET_LIMITS,
    SUBSCRIPTION_KINDS,
    SUBSCRIPTION_LIMITS,
    BudgetKind,
    Rate,
)

__all__ = [
    "COMPUTE_LIMITS",
    "SUBSCRIPTION_BUDGET",
    "SUBSCRIPTION_KINDS",
    "BudgetKind",
    "CallBudget",
    "Rate",
    "TokenBucket",
]

COMPUTE_LIMITS = SCALE_SET_LIMITS
CLIENT_THROTTLED = "ClientThrottled"
SUBSCRIPTION_BUDGET = "SubscriptionBudget"
_EPSILON = 1e-9


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
    """Buckets per (scale set, kind) (``vm_update``: per subscription) and per (subscription, kind);
    the subscription's are shared by every scale set in it, and split ``subscription_share`` of the
    way for a shard."""

    def __init__(
        self,
        limits: Mapping[BudgetKind, Rate] = SCALE_SET_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        *,
        subscription_limits: Mapping[BudgetKind, Rate] = SUBSCRIPTION_LIMITS,
        subscription_share: float = 1.0,
    ) -> None:
        if not 0 < subscription_share <= 1:
            raise ValueError("subscription_share must be in (0, 1]")
        self.limits = dict(limits)
        self.subscription_limits = {kind: rate.scaled(subscription_share) for kind, rate in subscription_limits.items()}
        self.subscription_share = subscription_share
        self.clock = clock
        self._buckets: dict[tuple[ScaleSetKey, BudgetKind], TokenBucket] = {}
        self._subscriptions: dict[tuple[str, BudgetKind], SharedBucket] = {}

    def _bucket(self, key: ScaleSetKey, kind: BudgetKind) -> TokenBucket:
        if kind in SUBSCRIPTION_KINDS:
            key = ScaleSetKey(key.subscription_id.lower(), "", "")
        bucket = self._buckets.get((key, kind))
        if bucket is None:
            bucket = self._buckets[(key, kind)] = TokenBucket(self.limits[kind], self.clock())
        return bucket

    def _shared(self, subscription: str, kind: BudgetKind) -> SharedBucket:
        bucket = self._subscriptions.get((subscription, kind))
        if bucket is None:
            bucket = SharedBucket(self.subscription_limits[kind], self.clock())
            self._subscriptions[(subscription, kind)] = bucket
        return bucket

    def take(self, key: ScaleSetKey, *kinds: BudgetKind) -> None:
        """Spend one call of each of ``kinds`` on ``key`` and its subscription (a kind listed twice:
        two calls), all or none, or raise ``Throttled`` without calling Azure. Taking the calls of an
        observation together means a refused VM list never wastes the scale set GET before it."""
        now = self.clock()
        wanted = Counter(kinds)
        own = {kind: self._bucket(key, kind) for kind in wanted if kind in self.limits}
        waits = {kind: bucket.wait(now, wanted[kind]) for kind, bucket in own.items()}
        if waits and max(waits.values()) > 0:
            raise self._own_refusal(key, wanted, *max(waits.items(), key=lambda item: item[1]))
        subscription = key.subscription_id.lower()
        shared = {kind: self._shared(subscription, kind) for kind in wanted if kind in self.subscription_limits}
        refused = {kind: bucket.wait(now, wanted[kind]) for kind, bucket in shared.items()}
        if refused and max(refused.values()) > 0:
            kind = max(refused.items(), key=lambda item: item[1])[0]
            raise self._subscription_refusal(subscription, kind, shared[kind].reserve(now, wanted[kind]))
        for kind, bucket in (*own.items(), *shared.items()):
            bucket.take(now, wanted[kind])
        for kind, bucket in shared.items():
            metrics.SUBSCRIPTION_BUDGET_CALLS.labels(subscription, kind).inc(wanted[kind])
            metrics.SUBSCRIPTION_BUDGET_REMAINING.labels(subscription, kind).set(bucket.tokens)

    def _own_refusal(self, key: ScaleSetKey, wanted: Counter[BudgetKind], kind: BudgetKind, wait: float) -> Throttled:
        scope = f"subscription {key.subscription_id}" if kind in SUBSCRIPTION_KINDS else f"scale set {key.name}"
        rate = self.limits[kind]
        return Throttled(
            f"client-side budget for {wanted[kind]} {kind.replace('_', '-')} call(s) on {scope} is spent "
            f"({rate.per_minute:g}/min, burst {rate.burst}); next call in {wait:.1f}s",
            retry_after=wait if math.isfinite(wait) else 60.0,
            code=CLIENT_THROTTLED,
        )

    def _subscription_refusal(self, subscription: str, kind: BudgetKind, wait: float) -> Throttled:
        metrics.SUBSCRIPTION_BUDGET_WAITS.labels(subscription, kind).inc()
        metrics.SUBSCRIPTION_BUDGET_WAIT_SECONDS.labels(subscription, kind).inc(wait)
        full = SUBSCRIPTION_LIMITS.get(kind)
        rate = self.subscription_limits[kind]
        part = "" if self.subscription_share == 1 else f", this shard's {rate.per_minute:g}/min"
        limit = f"{full.per_minute:g}/min, burst {full.burst}" if full else f"{rate.per_minute:g}/min"
        return Throttled(
            f"subscription {subscription}'s {kind.replace('_', '-')} budget is spent ({limit}{part}); "
            f"waiting about {coarse(wait)}",
            retry_after=wait,
            code=SUBSCRIPTION_BUDGET,
        )

    def hold(self, key: ScaleSetKey, kind: BudgetKind, seconds: float) -> None:
        """Azure said 429 with ``Retry-After: seconds``: no call of this kind before then."""
        if kind in self.limits:
            self._bucket(key, kind).hold(self.clock(), seconds)

    def available(self, key: ScaleSetKey, kind: BudgetKind) -> float:
        bucket = self._bucket(key, kind)
        bucket.refill(self.clock())
        return bucket.tokens

    def subscription_available(self, subscription: str, kind: BudgetKind) -> float:
        bucket = self._shared(subscription.lower(), kind)
        bucket.refill(self.clock())
        return bucket.tokens


class SharedBucket(TokenBucket):
    """A subscription's bucket: refusals get successive refill slots, so waiters spread out."""

    def __init__(self, rate: Rate, now: float) -> None:
        super().__init__(rate, now)
        self.next_slot = float("-inf")

    def reserve(self, now: float, tokens: int = 1) -> float:
        """Seconds until this refused caller should come back: the next slot nobody was promised."""
        wait = self.wait(now, tokens)
        if not math.isfinite(wait):
            return 60.0
        slot = max(now + wait, self.next_slot + tokens * 60.0 / self.rate.per_minute)
        self.next_slot = slot
        return math.ceil((slot - now) * 1000.0) / 1000.0


_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600)


def coarse(seconds: float) -> str:
    """A wait rounded up to a few steps, so a status message does not change with every pass."""
    step = next((s for s in _STEPS if seconds <= s), None)
    if step is None:
        return f"{math.ceil(seconds / 60)}m"
    return f"{step}s" if step < 60 else f"{step // 60}m"
