"""Call budgets on the wire: what an idle ScaleSet, a batch and a whole rollout cost in ARM requests.

Azure throttles per scale set (PUT 4/min, actions 4/min, VM list 10/min, GET 12/min), so these are
promises worth a test: an idle pass is one scale set GET and one VM list, a batch is one write,
never one call per instance.
"""

from __future__ import annotations

import pytest

from ..scenarios import Run, World, make_spec, rolling_rollout_calls

POLLS = ("operation.status", "operation.result")


async def converged(world: World, capacity: int = 3) -> Run:
    run = Run(world, make_spec(**{"sku.capacity": capacity}))
    await run.converge()
    await world.finish_operations()
    return run


async def test_an_idle_observation_is_two_gets_and_no_writes(azure_world: World) -> None:
    run = await converged(azure_world)
    assert azure_world.arm is not None
    marker = azure_world.arm.requests.marker()

    await azure_world.backend.get(run.key)
    azure_world.clock.advance(10)
    idle = await run.step()

    assert idle is not None and idle.decision is not None and not idle.actions
    counts = azure_world.arm.requests.counts(marker)
    assert {k: v for k, v in counts.items() if k != "images.list"} == {"vmss.get": 2, "vms.list": 2}
    assert counts.get("images.list", 0) <= 1, "the image catalog is checked at most once per interval"


@pytest.mark.parametrize(
    ("operation", "request_kind"),
    [
        ("upgrade_instances", "vmss.manualupgrade"),
        ("reimage", "vmss.reimage"),
        ("reimage_all", "vmss.reimageall"),
        ("restart", "vmss.restart"),
        ("delete_instances", "vmss.delete"),
    ],
)
async def test_a_batch_is_one_write(azure_world: World, operation: str, request_kind: str) -> None:
    run = await converged(azure_world, capacity=5)
    assert azure_world.arm is not None
    marker = azure_world.arm.requests.marker()

    await getattr(azure_world.backend, operation)(run.key, ["0", "1", "2", "3"])

    writes = [r for r in azure_world.arm.requests.since(marker) if r.operation not in POLLS]
    assert [(r.operation, r.status) for r in writes] == [(request_kind, 202)]


async def test_a_20_instance_rolling_rollout_at_20_percent(azure_world: World, fake_world: World) -> None:
    azure = await rolling_rollout_calls(azure_world, instances=20, percent=20)
    fake = await rolling_rollout_calls(fake_world, instances=20, percent=20)
    print(f"\n20-instance rollout at 20%: {azure}\n  fake backend: {fake}")

    assert azure.batches == 5 and azure.engine_writes == 6  # the model PUT + 5 manual-upgrade batches
    writes = {k: v for k, v in azure.http.items() if k in ("vmss.put", "vmss.manualupgrade")}
    assert writes == {"vmss.put": 1, "vmss.manualupgrade": 5}
    observations = azure.passes - azure.client_throttled  # a pass refused by the budget makes no request
    assert azure.http["vms.list"] == observations
    assert azure.http["vmss.get"] == observations + 1  # + the PUT's final GET (end of its LRO)
    assert (fake.batches, fake.engine_writes) == (azure.batches, azure.engine_writes)
