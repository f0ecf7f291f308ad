"""Adoption, observe-only and drift through the real Reconciler, on both backends: a scale set made
by another tool (through the SDK against the ARM endpoint, or in the engine) is left alone until
adopted, adopting it loses nothing it had, observing writes nothing, and changes made behind the
operator's back (a size change, a deleted instance) are reported and corrected."""

from __future__ import annotations

import copy
from typing import Any

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import ScaleSetKey

from .. import outside
from ..scenarios import Run, World, changed, make_spec
from .test_arm_resources import RG, SUB, production_scale_set

KEY = ScaleSetKey(SUB, RG, "web")


def adopting_spec(**fields: Any) -> ScaleSetSpec:
    """What a platform engineer writes for the production scale set: a subset of its properties
    (no identity, security or diagnostics profile, extensions, NICs, user data, repairs ...)."""
    return ScaleSetSpec.model_validate(
        {
            "location": "westeurope",
            "azure": {"subscriptionId": SUB, "resourceGroup": RG},
            "sku": {"name": "Standard_D2s_v5", "capacity": 2},
            "zones": ["1", "2", "3"],
            "orchestrationMode": "Flexible",
            "platformFaultDomainCount": 1,
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser"},
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical",
                        "offer": "0001-com-ubuntu-server-jammy",
                        "sku": "22_04-lts-gen2",
                    },
                    "osDisk": {"managedDisk": {"storageAccountType": "Premium_LRS"}},
                    "dataDisks": [{"lun": 0, "diskSizeGB": 32}],
                },
                "priority": "Spot",
                "evictionPolicy": "Delete",
            },
            **fields,
        }
    )


def writes(world: World, marker: int, http: int) -> tuple[int, int]:
    """Writes to the scale set since the markers: engine calls, and ARM requests (Azure world)."""
    engine = world.cloud.calls.writes_since(marker, KEY)
    return engine, world.arm.requests.summary(http)["writes"] if world.arm is not None else 0


def markers(world: World) -> tuple[int, int]:
    return world.cloud.calls.marker(), world.arm.requests.marker() if world.arm is not None else 0


def lost(before: Any, after: Any, path: str = "") -> list[str]:
    """What ``before`` had that ``after`` does not have with the same value (``after`` may add the
    defaults of the spec's model, which mean what Azure's absent values mean)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [p for key, value in before.items() for p in lost(value, after.get(key), f"{path}.{key}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (a, b) in enumerate(zip(before, after, strict=True)) for p in lost(a, b, f"{path}[{i}]")]
    return [] if before == after else [path]


def without_tags(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in copy.deepcopy(document).items() if k != "tags"}


async def test_a_scale_set_made_elsewhere_is_left_alone_until_adopted_and_then_loses_nothing(world: World) -> None:
    await outside.create(world, KEY, production_scale_set("Flexible", capacity=2))
    before = await outside.document(world, KEY)
    run = Run(world, adopting_spec())
    engine, http = markers(world)

    await run.run_for(90, tick=30)
    assert run.condition("Stalled")[:2] == ("True", "AlreadyExists")  # type: ignore[index]
    assert [e[1] for e in run.events].count("AlreadyExists") == 1
    assert writes(world, engine, http) == (0, 0), "not adopted: nothing written"
    assert await run.reconciler.finalize(run.body(), lambda *event: run.events.append(event))
    assert writes(world, engine, http) == (0, 0), "deleting a ScaleSet that never adopted it leaves it"

    run.set_spec(adopting_spec(adopt=True))
    await run.converge()
    assert writes(world, engine, http) == (0, 0), "the spec matches: adopting writes nothing"
    assert run.status.management is not None and run.status.management.origin == "Adopted"
    assert await outside.document(world, KEY) == before

    run.set_spec(adopting_spec(adopt=True, tags={"team": "web", "owner": "platform"}))
    await run.converge()
    await world.finish_operations()
    after = await outside.document(world, KEY)
    assert writes(world, engine, http)[0] == 1, "one push for the one field the spec changed"
    assert lost(without_tags(before), without_tags(after)) == [], "every property the spec does not set is kept"
    assert {k: v for k, v in after["tags"].items() if not k.startswith("scaleset.dev/")} == {
        "team": "web",
        "cost-center": "42",
        "owner": "platform",
    }
    tagged = await world.backend.get(KEY)
    assert tagged is not None and tagged.model_hash is not None, "the push carried the operator's hash tags"
    assert all(i.latest_model_applied for i in (await run.observe()).instances), "a tag reaches no instance"


async def test_observe_only_reports_and_writes_nothing(world: World) -> None:
    await outside.create(world, KEY, production_scale_set("Flexible", capacity=2))
    spec = adopting_spec(managementPolicy="Observe", **{"sku": {"name": "Standard_D4s_v5", "capacity": 3}})
    run = Run(world, spec)
    run.add_operation("restart", action="Restart", allInstances=True)
    engine, http = markers(world)

    await run.run_for(300, tick=30)
    assert writes(world, engine, http) == (0, 0)
    state, reason, message = run.condition("ModelDrifted")  # type: ignore[misc]
    assert (state, reason) == ("True", "FieldsDiffer")
    assert "sku.name: Standard_D2s_v5 in Azure, Standard_D4s_v5 in the spec" in message
    assert "sku.capacity: 2 in Azure, 3 in the spec" in message
    assert run.condition("Ready")[:2] == ("True", "Observing")  # type: ignore[index]
    assert [e[1] for e in run.events].count("ModelDrifted") == 1
    refused = run.operation("restart")
    assert refused.phase == "Failed" and "managementPolicy Observe" in refused.message
    assert run.status.replicas == 2, "the instances are reported"
    assert await run.reconciler.finalize(run.body(), lambda *event: run.events.append(event))
    assert writes(world, engine, http) == (0, 0) and world.cloud.snapshot(KEY) is not None, "deleting leaves it"


async def test_a_size_changed_and_an_instance_deleted_behind_its_back_are_reported_and_corrected(world: World) -> None:
    run = Run(world, make_spec(**{"sku.capacity": 3, "upgradePolicy.mode": "Manual"}))
    await run.converge()
    await world.finish_operations()

    await outside.change_sku(world, run.key, "Standard_D4s_v5")
    await run.step()
    state, reason, message = run.condition("ModelDrifted")  # type: ignore[misc]
    assert (state, reason) == ("True", "ChangedOutside")
    assert "sku.name: Standard_D4s_v5 in Azure, Standard_D2s_v5 in the spec" in message
    assert run.events[-2][:2] == ("Warning", "ModelDrifted") or ("Warning", "ModelDrifted") in [
        e[:2] for e in run.events
    ]
    await run.converge()
    assert (await outside.document(world, run.key))["sku"]["name"] == "Standard_D2s_v5"
    assert run.condition("ModelDrifted")[:2] == ("False", "InSync")  # type: ignore[index]
    assert all(i.latest_model_applied for i in (await run.observe()).instances), "back on the model they run"

    gone = next(iter(sorted((await run.observe()).ids)))
    await outside.delete_instance(world, run.key, gone)
    await run.step()
    assert "sku.capacity: 2 in Azure, 3 in the spec" in run.condition("ModelDrifted")[2]  # type: ignore[index]
    await run.converge()
    observed = await run.observe()
    assert observed.capacity == 3 and len(observed.instances) == 3 and gone not in observed.ids
    drifts = [e[2] for e in run.events if e[1] == "ModelDrifted"]
    assert len(drifts) == 2 and "sku.name" in drifts[0] and "sku.capacity" in drifts[1]


async def test_a_spec_change_is_not_drift(world: World) -> None:
    run = Run(world, make_spec(**{"sku.capacity": 2, "upgradePolicy.mode": "Manual"}))
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.step()
    assert run.condition("ModelDrifted")[:2] == ("False", "SpecChanged")  # type: ignore[index]
    await run.converge()
    assert not [e for e in run.events if e[1] == "ModelDrifted"]
