"""Building ScaleSet specs for tests: one realistic base, overridden by dotted paths."""

from __future__ import annotations

from typing import Any

from scaleset_operator.api.scaleset import ScaleSetSpec
from tests.overrides import with_overrides

UBUNTU = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2"}
PROBE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/probes/http"

BASE: dict[str, Any] = {
    "location": "westeurope",
    "azure": {"subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg"},
    "sku": {"name": "Standard_D2s_v5", "capacity": 5},
    "upgradePolicy": {"mode": "Rolling"},
    "virtualMachineProfile": {
        "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser"},
        "storageProfile": {"imageReference": dict(UBUNTU), "dataDisks": [{"lun": 0, "diskSizeGB": 32}]},
        "networkProfile": {"healthProbe": {"id": PROBE}},
    },
}


def spec_dict(**overrides: Any) -> dict[str, Any]:
    """``spec_dict(**{"sku.capacity": 10, "upgradePolicy.mode": "Manual"})``."""
    return with_overrides(BASE, **overrides)


def make_spec(**overrides: Any) -> ScaleSetSpec:
    return ScaleSetSpec.model_validate(spec_dict(**overrides))


def changed(spec: ScaleSetSpec, **overrides: Any) -> ScaleSetSpec:
    return ScaleSetSpec.model_validate(with_overrides(spec.model_dump(mode="json", exclude_none=True), **overrides))


EXTENSION = {
    "name": "RollingUpgradeTest",
    "properties": {
        "publisher": "Microsoft.Azure.Extensions",
        "type": "CustomScript",
        "typeHandlerVersion": "2.1",
        "settings": {"commandToExecute": "echo 'Rolling upgrade applied' > /tmp/rolling-upgrade-marker.txt"},
    },
}
HEALTH_EXTENSION = {
    "name": "health",
    "properties": {
        "publisher": "Microsoft.ManagedServices",
        "type": "ApplicationHealthLinux",
        "typeHandlerVersion": "1.0",
        "settings": {"protocol": "http", "port": 80, "requestPath": "/health"},
    },
}
