"""Shared fixtures for the simulator tests: a manual clock, a fresh engine and a model builder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey, desired_model
from scaleset_operator.simulator.catalog import default_catalog
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

KEY = ScaleSetKey("00000000-0000-0000-0000-000000000001", "rg-web", "web")
JAMMY = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2"}
GALLERY = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images"
    "/providers/Microsoft.Compute/galleries/gal/images/web"
)

ModelFactory = Callable[..., DesiredModel]


def build_model(
    *,
    zones: tuple[str, ...] = (),
    overprovision: bool = False,
    rule: str = "Default",
    data_disks: dict[int, int] | None = None,
    image: dict[str, str] | None = None,
    prefix: str = "web",
    custom_data: str | None = None,
    fault_domains: int = 5,
    location: str = "westeurope",
    password: str | None = None,
    sku: str = "Standard_D2s_v5",
    orchestration: str = "Uniform",
) -> DesiredModel:
    """A valid model through the real API types, so the tests exercise what the operator sends."""
    disks = {0: 32} if data_disks is None else data_disks
    spec: dict[str, Any] = {
        "location": location,
        "azure": {"subscriptionId": KEY.subscription_id, "resourceGroup": KEY.resource_group, "name": KEY.name},
        "sku": {"name": sku, "capacity": 0},
        "orchestrationMode": orchestration,
        "zones": list(zones),
        "platformFaultDomainCount": fault_domains,
        "overprovision": overprovision,
        "scaleInPolicy": {"rules": [rule]},
        "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": prefix, "adminUsername": "azureuser", "customData": custom_data},
            "storageProfile": {
                "imageReference": image or {**JAMMY, "version": "latest"},
                "dataDisks": [{"lun": lun, "diskSizeGB": size} for lun, size in disks.items()],
            },
        },
    }
    return desired_model(ScaleSetSpec.model_validate(spec), admin_password=password)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(clock: ManualClock) -> SimulatedCloud:
    return SimulatedCloud(clock, default_catalog())


@pytest.fixture
def make_model() -> ModelFactory:
    return build_model
