"""The behavioural scenarios, run identically through the fake backend and the real Azure SDK
(``AzureBackend`` -> HTTPS -> ARM-compatible endpoint) over the same engine."""

from __future__ import annotations

import pytest

from ..scenarios import SCENARIOS, World, summary


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_scenario(world: World, scenario: str) -> None:
    await SCENARIOS[scenario](world)


async def test_both_backends_make_the_same_writes_and_reach_the_same_state(
    fake_world: World, azure_world: World
) -> None:
    results = {}
    for world in (fake_world, azure_world):
        run = await SCENARIOS["rolling_model_upgrade"](world)
        writes = [(c.kind, c.instance_ids) for c in world.cloud.calls.since(0, run.key) if c.write]
        results[world.name] = (writes, summary(await run.observe()), run.status.updatedReplicas)
    assert results["fake"] == results["azure"]
