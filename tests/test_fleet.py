"""The fleet drives the real reconciler and the fake backend from watch events, as kopf delivers
them: what triggers a pass and what does not, the finalizer, deletion, idle pacing, handover, and
orphaned operations. Kubernetes is in memory (objects with resourceVersions); the simulator runs on
a fast clock so a ScaleSet converges in a fraction of a second."""

from __future__ import annotations

import asyncio
import copy
import itertools
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scaleset_operator import fleet as fleet_module
from scaleset_operator.backends.fake import FakeBackend
from scaleset_operator.fleet import FINALIZER, Fleet, Ref
from scaleset_operator.kube import ObjectChanged
from scaleset_operator.pacing import ResyncPacing
from scaleset_operator.reconciler import Reconciler
from scaleset_operator.simulator.clock import ScaledClock
from scaleset_operator.simulator.engine import SimulatedCloud
from tests.backends.scenarios import BASE_SPEC
from tests.harness import MemoryKube
from tests.keys import TEST_KEY
from tests.overrides import with_overrides

SPEED = 1000.0
NS = "team-a"


class MemoryApi(MemoryKube):
    """Objects by (plural, namespace, name) with resourceVersions; what the fleet and the reconciler
    read and write (status merge patches, finalizers with a precondition, fresh reads; ControllerRevisions
    and Jobs as ``MemoryKube`` keeps them)."""

    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.versions = itertools.count(1)
        self.reads = 0
        self.status_patches = 0

    def put(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        meta = body["metadata"]
        meta["resourceVersion"] = str(next(self.versions))
        self.objects[(plural, meta["namespace"], meta["name"])] = body
        return copy.deepcopy(body)

    async def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        self.reads += 1
        found = self.objects.get((plural, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    async def set_finalizers(
        self, plural: str, namespace: str, name: str, finalizers: list[str], resource_version: str
    ) -> None:
        body = self.objects[(plural, namespace, name)]
        if body["metadata"]["resourceVersion"] != resource_version:
            raise ObjectChanged(name)
        body["metadata"]["finalizers"] = finalizers
        self.put(plural, body)

    async def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        self.status_patches += 1
        body = self.objects[(plural, namespace, name)]
        current = body.setdefault("status", {})
        for key, value in status.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        self.put(plural, body)

    async def read_secret_value(self, namespace: str, name: str, key: str) -> str | None:
        return None


class Gate:
    def __init__(self) -> None:
        self.allowed = True
        self.owned: Callable[[str], bool] = lambda name: True

    def owns(self, namespace: str, name: str) -> bool:
        return self.owned(name)

    def may_act(self, namespace: str, name: str) -> bool:
        return self.allowed


class World:
    def __init__(self) -> None:
        self.api = MemoryApi()
        self.cloud = SimulatedCloud(ScaledClock(speed=SPEED))
        self.reconciler = Reconciler(
            FakeBackend(self.cloud), self.api, self.cloud.clock.now, TEST_KEY, time_scale=SPEED
        )
        self.events: list[tuple[str, str, str]] = []
        self.gate = Gate()
        self.fleet = Fleet(
            self.reconciler,
            self.api,
            emitter=lambda body: lambda *event: self.events.append(event),
            gate=self.gate,
            workers=2,
        )

    def create(self, name: str, **overrides: Any) -> dict[str, Any]:
        spec = with_overrides(BASE_SPEC, **{"sku.capacity": 2, **overrides})
        body = {"apiVersion": "scaleset.dev/v1alpha1", "kind": "ScaleSet", "spec": spec}
        body["metadata"] = {"name": name, "namespace": NS, "uid": f"uid-{name}", "generation": 1}
        return self.deliver(None, self.api.put("scalesets", body))

    def deliver(self, event: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """What kopf's watch hands the handler (our own writes come back this way too)."""
        self.fleet.observe(event, copy.deepcopy(body))
        return body

    def stored(self, name: str, plural: str = "scalesets") -> dict[str, Any]:
        return self.api.objects[(plural, NS, name)]

    def echo(self, name: str) -> None:
        """The watch delivers the object as stored now (after our status or finalizer writes)."""
        self.deliver("MODIFIED", copy.deepcopy(self.stored(name)))

    def ready(self, name: str) -> bool:
        conditions = {c["type"]: c["status"] for c in self.stored(name).get("status", {}).get("conditions", [])}
        return conditions.get("Ready") == "True"


@pytest.fixture
async def world() -> Iterator[World]:
    made = World()
    yield made
    await made.fleet.scheduler.stop()


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def converge(world: World, name: str) -> None:
    world.create(name)
    await until(lambda: world.ready(name))
    world.echo(name)


async def test_a_new_scale_set_gets_the_finalizer_then_converges(world: World) -> None:
    world.create("web")
    await until(lambda: world.ready("web"))
    assert world.stored("web")["metadata"]["finalizers"] == [FINALIZER]
    assert len(world.cloud.snapshot(world.cloud.scale_set_keys()[0]).instances) == 2  # type: ignore[union-attr]
    assert ("Normal", "Creating") in {(kind, reason) for kind, reason, _ in world.events}


async def test_status_echoes_trigger_nothing_and_an_idle_scale_set_is_left_alone(world: World) -> None:
    world.fleet.pacing = ResyncPacing(share=1e-4, rng=random.Random(3))  # a long idle interval
    await converge(world, "web")
    key = Ref("ScaleSet", NS, "web")
    await until(lambda: (world.fleet.scheduler.due_in(key) or 0) > 1)
    calls, patches = sum(world.cloud.calls.totals.values()), world.api.status_patches
    for _ in range(5):
        world.echo("web")
    await asyncio.sleep(0.3)
    assert sum(world.cloud.calls.totals.values()) == calls, "our own status writes coming back cause no pass"
    assert world.api.status_patches == patches


async def test_a_spec_change_runs_a_pass_at_once(world: World) -> None:
    await converge(world, "web")
    body = world.stored("web")
    body["spec"]["sku"]["capacity"] = 3
    body["metadata"]["generation"] = 2
    world.deliver("MODIFIED", world.api.put("scalesets", body))
    await until(lambda: len(world.cloud.snapshot(world.cloud.scale_set_keys()[0]).instances) == 3)  # type: ignore[union-attr]


async def test_deletion_deletes_the_cloud_scale_set_then_releases_the_finalizer(world: World) -> None:
    await converge(world, "web")
    body = world.stored("web")
    body["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    world.deliver("MODIFIED", world.api.put("scalesets", body))
    await until(lambda: world.stored("web")["metadata"]["finalizers"] == [], seconds=15)
    assert world.cloud.scale_set_keys() == []
    assert Ref("ScaleSet", NS, "web") not in world.fleet.objects


async def test_only_owned_scale_sets_are_kept_and_acted_on(world: World) -> None:
    world.gate.owned = lambda name: name != "theirs"
    world.create("theirs")
    world.create("ours")
    await until(lambda: world.ready("ours"))
    assert "status" not in world.stored("theirs")
    assert Ref("ScaleSet", NS, "theirs") not in world.fleet.objects
    assert world.fleet.pacing.interval(BASE_SPEC["azure"]["subscriptionId"]) > 0, "still counted for the budget"


async def test_losing_the_gate_parks_and_forgets_and_regaining_rereads(world: World) -> None:
    await converge(world, "web")
    world.gate.allowed = False
    world.fleet.regate(lost=True)
    assert not world.reconciler.remembers("uid-web"), "another process may act now: nothing stale is kept"
    world.fleet.scheduler.trigger(Ref("ScaleSet", NS, "web"))
    calls = sum(world.cloud.calls.totals.values())
    await asyncio.sleep(0.2)
    assert sum(world.cloud.calls.totals.values()) == calls, "no pass while the gate is closed"
    reads = world.api.reads
    world.gate.allowed = True
    world.fleet.regate(lost=False)
    await until(lambda: world.reconciler.remembers("uid-web"), seconds=40)
    assert world.api.reads == reads + 1, "the first pass after regaining reads the object fresh"


async def test_start_runs_busy_scale_sets_at_once_and_spreads_settled_ones(world: World) -> None:
    settled = world.api.put(
        "scalesets",
        {
            "apiVersion": "scaleset.dev/v1alpha1",
            "kind": "ScaleSet",
            "metadata": {"name": "old", "namespace": NS, "uid": "uid-old", "generation": 3, "finalizers": [FINALIZER]},
            "spec": with_overrides(BASE_SPEC),
            "status": {"observedGeneration": 3},
        },
    )
    rolling = copy.deepcopy(settled)
    rolling["metadata"] |= {"name": "rolling", "uid": "uid-rolling"}
    rolling["status"]["rollout"] = {"kind": "ModelUpgrade"}
    world.fleet.pacing = ResyncPacing(share=0.001)  # a long interval, so the spread is visible
    world.deliver(None, settled)
    world.deliver(None, rolling)
    assert world.fleet.scheduler.due_in(Ref("ScaleSet", NS, "rolling")) == 0
    assert world.fleet.scheduler.due_in(Ref("ScaleSet", NS, "old")) > 0  # type: ignore[operator]


async def test_an_operation_for_a_missing_scale_set_fails_after_a_grace(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet_module, "ORPHAN_GRACE_SECONDS", 0.05)
    operation = world.api.put(
        "scalesetoperations",
        {
            "apiVersion": "scaleset.dev/v1alpha1",
            "kind": "ScaleSetOperation",
            "metadata": {"name": "reimage", "namespace": NS, "uid": "op", "generation": 1},
            "spec": {"scaleSetName": "nowhere", "action": "Reimage"},
        },
    )
    world.fleet.scheduler.start()
    world.fleet.observe_operation("ADDED", operation)
    await until(lambda: world.stored("reimage", "scalesetoperations").get("status", {}).get("phase") == "Failed")
    assert ("Warning", "ScaleSetNotFound") in {(kind, reason) for kind, reason, _ in world.events}


async def test_a_legacy_kopf_finalizer_on_an_operation_is_removed(world: World) -> None:
    await converge(world, "web")
    operation = world.api.put(
        "scalesetoperations",
        {
            "apiVersion": "scaleset.dev/v1alpha1",
            "kind": "ScaleSetOperation",
            "metadata": {"name": "old-op", "namespace": NS, "uid": "op", "generation": 1, "finalizers": [FINALIZER]},
            "spec": {"scaleSetName": "web", "action": "Restart"},
            "status": {"phase": "Succeeded"},
        },
    )
    world.fleet.observe_operation(None, operation)
    await until(lambda: world.stored("old-op", "scalesetoperations")["metadata"]["finalizers"] == [])
