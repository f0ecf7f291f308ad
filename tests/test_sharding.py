"""Sharding: ownership by a stable hash, one actor per shard through its Lease, and the handover rule
when N changes, checked step by step: at no moment may two processes act on one ScaleSet."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scaleset_operator.sharding import (
    LeaseConflict,
    LeaseRecord,
    ShardGate,
    ShardSpec,
    owner,
    peering_active,
)

KEYS = [("team-a", f"vmss-{i}") for i in range(600)]


class Clock:
    def __init__(self) -> None:
        self.wall = datetime(2025, 1, 1, tzinfo=UTC)
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


class MemoryLeases:
    """The Lease API's semantics that matter: create fails if it exists, update needs the current
    resourceVersion."""

    def __init__(self) -> None:
        self.leases: dict[str, LeaseRecord] = {}
        self.version = itertools.count(1)

    async def list(self, prefix: str) -> list[LeaseRecord]:
        return [lease for name, lease in self.leases.items() if name.startswith(f"{prefix}-shard-")]

    async def write(self, record: LeaseRecord) -> LeaseRecord:
        current = self.leases.get(record.name)
        if (current is None) != (record.resource_version is None):
            raise LeaseConflict(record.name)
        if current is not None and current.resource_version != record.resource_version:
            raise LeaseConflict(record.name)
        stored = replace(record, resource_version=str(next(self.version)))
        self.leases[record.name] = stored
        return stored


class Changes:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, *, lost: bool) -> None:
        self.calls.append(lost)


def gate(store: MemoryLeases, clock: Clock, spec: str, identity: str) -> ShardGate:
    return ShardGate(
        spec=ShardSpec.parse(spec),
        store=store,
        identity=identity,
        prefix="ops",
        duration=15.0,
        on_change=Changes(),
        wall=lambda: clock.wall,
        mono=lambda: clock.mono,
    )


def actors(gates: list[ShardGate], key: tuple[str, str]) -> list[str]:
    return [g.identity for g in gates if g.owns(*key) and g.may_act(*key)]


# -- ownership --------------------------------------------------------------------------------------


def test_shard_spec_parses_i_of_n() -> None:
    assert ShardSpec.parse("2/3") == ShardSpec(2, 3)
    for bad in ("3/3", "-1/3", "1", "a/b", "0/0"):
        with pytest.raises(ValueError, match="--shard"):
            ShardSpec.parse(bad)


def test_every_scale_set_has_exactly_one_owner_and_shares_are_even() -> None:
    counts = Counter(owner(ns, name, 3) for ns, name in KEYS)
    assert set(counts) == {0, 1, 2}
    assert all(150 <= n <= 250 for n in counts.values()), counts
    assert all(owner(ns, name, 3) == owner(ns, name, 3) for ns, name in KEYS[:50]), "stable"
    assert {owner(ns, name, 1) for ns, name in KEYS} == {0}


def test_changing_n_moves_only_what_it_must() -> None:
    moved_down = [k for k in KEYS if owner(*k, 3) != owner(*k, 2)]
    assert moved_down and all(owner(*k, 3) == 2 for k in moved_down), "3 -> 2 moves only shard 2's"
    moved_up = [k for k in KEYS if owner(*k, 3) != owner(*k, 4)]
    assert all(owner(*k, 4) == 3 for k in moved_up), "3 -> 4: the new shard takes, nobody else swaps"
    assert len(moved_up) == pytest.approx(len(KEYS) / 4, rel=0.3)


# -- one shard, one actor -----------------------------------------------------------------------------


async def test_a_shard_acts_only_under_its_lease_and_a_second_replica_waits() -> None:
    store, clock = MemoryLeases(), Clock()
    first, second = gate(store, clock, "0/1", "pod-a"), gate(store, clock, "0/1", "pod-b")
    assert not first.may_act(*KEYS[0]), "nothing before the lease"
    await first.tick()
    await second.tick()
    assert actors([first, second], KEYS[0]) == ["pod-a"]
    assert store.leases["ops-shard-0"].holder == "pod-a"
    assert first.on_change.calls == [False]  # type: ignore[attr-defined]

    await first.stop()  # graceful exit: released at once
    assert first.on_change.calls[-1] is True  # type: ignore[attr-defined]
    await second.tick()
    assert actors([first, second], KEYS[0]) == ["pod-b"]


async def test_a_killed_holder_is_replaced_only_after_its_lease_expires() -> None:
    store, clock = MemoryLeases(), Clock()
    killed, successor = gate(store, clock, "0/1", "pod-a"), gate(store, clock, "0/1", "pod-b")
    await killed.tick()
    for _ in range(3):
        clock.advance(5)
        await successor.tick()
        assert not successor.may_act(*KEYS[0]), "still within the dead holder's lease"
    assert not killed.may_act(*KEYS[0]), "the holder itself stopped acting before others may start"
    clock.advance(5)
    await successor.tick()
    assert successor.may_act(*KEYS[0])


async def test_a_holder_that_cannot_renew_stops_acting_before_its_lease_expires() -> None:
    store, clock = MemoryLeases(), Clock()
    holder = gate(store, clock, "0/1", "pod-a")
    await holder.tick()
    clock.advance(9.9)
    assert holder.may_act(*KEYS[0])
    clock.advance(0.2)
    assert not holder.may_act(*KEYS[0]), "10 s without a renewal: stop (others wait 17 s)"
    await holder.tick()  # renewed in time for nobody else to have taken it: acting again
    assert holder.may_act(*KEYS[0])
    assert holder.on_change.calls == [False, False], "the lapse is reported so parked ScaleSets come back"  # type: ignore[attr-defined]


async def test_a_replica_that_is_not_its_peerings_active_peer_lets_the_lease_go() -> None:
    store, clock = MemoryLeases(), Clock()
    active = {"pod-a": True}
    holder = gate(store, clock, "0/1", "pod-a")

    async def check() -> bool:
        return active["pod-a"]

    holder.peering = check
    await holder.tick()
    assert holder.may_act(*KEYS[0])
    active["pod-a"] = False  # a higher-priority replica appeared: kopf pauses this one
    await holder.tick()
    assert not holder.may_act(*KEYS[0])
    assert store.leases["ops-shard-0"].holder is None, "released for the active replica"
    assert holder.on_change.calls[-1] is True  # type: ignore[attr-defined]


def test_peering_activity_follows_kopfs_rule() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    fresh = (now - timedelta(seconds=10)).isoformat()
    stale = (now - timedelta(seconds=120)).isoformat()
    me = {"lastseen": fresh, "lifetime": 60, "priority": 1}
    assert peering_active({"me": me}, "me", 1, now)
    assert peering_active({"me": me, "low": {"lastseen": fresh, "lifetime": 60, "priority": 0}}, "me", 1, now)
    assert not peering_active({"me": me, "high": {"lastseen": fresh, "lifetime": 60, "priority": 2}}, "me", 1, now)
    assert not peering_active({"me": me, "same": {"lastseen": fresh, "lifetime": 60, "priority": 1}}, "me", 1, now)
    assert peering_active({"me": me, "dead": {"lastseen": stale, "lifetime": 60, "priority": 5}}, "me", 1, now)


# -- changing N ---------------------------------------------------------------------------------------


def assert_never_two(gates: list[ShardGate], keys: list[tuple[str, str]] = KEYS) -> None:
    for key in keys:
        assert len(actors(gates, key)) <= 1, f"{key}: {actors(gates, key)}"


async def test_going_from_three_shards_to_two_never_has_two_actors_and_ends_with_the_new_layout() -> None:
    """The chart's rollout: shard 2 goes away, shards 0 and 1 restart with N=2, in the order the
    StatefulSets happen to go, while the old processes keep ticking until they are stopped."""
    store, clock = MemoryLeases(), Clock()
    old = [gate(store, clock, f"{i}/3", f"old-{i}") for i in range(3)]
    for g in old:
        await g.tick()
    assert all(len(actors(old, key)) == 1 for key in KEYS)

    await old[0].stop()
    new0 = gate(store, clock, "0/2", "new-0")
    await new0.tick()  # takes shard-0 while old-1 and old-2 are still live
    everyone = [*old, new0]
    assert_never_two(everyone)
    assert new0.view.epoch == 2 and new0.view.blockers == {(3, 1), (3, 2)}
    moved = [k for k in KEYS if owner(*k, 2) == 0 and owner(*k, 3) != 0]
    assert moved and not any(new0.may_act(*k) for k in moved), "keys still claimed by the old layout wait"

    for g in old[1:]:
        await g.tick()  # they see the newer layout and step down
        assert_never_two(everyone)
    assert all(not g.view.holding for g in old)
    assert old[1].on_change.calls[-1:] == [True]  # type: ignore[attr-defined]

    clock.advance(5)
    await new0.tick()
    new1 = gate(store, clock, "1/2", "new-1")
    await new1.tick()
    everyone += [new1]
    assert_never_two(everyone)
    for g in old[1:]:
        clock.advance(5)
        await g.tick()  # stepped down: they stay down while the new layout lives
        assert not g.view.holding
    await new0.tick()
    await new1.tick()
    assert all(actors(everyone, key) == [f"new-{owner(*key, 2)}"] for key in KEYS)


async def test_random_interleavings_of_two_layouts_never_have_two_actors() -> None:
    rng = random.Random(12)
    for _ in range(20):
        store, clock = MemoryLeases(), Clock()
        gates = [gate(store, clock, f"{i}/3", f"a{i}") for i in range(3)]
        gates += [gate(store, clock, f"{i}/2", f"b{i}") for i in range(2)]
        for _ in range(40):
            g = rng.choice(gates)
            if rng.random() < 0.1:
                await g.stop()
            else:
                await g.tick()
            clock.advance(rng.choice([0.0, 1.0, 5.0]))
            assert_never_two(gates, KEYS[:120])
