"""Sharding: N operator processes split the ScaleSets by a stable hash, and Leases make sure at most
one process acts on a ScaleSet at any moment, also while N changes (docs/sharding.md).

**Ownership.** ``--shard I/N``: process I of N owns the ScaleSets whose rendezvous hash (highest
random weight over ``blake2b(index/namespace/name)``) picks I. It is stable across restarts and
machines, and changing N moves only what it must: going from 3 to 2 shards moves only shard 2's
ScaleSets, adding a shard takes a fair share from each.

**One shard, one actor.** Shard I's replicas compete for the Lease ``<name>-shard-<I>``
(coordination.k8s.io/v1) in the operator's namespace; only the holder acts, and only while its
lease is fresh by its own clock (renewed less than ``duration - margin`` ago: others treat it as
expired only ``duration + skew`` after its last renewal). With kopf peering (``--peering``, a
peering name per shard), a replica competes only while it is its peering's active peer (no live
peer of equal or higher priority), and lets the lease go when a higher-priority peer appears: kopf
then pauses its watches, and a paused replica must not act on what it last saw.

**Changing N (the handover rule).** Every lease carries its layout (N) and a layout epoch. A process
acts on a ScaleSet only when no unexpired lease *of another N* claims it (the hash under that N names
that lease's shard): this is what keeps two layouts from ever acting on one ScaleSet, because each
process reads the others' leases after taking its own. To make progress, the newest layout wins: a
process taking a lease while another layout's lease is live takes an epoch above it, and a holder
that sees another layout at a higher (epoch, N) steps down: it cancels its passes, releases its lease
and stays down while that layout lives. A ScaleSet whose owner changed is thus idle between its
old owner stepping down (or its lease expiring) and its new owner acting, never acted on twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

log = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 2.0
"""Extra time before another holder's lease counts as expired (clocks of different nodes differ)."""


@dataclass(frozen=True)
class ShardSpec:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> ShardSpec:
        """``"I/N"`` with 0 <= I < N."""
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"--shard {text!r}: expected I/N, e.g. 0/3") from None
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"--shard {text!r}: need N >= 1 and 0 <= I < N")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def owner(namespace: str, name: str, count: int) -> int:
    """The shard (of ``count``) that owns a ScaleSet: rendezvous hashing, stable everywhere."""
    if count == 1:
        return 0
    key = f"{namespace}/{name}".encode()
    return max(range(count), key=lambda i: hashlib.blake2b(b"%d/" % i + key, digest_size=8).digest())


@dataclass(frozen=True)
class LeaseRecord:
    """A shard's Lease as the gate reads it."""

    name: str
    holder: str | None
    shards: int
    index: int
    epoch: int
    renewed: datetime | None
    duration: float
    resource_version: str | None = None

    def live(self, now: datetime) -> bool:
        if not self.holder or self.renewed is None:
            return False
        return now < self.renewed + timedelta(seconds=self.duration + CLOCK_SKEW_SECONDS)

    @property
    def layout(self) -> tuple[int, int]:
        """Order of layouts: the newest epoch wins, ties by N."""
        return (self.epoch, self.shards)


class LeaseConflict(Exception):
    """The lease changed meanwhile (another replica took or renewed it)."""


class LeaseStore(Protocol):
    async def list(self, prefix: str) -> list[LeaseRecord]: ...

    async def write(self, record: LeaseRecord) -> LeaseRecord:
        """Create (no resource version) or update (with it); raises ``LeaseConflict``."""


PeeringCheck = Callable[[], Awaitable[bool]]
"""True while this replica is the active peer of its kopf peering (always True without peering)."""


async def always_active() -> bool:
    return True


def peering_active(status: Mapping[str, Any], identity: str, priority: int, now: datetime) -> bool:
    """kopf's rule for a peering object's ``status`` (one entry per peer: priority, lastseen,
    lifetime): a peer is paused while a live peer of higher priority exists, or one of the same."""
    for peer, info in status.items():
        if peer == identity or not isinstance(info, Mapping):
            continue
        seen = info.get("lastseen")
        if not seen:
            continue
        lastseen = datetime.fromisoformat(str(seen).replace("Z", "+00:00"))
        if lastseen.tzinfo is None:
            lastseen = lastseen.replace(tzinfo=UTC)
        alive = now < lastseen + timedelta(seconds=int(info.get("lifetime") or 60))
        if alive and int(info.get("priority") or 0) >= priority:
            return False
    return True


@dataclass
class _View:
    """What the gate concluded at its last tick."""

    holding: bool = False
    epoch: int = 0
    blockers: frozenset[tuple[int, int]] = frozenset()
    """(N, I) of live leases of other layouts: the ScaleSets they claim are not ours to act on yet."""


@dataclass
class ShardGate:
    """The ``fleet.Gate`` of a sharded process: ownership by hash, activity by lease."""

    spec: ShardSpec
    store: LeaseStore
    identity: str
    prefix: str = "scaleset-operator"
    duration: float = 15.0
    peering: PeeringCheck = always_active
    on_change: Callable[..., None] = lambda **_: None
    """``Fleet.regate(lost=...)``: called when the answers of ``may_act`` change."""
    wall: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    mono: Callable[[], float] = time.monotonic
    view: _View = field(default_factory=_View)
    valid_until: float = float("-inf")
    stood_down: bool = False
    """Superseded by a newer layout: stay down while any lease of another layout lives."""
    _task: asyncio.Task[None] | None = None

    @property
    def lease_name(self) -> str:
        return f"{self.prefix}-shard-{self.spec.index}"

    @property
    def renew_every(self) -> float:
        return self.duration / 3

    # -- fleet.Gate ---------------------------------------------------------------------------------

    def owns(self, namespace: str, name: str) -> bool:
        return owner(namespace, name, self.spec.count) == self.spec.index

    def may_act(self, namespace: str, name: str) -> bool:
        if not self.view.holding or self.mono() >= self.valid_until:
            return False
        return not any(owner(namespace, name, n) == i for n, i in self.view.blockers)

    # -- the lease loop -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"shard {self.spec} lease")

    async def stop(self) -> None:
        """Stop renewing and release the lease, so the next holder need not wait for it to expire."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.view.holding:
            self._set(_View(), lost=True)
            with contextlib.suppress(Exception):
                await self._release()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("shard %s: lease tick failed", self.spec)
            await asyncio.sleep(self.renew_every)

    async def tick(self) -> None:
        """Read every shard lease, then take, renew or release ours, and settle the view."""
        started = self.mono()
        leases = await self.store.list(self.prefix)
        now = self.wall()
        mine = next((lease for lease in leases if lease.name == self.lease_name), None)
        others = [lease for lease in leases if lease.name != self.lease_name and lease.live(now)]
        foreign = [lease for lease in others if lease.shards != self.spec.count]
        if not foreign:
            self.stood_down = False
        held = mine is not None and mine.holder == self.identity and self.view.holding
        superseded = held and any(lease.layout > (self.view.epoch, self.spec.count) for lease in foreign)
        if superseded:
            log.warning("shard %s: a newer layout holds leases %s; stepping down", self.spec, _names(foreign))
            self.stood_down = True
        if superseded or self.stood_down or not await self.peering():
            if held:
                self._set(_View(), lost=True)
                await self._release(mine)
            elif self.view.holding:
                self._set(_View(), lost=True)
            return
        await self._hold(mine, others, foreign, now, started)

    async def _hold(
        self,
        mine: LeaseRecord | None,
        others: list[LeaseRecord],
        foreign: list[LeaseRecord],
        now: datetime,
        started: float,
    ) -> None:
        renewing = mine is not None and mine.holder == self.identity and self.view.holding
        if mine is not None and not renewing and mine.live(now) and mine.holder != self.identity:
            if self.view.holding:
                self._set(_View(), lost=True)
            return  # another replica of this shard holds it
        epoch = self.view.epoch if renewing else _epoch_for(self.spec.count, others)
        record = LeaseRecord(
            name=self.lease_name,
            holder=self.identity,
            shards=self.spec.count,
            index=self.spec.index,
            epoch=epoch,
            renewed=now,
            duration=self.duration,
            resource_version=mine.resource_version if mine is not None else None,
        )
        try:
            await self.store.write(record)
        except LeaseConflict:
            if self.view.holding:
                self._set(_View(), lost=True)
            return
        lapsed = self.mono() >= self.valid_until
        self.valid_until = started + self.duration * 2 / 3
        blockers = frozenset((lease.shards, lease.index) for lease in foreign)
        if not renewing:
            log.info("shard %s: holding lease %s (layout epoch %d)", self.spec, self.lease_name, epoch)
        self._set(_View(holding=True, epoch=epoch, blockers=blockers), lost=False, force=lapsed)

    def _set(self, view: _View, *, lost: bool, force: bool = False) -> None:
        before = self.view
        self.view = view
        if not view.holding:
            self.valid_until = float("-inf")
        if view == before and not force:
            return
        lost = lost or bool(view.blockers - before.blockers) or (before.holding and not view.holding)
        self.on_change(lost=lost)

    async def _release(self, mine: LeaseRecord | None = None) -> None:
        if mine is None:
            mine = next((lease for lease in await self.store.list(self.prefix) if lease.name == self.lease_name), None)
        if mine is None or mine.holder != self.identity:
            return
        with contextlib.suppress(LeaseConflict):
            await self.store.write(replace(mine, holder=None))
        log.info("shard %s: released lease %s", self.spec, self.lease_name)


def _epoch_for(count: int, others: list[LeaseRecord]) -> int:
    """The layout epoch a new holder takes: its layout's if that is the newest live one, else above
    the newest (the newest layout wins)."""
    if not others:
        return 1
    top = max(others, key=lambda lease: lease.layout)
    return top.epoch if top.shards == count else top.epoch + 1


def _names(leases: list[LeaseRecord]) -> str:
    return ", ".join(f"{lease.name} (N={lease.shards}, epoch {lease.epoch})" for lease in leases)
