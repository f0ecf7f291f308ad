"""The simulator refuses what Azure refuses (``simulator/validation.py``): every row of
``tests/azure_rules.py`` through the engine (the fake backend's path; the ARM endpoint's in
``arm/test_validation.py``), with Azure's code and status; the valid side is created."""

from __future__ import annotations

import pytest

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import InvalidRequest
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud
from tests.azure_rules import ROWS, Row

SUB = "00000000-0000-0000-0000-000000000001"


def key(row: Row, valid: bool) -> ScaleSetKey:
    return ScaleSetKey(SUB, "rg-web", row.azure_name(valid))


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_engine_refuses_the_invalid_put_with_azures_code(row: Row) -> None:
    cloud = SimulatedCloud(ManualClock())
    cloud.apply(key(row, True), row.model(True), row.capacity(True))
    with pytest.raises(InvalidRequest) as refused:
        cloud.apply(key(row, False), row.model(False), row.capacity(False))
    assert (refused.value.code, refused.value.status) == (
        row.code,
        409 if row.code in ("OperationNotAllowed", "SkuNotAvailable") else 400,
    )
    assert cloud.snapshot(key(row, False)) is None or key(row, False) == key(row, True), "nothing was created"
    assert [c.error for c in cloud.calls.since(0) if c.kind == "apply"] == [None, row.code]
