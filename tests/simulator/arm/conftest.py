"""An ARM endpoint per test over the simulator's ``cloud`` fixture, and a plain HTTPS client for it.

These tests speak raw HTTP (no Azure SDK): they pin the wire protocol the SDK relies on. The SDK
itself is exercised against the same endpoint in ``tests/backends/azure``.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from scaleset_operator.simulator.arm import ArmEndpoint, ArmSettings, start_arm_endpoint
from scaleset_operator.simulator.engine import SimulatedCloud

COMPUTE = "2026-04-01"
GALLERY_API = "2026-03-03"
SUB = "00000000-0000-0000-0000-000000000001"
VMSS = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachineScaleSets/web"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Network/virtualNetworks/vnet/subnets/web"


@dataclass
class Reply:
    status: int
    headers: CIMultiDict[str]
    body: Any

    @property
    def error(self) -> tuple[str, str]:
        return self.body["error"]["code"], self.body["error"]["message"]


@dataclass
class Http:
    session: aiohttp.ClientSession
    base: str
    token: str | None = "any-token"

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        api_version: str | None = COMPUTE,
        headers: dict[str, str] | None = None,
        absolute: bool = False,
    ) -> Reply:
        url = path if absolute else self.base + path
        if api_version is not None and not absolute:
            url += ("&" if "?" in url else "?") + f"api-version={api_version}"
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        async with self.session.request(method, url, json=body, headers=sent) as response:
            raw = await response.read()
            parsed = await response.json() if raw and response.content_type == "application/json" else None
            return Reply(response.status, CIMultiDict(response.headers), parsed)


def scale_set_body(capacity: int = 2, disk: int = 32, **extra: Any) -> dict[str, Any]:
    """A scale set PUT body as the SDK sends it."""
    body: dict[str, Any] = {
        "location": "westeurope",
        "tags": {"scaleset.dev/model-hash": "m1", "team": "web"},
        "sku": {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": capacity},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "overprovision": False,
            "platformFaultDomainCount": 5,
            "scaleInPolicy": {"rules": ["Default"], "forceDeletion": False},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser", "adminPassword": "Pa55-word"},
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical",
                        "offer": "0001-com-ubuntu-server-jammy",
                        "sku": "22_04-lts-gen2",
                        "version": "latest",
                    },
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite", "osType": "Linux"},
                    "dataDisks": [{"lun": 0, "diskSizeGB": disk, "createOption": "Empty", "caching": "None"}],
                },
                "networkProfile": {
                    "networkInterfaceConfigurations": [
                        {
                            "name": "nic",
                            "properties": {
                                "primary": True,
                                "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": SUBNET}}}],
                            },
                        }
                    ]
                },
            },
        },
    }
    body.update(extra)
    return body


@pytest.fixture
async def endpoint(cloud: SimulatedCloud, tmp_path: Path) -> AsyncIterator[ArmEndpoint]:
    started = await start_arm_endpoint(
        cloud, tmp_path / "arm", admin_port=0, settings=ArmSettings(poll_retry_after=3, page_size=2)
    )
    yield started
    await started.close()


@pytest.fixture
async def http(endpoint: ArmEndpoint) -> AsyncIterator[Http]:
    context = ssl.create_default_context(cafile=endpoint.ca_path)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        yield Http(session, endpoint.url)
