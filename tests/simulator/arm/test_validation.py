"""The ARM endpoint answers a PUT Azure would refuse with Azure's error (``simulator/validation.py``),
for every row of ``tests/azure_rules.py``, and serves the outside facts the operator reads first."""

from __future__ import annotations

import pytest

from scaleset_operator.cloud.wire import to_arm
from tests.azure_rules import ROWS, Row

from .conftest import SUB, Http

CONFLICTS = ("OperationNotAllowed", "SkuNotAvailable")
VMSS_PREFIX = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets"


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_the_arm_endpoint_answers_azures_error(row: Row, http: Http) -> None:
    for valid in (True, False):
        body = to_arm(row.model(valid), row.capacity(valid), {})
        path = f"{VMSS_PREFIX}/{row.azure_name(valid)}"
        reply = await http.call("PUT", path, body)
        if valid:
            assert reply.status in (200, 201), reply.body
        else:
            assert reply.error[0] == row.code, reply.body
            assert reply.status == (409 if row.code in CONFLICTS else 400)


async def test_the_facts_are_served_as_azure_serves_them(http: Http) -> None:
    skus = await http.call(
        "GET",
        f"/subscriptions/{SUB}/providers/Microsoft.Compute/skus?$filter=location eq 'westus'",
        api_version="2021-07-01",
    )
    sizes = {s["name"]: s["locationInfo"][0]["zones"] for s in skus.body["value"]}
    assert sizes["Standard_D2s_v5"] == [] and all(s["locations"] == ["westus"] for s in skus.body["value"])
    image = await http.call(
        "GET",
        f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/publishers/Canonical"
        "/artifacttypes/vmimage/offers/0001-com-ubuntu-server-jammy/skus/22_04-lts-gen2/versions/2024.02.15",
    )
    assert image.body["properties"]["osDiskImage"] == {
        "operatingSystem": "Linux",
        "sizeInGb": 30,
        "sizeInBytes": 30 * 1024**3,
    }
