"""Behavioural scenarios over the ``Backend`` protocol, shared by every backend.

Each pass is the operator's real ``Reconciler`` (``tests/harness.py``) talking to a ``Backend``: the
in-process ``FakeBackend``, or the real SDK-backed ``AzureBackend`` over HTTPS to the
ARM-compatible endpoint. Both sit in front of one ``SimulatedCloud`` with a manual clock, and the
harness requeues exactly as kopf would: it advances simulated time by the pass's ``requeue_after``
(throttling included), so a reconcile loop that tight-loops shows up as a call count.

Each scenario function drives a ``World`` to convergence and asserts the outcome; the tests
parametrize them over both backends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.backends.azure import AzureBackend
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.reconciler import PassResult
from scaleset_operator.simulator.catalog import UBUNTU_JAMMY
from tests.harness import MemoryKube, Run, World
from tests.overrides import with_overrides
from tests.planner.specs import changed

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
PROBE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-web/providers/Microsoft.Network/loadBalancers/lb/probes/http"
JAMMY = {"publisher": UBUNTU_JAMMY[0], "offer": UBUNTU_JAMMY[1], "sku": UBUNTU_JAMMY[2]}

BASE_SPEC: dict[str, Any] = {
    "location": "westeurope",
    "azure": {"subscriptionId": SUBSCRIPTION, "resourceGroup": "rg-web"},
    "sku": {"name": "Standard_D2s_v5", "capacity": 3},
    "upgradePolicy": {"mode": "Rolling"},
    "virtualMachineProfile": {
        "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser"},
        "storageProfile": {"imageReference": dict(JAMMY), "dataDisks": [{"lun": 0, "diskSizeGB": 32}]},
        "networkProfile": {"healthProbe": {"id": PROBE}},
    },
}


def make_spec(**overrides: Any) -> ScaleSetSpec:
    """``make_spec(**{"sku.capacity": 5, "upgradePolicy.mode": "Manual"})``."""
    return ScaleSetSpec.model_validate(with_overrides(BASE_SPEC, **overrides))


def max_busy(run: Run, result: PassResult | None, seen: list[int]) -> None:
    """Record how many instances were being upgraded or reimaged at once (rolling invariant)."""
    observed = run.world.cloud.snapshot(run.key)
    if observed is not None:
        seen.append(sum(1 for i in observed.instances if i.provisioning_state == "Updating"))


# == scenarios ========================================================================================
# Each returns a summary that is identical for every backend (tests compare them across backends).


def summary(observed: ObservedScaleSet) -> list[tuple[str, bool, str, dict[int, int], str]]:
    return [
        (i.instance_id, i.latest_model_applied, i.image.version, dict(i.data_disks), i.health_state)
        for i in observed.instances
    ]


async def create(world: World) -> Run:
    run = Run(world, make_spec(**{"sku.capacity": 3}))
    await run.converge()
    observed = await run.observe()
    assert [(i.name, i.provisioning_state, i.health_state) for i in observed.instances] == [
        ("web000000", "Succeeded", "Healthy"),
        ("web000001", "Succeeded", "Healthy"),
        ("web000002", "Succeeded", "Healthy"),
    ]
    status = run.status
    assert (status.replicas, status.readyReplicas, status.updatedReplicas) == (3, 3, 3)
    assert run.condition("Ready") is not None and run.condition("Ready")[0] == "True"  # type: ignore[index]
    return run


async def scale_out_and_in(world: World) -> Run:
    """Out 2 -> 5 adds new IDs; in 5 -> 2 removes by the OldestVM policy (the newest survive)."""
    run = Run(world, make_spec(**{"sku.capacity": 2, "scaleInPolicy": {"rules": ["OldestVM"]}}))
    await run.converge()
    world.clock.advance(60)  # later instances are measurably newer
    run.set_spec(changed(run.spec, **{"sku.capacity": 5}))
    await run.converge()
    assert sorted((await run.observe()).ids, key=int) == ["0", "1", "2", "3", "4"]
    run.set_spec(changed(run.spec, **{"sku.capacity": 2}))
    await run.converge()
    observed = await run.observe()
    # 0 and 1 are the oldest; 2, 3, 4 were created together and the lowest ID goes first.
    assert sorted(observed.ids, key=int) == ["3", "4"]
    assert observed.capacity == 2
    return run


async def rolling_model_upgrade(world: World) -> Run:
    """A model change in Rolling mode reaches every instance in batches of 20% (here 1 of 5)."""
    run = Run(world, make_spec(**{"sku.capacity": 5}))
    await run.converge()
    marker = world.cloud.calls.marker()
    busy: list[int] = []
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge(check=lambda r, p: max_busy(r, p, busy))
    observed = await run.observe()
    assert all(i.latest_model_applied for i in observed.instances)
    assert max(busy) == 1, f"a batch exceeded 20% of 5 instances: {busy}"
    kinds = [c.kind for c in world.cloud.calls.since(marker, run.key) if c.write]
    assert kinds == ["apply"] + ["upgrade"] * 5, kinds
    return run


async def manual_mode_stays_stale(world: World) -> Run:
    run = Run(world, make_spec(**{"sku.capacity": 3, "upgradePolicy.mode": "Manual"}))
    await run.converge()
    marker = world.cloud.calls.marker()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    for _ in range(5):  # and stays so
        world.clock.advance(60)
        await run.step()
    observed = await run.observe()
    assert [i.latest_model_applied for i in observed.instances] == [False, False, False]
    kinds = [c.kind for c in world.cloud.calls.since(marker, run.key) if c.write]
    assert kinds == ["apply"], kinds
    assert run.status.updatedReplicas == 0
    return run


async def reimage_all_disk_lab(world: World) -> Run:
    """32 -> 64 GB: the model changes, the rolling upgrade marks instances up to date with 32 GB disks,
    and reimage-all (opted in) recreates the disks at 64 GB."""
    run = Run(world, make_spec(**{"sku.capacity": 3, "rolloutPolicy": {"reimageAllOnDiskDrift": True}}))
    await run.converge()
    run.set_spec(
        changed(run.spec, **{"virtualMachineProfile.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]})
    )
    await run.converge()
    observed = await run.observe()
    assert [(i.latest_model_applied, i.data_disks) for i in observed.instances] == [(True, {0: 64})] * 3
    kinds = {c.kind for c in world.cloud.calls.since(0, run.key) if c.write}
    assert "reimage_all" in kinds and "upgrade" in kinds, kinds
    return run


async def os_upgrade_to_new_image(world: World) -> Run:
    """Automatic OS upgrade: a newly published platform image version reaches every instance."""
    run = Run(
        world,
        make_spec(
            **{
                "sku.capacity": 5,
                "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
            }
        ),
    )
    await run.converge()
    assert {i.image.version for i in (await run.observe()).instances} == {"2024.02.15"}
    world.cloud.catalog.publish_platform(*UBUNTU_JAMMY, "2024.03.01")
    world.clock.advance(120)  # past osImageCheckInterval
    await run.converge(until=lambda r: _all_on(r, "2024.03.01"))
    await run.converge()
    observed = await run.observe()
    assert {i.image.version for i in observed.instances} == {"2024.03.01"}
    assert run.status.osUpgradeHistory, "the OS upgrade is recorded"
    return run


def _all_on(run: Run, version: str) -> bool:
    observed = run.world.cloud.snapshot(run.key)
    return observed is not None and all(
        i.image.version == version and i.provisioning_state == "Succeeded" for i in observed.instances
    )


@dataclass
class RolloutCalls:
    """What one Rolling model rollout cost, measured on both sides of the wire."""

    instances: int
    batch_percent: int
    passes: int
    simulated_seconds: float
    batches: int
    engine_reads: int
    engine_writes: int
    http: dict[str, int]
    """ARM requests by operation (empty for the fake backend)."""
    client_throttled: int


async def rolling_rollout_calls(world: World, instances: int = 20, percent: int = 20) -> RolloutCalls:
    """Create ``instances``, then change the model in Rolling mode and count every call until the
    rollout has converged (and its LRO pollers have finished)."""
    spec = make_spec(
        **{"sku.capacity": instances, "upgradePolicy.rollingUpgradePolicy": {"maxBatchInstancePercent": percent}}
    )
    run = Run(world, spec)
    await run.converge()
    await world.finish_operations()
    http_marker = world.arm.requests.marker() if world.arm is not None else 0
    engine_marker = world.cloud.calls.marker()
    throttled_before = _client_throttled(world)
    started, first_pass = world.clock.now(), len(run.passes)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    await world.finish_operations()
    observed = await run.observe()
    assert all(i.latest_model_applied for i in observed.instances)
    batches = sum(1 for p in run.passes[first_pass:] for a in p.actions if type(a).__name__ == "UpgradeInstances")
    return RolloutCalls(
        instances=instances,
        batch_percent=percent,
        passes=len(run.passes) - first_pass,
        simulated_seconds=(world.clock.now() - started).total_seconds(),
        batches=batches,
        engine_reads=world.cloud.calls.reads_since(engine_marker, run.key),
        engine_writes=world.cloud.calls.writes_since(engine_marker, run.key),
        http=world.arm.requests.counts(http_marker) if world.arm is not None else {},
        client_throttled=_client_throttled(world) - throttled_before,
    )


def _client_throttled(world: World) -> int:
    if isinstance(world.backend, AzureBackend):
        return world.backend.stats.count(outcome="client_throttled")
    return 0


SCENARIOS: dict[str, Callable[[World], Awaitable[Run]]] = {
    "create": create,
    "scale_out_and_in": scale_out_and_in,
    "rolling_model_upgrade": rolling_model_upgrade,
    "manual_mode_stays_stale": manual_mode_stays_stale,
    "reimage_all_disk_lab": reimage_all_disk_lab,
    "os_upgrade_to_new_image": os_upgrade_to_new_image,
}

__all__ = ["SCENARIOS", "MemoryKube", "Run", "World", "changed", "make_spec", "summary"]
