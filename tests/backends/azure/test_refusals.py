"""Azure's refusals before Azure, through the real loop on both backends: a ScaleSet that Azure would
refuse (a Secret's value, or a fact only the cloud knows: region, VM size, zones, image size) is
``Stalled`` with Azure's code as the reason, and nothing is written; the valid side converges.

With the Azure backend the facts come through the real SDK from the ARM endpoint's resource SKUs
and image routes, as they would from Azure."""

from __future__ import annotations

import pytest

from scaleset_operator.api.scaleset import ScaleSetSpec
from tests.azure_rules import ROWS, Row
from tests.harness import MemoryKube, Run, World

CHECKED = [
    "unknown-location",
    "unknown-size",
    "zones-not-offered",
    "os-disk-too-small",
    "weak-linux-password",
    "user-data-secret",
    "windows-prefix-long",
]


def kube(row: Row, valid: bool) -> MemoryKube:
    return MemoryKube({("default", "vm-admin", k): v for k, v in row.secret_values(valid).items()})


@pytest.mark.parametrize("row", [r for r in ROWS if r.id in CHECKED], ids=lambda r: r.id)
async def test_what_azure_would_refuse_is_stalled_with_its_code_and_never_written(world: World, row: Row) -> None:
    refused = Run(world, ScaleSetSpec.model_validate(row.spec(False)), name=row.name(False), kube=kube(row, False))
    for _ in range(3):
        await refused.step()
        world.clock.advance(30)
    stalled = refused.condition("Stalled")
    assert stalled is not None and stalled[:2] == ("True", row.code), stalled
    assert "Azure would refuse the scale set" in stalled[2]
    assert world.cloud.calls.writes_since(0) == 0, "nothing was written"
    for value in row.secret_values(False).values():
        assert value not in stalled[2]

    fixed = Run(world, ScaleSetSpec.model_validate(row.spec(True)), name=row.name(True), kube=kube(row, True))
    await fixed.converge()
    assert fixed.condition("Ready") is not None and fixed.condition("Ready")[0] == "True"  # type: ignore[index]
