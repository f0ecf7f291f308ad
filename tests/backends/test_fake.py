"""The fake backend serves the Backend protocol from the simulator, in simulated time."""

from __future__ import annotations

from typing import Any

import pytest

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.backends.fake import FakeBackend
from scaleset_operator.backends.protocol import Backend
from scaleset_operator.cloud.desired import DesiredModel, desired_model, scale_set_key
from scaleset_operator.cloud.errors import NotFound, Throttled
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud
from tests.keys import TEST_KEY

SPEC: dict[str, Any] = {
    "location": "westeurope",
    "azure": {"subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg-web"},
    "sku": {"name": "Standard_D2s_v5", "capacity": 2},
    "virtualMachineProfile": {
        "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser"},
        "storageProfile": {
            "imageReference": {
                "publisher": "Canonical",
                "offer": "0001-com-ubuntu-server-jammy",
                "sku": "22_04-lts-gen2",
            },
            "dataDisks": [{"lun": 0, "diskSizeGB": 32}],
        },
    },
}


def spec(disk_size: int = 32) -> ScaleSetSpec:
    data = {**SPEC, "virtualMachineProfile": {**SPEC["virtualMachineProfile"]}}
    data["virtualMachineProfile"]["storageProfile"] = {
        **SPEC["virtualMachineProfile"]["storageProfile"],
        "dataDisks": [{"lun": 0, "diskSizeGB": disk_size}],
    }
    return ScaleSetSpec.model_validate(data)


KEY = scale_set_key(spec(), "web")


def model(disk_size: int = 32) -> DesiredModel:
    return desired_model(spec(disk_size), admin_password="not-stored-1A", fingerprints=TEST_KEY)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def backend(clock: ManualClock) -> FakeBackend:
    return FakeBackend(SimulatedCloud(clock))


def test_implements_the_protocol(backend: FakeBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "fake"


async def test_create_observe_and_converge_in_simulated_time(backend: FakeBackend, clock: ManualClock) -> None:
    assert await backend.get(KEY) is None

    await backend.apply(KEY, model(), 2)
    creating = await backend.get(KEY)
    clock.advance(60)
    ready = await backend.get(KEY)

    assert creating is not None and ready is not None
    assert {i.provisioning_state for i in creating.instances} == {"Creating"}
    assert [(i.name, i.provisioning_state, i.health_state) for i in ready.instances] == [
        ("web000000", "Succeeded", "Healthy"),
        ("web000001", "Succeeded", "Healthy"),
    ]
    assert ready.model_hash == model().model_hash()


async def test_disk_drift_lab_through_the_protocol(backend: FakeBackend, clock: ManualClock) -> None:
    await backend.apply(KEY, model(32), 2)
    clock.advance(60)

    await backend.apply(KEY, model(64), 2)
    await backend.upgrade_instances(KEY, ("0", "1"))
    clock.advance(60)
    upgraded = await backend.get(KEY)
    await backend.reimage_all(KEY, ["0"])
    clock.advance(60)
    reimaged = await backend.get(KEY)

    assert upgraded is not None and reimaged is not None
    assert [(i.latest_model_applied, i.data_disks) for i in upgraded.instances] == [(True, {0: 32})] * 2
    assert [i.data_disks for i in reimaged.instances] == [{0: 64}, {0: 32}]


async def test_every_instance_operation_is_one_call_per_batch(backend: FakeBackend, clock: ManualClock) -> None:
    await backend.apply(KEY, model(), 4)
    clock.advance(60)
    marker = backend.cloud.calls.marker()

    await backend.restart(KEY, ["0", "1", "2", "3"])
    clock.advance(60)
    await backend.reimage(KEY, ["0", "1"], image_version="2024.01.10")
    await backend.delete_instances(KEY, ["3"])

    assert backend.cloud.calls.writes_since(marker, KEY) == 3
    observed = await backend.get(KEY)
    assert observed is not None and observed.capacity == 3


async def test_latest_image_version_and_delete(backend: FakeBackend, clock: ManualClock) -> None:
    image = spec().virtualMachineProfile.storageProfile.imageReference
    assert await backend.latest_image_version("westeurope", image) == "2024.02.15"

    await backend.apply(KEY, model(), 1)
    await backend.delete(KEY)
    clock.advance(60)
    await backend.delete(KEY)

    assert await backend.get(KEY) is None
    await backend.close()


async def test_errors_are_the_cloud_vocabulary(backend: FakeBackend) -> None:
    with pytest.raises(NotFound):
        await backend.upgrade_instances(KEY, ["0"])

    backend.cloud.faults.fail_next("get", status=429, retry_after=3)
    with pytest.raises(Throttled) as error:
        await backend.get(KEY)
    assert error.value.retry_after == 3
