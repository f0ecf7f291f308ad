"""The one test harness: the operator's real reconcile loop, with Kubernetes in memory.

Every pass is the real ``Reconciler`` (observe -> decide -> write intent -> act -> report) talking to
a ``Backend`` in front of one ``SimulatedCloud`` with a manual clock: the in-process ``FakeBackend``
for the planner and reconciler tests, or the real SDK-backed ``AzureBackend`` over HTTPS to the
ARM-compatible endpoint for the backend tests. Kubernetes is ``MemoryKube``: status patches applied
with JSON merge patch semantics (RFC 7386, what the API server does with the operator's patches)
and Secrets.

``Run.converge`` requeues as kopf would (the clock advances by the pass's ``requeue_after``, or by a
fixed ``tick``), and checks invariants after every pass (``check``), cluster-api style.

Crashes: ``Run.step(crash="before_act")`` kills the operator after it wrote the intent record and
before the backend call; ``crash="after_act"`` right after the backend accepted the call, before the
report that says so. Either way the operator restarts: a new ``Reconciler`` with an empty memory,
reading back only what Kubernetes stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.scaleset import ImageReference, ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.backends.azure import AzureBackend
from scaleset_operator.backends.fake import FakeBackend
from scaleset_operator.backends.protocol import Backend
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey, scale_set_key
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.simulated_time import SimulatedClock
from scaleset_operator.reconciler import PassResult, Reconciler
from scaleset_operator.simulator.arm.state import ArmState
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

Crash = Literal["before_act", "after_act"]


@dataclass
class World:
    """One engine, the backend in front of it, and the clock that drives both."""

    name: str
    cloud: SimulatedCloud
    clock: ManualClock
    backend: Backend
    arm: ArmState | None = None
    """The ARM endpoint's state (request log, auth, slow responses) when the backend is Azure."""

    @classmethod
    def fake(cls, clock: ManualClock | None = None) -> World:
        clock = clock or ManualClock()
        cloud = SimulatedCloud(clock)
        return cls("fake", cloud, clock, FakeBackend(cloud))

    async def settle(self) -> None:
        """Give background work (the Azure backend's LRO pollers) a chance to run."""
        for _ in range(3):
            await asyncio.sleep(0)

    async def finish_operations(self, limit: float = 10.0) -> None:
        """Wait for the Azure backend's LRO pollers to finish (the operator never waits for them)."""
        if isinstance(self.backend, AzureBackend):
            await asyncio.wait_for(self.backend.operations.wait(), limit)


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386, as the API server applies ``application/merge-patch+json``: objects merge key by key
    (``null`` removes), everything else (lists included) is replaced whole."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = apply_merge_patch(merged.get(key), value)
    return merged


class MemoryKube:
    """The reconciler's view of Kubernetes: status patches and Secrets, in memory."""

    def __init__(self, secrets: dict[tuple[str, str, str], str] | None = None) -> None:
        self.statuses: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.secrets = dict(secrets or {})
        self.patches = 0

    async def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        self.patches += 1
        key = (plural, namespace, name)
        self.statuses[key] = apply_merge_patch(self.statuses.get(key, {}), status)

    async def read_secret_value(self, namespace: str, name: str, key: str) -> str | None:
        return self.secrets.get((namespace, name, key))


class OperatorCrashed(Exception):
    """The operator process died (injected): not a backend error, nothing catches it."""


class RecordingBackend:
    """The world's backend as the reconciler sees it: records every accepted write as the planner's
    action, and can kill the operator just before or just after the next write."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.actions: list[act.Action] = []
        self.crash: Crash | None = None

    async def _write(self, action: act.Action, call: Callable[[], Any]) -> None:
        crash, self.crash = self.crash, None
        if crash == "before_act":
            raise OperatorCrashed("killed after the intent was written, before the backend call")
        await call()
        self.actions.append(action)
        if crash == "after_act":
            raise OperatorCrashed("killed after the backend call, before reporting it")

    async def get(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        return await self.inner.get(key)

    async def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        return await self.inner.latest_image_version(location, image)

    async def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int) -> None:
        await self._write(act.ApplyModel(capacity, "apply"), lambda: self.inner.apply(key, model, capacity))

    async def upgrade_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        action = act.UpgradeInstances(tuple(instance_ids))
        await self._write(action, lambda: self.inner.upgrade_instances(key, instance_ids))

    async def reimage(self, key: ScaleSetKey, instance_ids: Sequence[str], *, image_version: str | None = None) -> None:
        action = act.ReimageInstances(tuple(instance_ids), image_version=image_version)
        await self._write(action, lambda: self.inner.reimage(key, instance_ids, image_version=image_version))

    async def reimage_all(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        action = act.ReimageAllInstances(tuple(instance_ids))
        await self._write(action, lambda: self.inner.reimage_all(key, instance_ids))

    async def restart(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._write(act.RestartInstances(tuple(instance_ids)), lambda: self.inner.restart(key, instance_ids))

    async def delete_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        action = act.DeleteInstances(tuple(instance_ids))
        await self._write(action, lambda: self.inner.delete_instances(key, instance_ids))

    async def delete(self, key: ScaleSetKey) -> None:
        await self.inner.delete(key)

    async def close(self) -> None:
        await self.inner.close()


Check = Callable[["Run", PassResult | None], None]


@dataclass
class Run:
    """One ScaleSet (and its ScaleSetOperations) reconciled pass after pass."""

    world: World
    spec: ScaleSetSpec
    name: str = "web"
    namespace: str = "default"
    generation: int = 1
    kube: MemoryKube = field(default_factory=MemoryKube)
    passes: list[PassResult] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)
    operation_names: list[str] = field(default_factory=list)
    """ScaleSetOperations in creation order."""
    operation_specs: dict[str, ScaleSetOperationSpec] = field(default_factory=dict)
    backend: RecordingBackend = field(init=False)
    reconciler: Reconciler = field(init=False)
    crashes: int = 0
    speed: float | None = None
    """Like ``run --speed N``: the clock is simulated time running N times faster than the wall clock
    (which started with it); status shows wall-clock times. None: the clock is the wall clock (Azure)."""
    wall_origin: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.backend = RecordingBackend(self.world.backend)
        self.wall_origin = self.world.clock.now()
        self.restart()

    def restart(self) -> None:
        """A new operator process: nothing remembered but what Kubernetes stored."""
        self.reconciler = Reconciler(
            backend=self.backend,
            kube=self.kube,
            clock=self.world.clock.now,
            time_scale=1.0,
            simulated_clock=self._simulated_clock if self.speed is not None else None,
        )

    def _simulated_clock(self) -> SimulatedClock:
        assert self.speed is not None
        return SimulatedClock(self.wall_origin, self.wall_origin, self.speed)

    def wall_now(self) -> datetime:
        """What the wall clock reads (the simulated clock itself without ``speed``)."""
        if self.speed is None:
            return self.now()
        return self.wall_origin + (self.now() - self.wall_origin) / self.speed

    # -- what a user looks at ---------------------------------------------------------------------

    @property
    def cloud(self) -> SimulatedCloud:
        return self.world.cloud

    @property
    def clock(self) -> ManualClock:
        return self.world.clock

    def now(self) -> datetime:
        return self.world.clock.now()

    @property
    def key(self) -> ScaleSetKey:
        return scale_set_key(self.spec, self.name)

    @property
    def actions(self) -> list[act.Action]:
        """Every backend write the operator made, in order, as the planner's actions."""
        return self.backend.actions

    @property
    def raw_status(self) -> dict[str, Any]:
        return self.kube.statuses.get(("scalesets", self.namespace, self.name), {})

    @property
    def status(self) -> ScaleSetStatus:
        return ScaleSetStatus.model_validate(self.raw_status)

    def condition(self, kind: str) -> tuple[str, str, str] | None:
        found = next((c for c in self.status.conditions if c.type == kind), None)
        return (found.status, found.reason, found.message) if found else None

    def conditions(self) -> dict[str, tuple[str, str]]:
        return {c.type: (c.status, c.reason) for c in self.status.conditions}

    def operation(self, name: str) -> ScaleSetOperationStatus:
        raw = self.kube.statuses.get(("scalesetoperations", self.namespace, name), {})
        return ScaleSetOperationStatus.model_validate(raw)

    async def observe(self) -> ObservedScaleSet:
        observed = self.world.cloud.snapshot(self.key)
        assert observed is not None, "the scale set does not exist"
        return observed

    # -- what a user does ---------------------------------------------------------------------------

    def set_spec(self, spec: ScaleSetSpec) -> None:
        self.spec = spec
        self.generation += 1

    def add_operation(self, name: str, **spec: Any) -> None:
        self.operation_specs[name] = ScaleSetOperationSpec.model_validate({"scaleSetName": self.name, **spec})
        self.operation_names.append(name)

    def body(self) -> dict[str, Any]:
        return {
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "uid": f"uid-{self.name}",
                "generation": self.generation,
            },
            "spec": self.spec.model_dump(mode="json", exclude_none=True),
            "status": self.raw_status,
        }

    def operation_bodies(self) -> list[dict[str, Any]]:
        return [
            {
                "metadata": {
                    "name": name,
                    "namespace": self.namespace,
                    "generation": 1,
                    "creationTimestamp": f"2026-01-01T00:00:{number:02d}Z",
                },
                "spec": self.operation_specs[name].model_dump(mode="json", exclude_none=True),
                "status": self.kube.statuses.get(("scalesetoperations", self.namespace, name), {}),
            }
            for number, name in enumerate(self.operation_names)
        ]

    # -- the loop -----------------------------------------------------------------------------------

    async def step(self, crash: Crash | None = None) -> PassResult | None:
        """One reconcile pass; None when the injected crash killed it (the operator restarts)."""
        self.backend.crash = crash
        try:
            result = await self.reconciler.reconcile(
                self.body(), lambda *event: self.events.append(event), self.operation_bodies()
            )
        except OperatorCrashed:
            self.crashes += 1
            self.restart()
            return None
        finally:
            self.backend.crash = None
        self.passes.append(result)
        return result

    async def converge(
        self,
        *,
        max_steps: int = 400,
        tick: float | None = None,
        check: Check | None = None,
        until: Callable[[Run], bool] | None = None,
    ) -> int:
        """Pass after pass, until converged (or ``until``); returns the number of passes it took.

        The clock advances by each pass's ``requeue_after`` as kopf would wait, or by ``tick``."""
        for n in range(max_steps):
            result = await self.step()
            if check is not None:
                check(self, result)
            if until(self) if until is not None else self.converged(result):
                return n
            assert result is not None
            self.world.clock.advance(tick if tick is not None else result.requeue_after)
            await self.world.settle()
        raise AssertionError(f"{self.world.name}: did not converge in {max_steps} steps: {self.status.conditions}")

    async def run_for(self, seconds: float, tick: float) -> None:
        """Passes every ``tick`` simulated seconds for ``seconds`` (whatever the requeue says)."""
        for _ in range(int(seconds // tick)):
            await self.step()
            self.world.clock.advance(tick)
            await self.world.settle()

    def converged(self, result: PassResult | None) -> bool:
        if result is None or result.decision is None or result.actions:
            return False
        conditions = {c.type: c.status for c in self.status.conditions}
        return conditions.get("Ready") == "True" and conditions.get("Reconciling") == "False"


def new_run(spec: ScaleSetSpec, name: str = "web", clock: ManualClock | None = None, speed: float | None = None) -> Run:
    """A run on the fake backend over a fresh simulated cloud (``speed``: see ``Run.speed``)."""
    return Run(World.fake(clock), spec, name=name, speed=speed)


__all__ = ["MemoryKube", "OperatorCrashed", "RecordingBackend", "Run", "World", "apply_merge_patch", "new_run"]
