"""Azure's refusals of a scale set PUT, one row per case: the invalid manifest and the nearest valid one.

One table, four tests (docs/validation.md):
- ``tests/e2e/test_azure_rules.py``: the API server refuses each invalid manifest whose rule CEL can
  see (``cel`` is the fragment of its message) and accepts each valid one;
- ``tests/cloud/test_refusals.py``: the operator's check (``cloud/refusals.py``, with the Secret
  values and the simulator's outside facts) refuses each invalid model with Azure's code and none
  of the valid ones;
- ``tests/simulator/test_validation.py``: the simulator refuses each invalid PUT with Azure's code,
  through the engine and through the ARM endpoint;
- ``tests/backends/azure/test_refusals.py``: the real loop on both backends stalls with Azure's code
  as the reason and writes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import DesiredModel, desired_model
from scaleset_operator.cloud.refusals import (
    INVALID_PARAMETER,
    INVALID_RESOURCE_NAME,
    LINKED_INVALID_PROPERTY_ID,
    LOCATION_NOT_AVAILABLE,
    OPERATION_NOT_ALLOWED,
    SKU_NOT_AVAILABLE,
)
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD, USER_DATA
from tests.e2e.journeys import EXAMPLES
from tests.keys import TEST_KEY
from tests.overrides import with_overrides

SUB = "00000000-0000-0000-0000-000000000001"
LB = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Network/loadBalancers/lb-web"
PASSWORD = "Str0ng-Passw0rd!"
SECRET_REF = {"name": "vm-admin", "key": "password"}
USER_DATA_REF = {"name": "vm-admin", "key": "userData"}
B64 = "I2Nsb3VkLWNvbmZpZwo="
EXTENSION = {
    "name": "script",
    "properties": {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1"},
}
WINDOWS: dict[str, Any] = {
    "virtualMachineProfile.storageProfile.osDisk": {"osType": "Windows"},
    "virtualMachineProfile.storageProfile.imageReference": {
        "publisher": "MicrosoftWindowsServer",
        "offer": "WindowsServer",
        "sku": "2022-datacenter-azure-edition",
        "version": "latest",
    },
    "virtualMachineProfile.osProfile.linuxConfiguration": None,
    "virtualMachineProfile.osProfile.computerNamePrefix": "win",
    "virtualMachineProfile.osProfile.adminUsername": "winops",
    "virtualMachineProfile.osProfile.adminPasswordSecretRef": SECRET_REF,
}
LINUX_PASSWORD: dict[str, Any] = {
    "virtualMachineProfile.osProfile.adminPasswordSecretRef": SECRET_REF,
    "virtualMachineProfile.osProfile.linuxConfiguration": {"disablePasswordAuthentication": False},
}


@dataclass(frozen=True)
class Row:
    id: str
    rule: str
    code: str
    invalid: dict[str, Any]
    valid: dict[str, Any]
    cel: str | None = None
    """A fragment of the API server's refusal (None: CEL cannot see it: a Secret value, outside facts)."""
    base: dict[str, Any] = field(default_factory=dict)
    """Overrides both manifests share (e.g. a Windows scale set)."""
    secrets: dict[str, str] = field(default_factory=lambda: {"password": PASSWORD})
    invalid_secrets: dict[str, str] | None = None
    invalid_name: str | None = None
    pydantic: dict[str, Any] | None = None
    """The API model itself refuses the invalid spec (the operator reports InvalidSpec): the model sent to
    the simulator is then the valid one with these fields replaced."""

    def spec(self, valid: bool) -> dict[str, Any]:
        spec = with_overrides(base_spec(), **self.base)
        return with_overrides(spec, **(self.valid if valid else self.invalid))

    def manifest(self, valid: bool) -> dict[str, Any]:
        name = self.invalid_name if (self.invalid_name and not valid) else f"r-{self.id}-{'ok' if valid else 'no'}"
        return {
            "apiVersion": "scaleset.dev/v1alpha1",
            "kind": "ScaleSet",
            "metadata": {"name": name},
            "spec": self.spec(valid),
        }

    def name(self, valid: bool) -> str:
        return str(self.manifest(valid)["metadata"]["name"])

    def secret_values(self, valid: bool) -> dict[str, str]:
        return dict(self.secrets if valid or self.invalid_secrets is None else self.invalid_secrets)

    def azure_name(self, valid: bool) -> str:
        return str(self.spec(valid)["azure"].get("name") or self.name(valid))

    def capacity(self, valid: bool) -> int:
        return int(self.spec(valid)["sku"]["capacity"])

    def model(self, valid: bool) -> DesiredModel:
        """The model the operator would send (the simulator would receive), with the Secret's values."""
        if not valid and self.pydantic is not None:
            return replace(self.model(True), **self.pydantic)
        spec = ScaleSetSpec.model_validate(self.spec(valid))
        values = self.secret_values(valid)
        secrets: dict[str, Any] = {}
        profile = spec.virtualMachineProfile
        if profile.osProfile.adminPasswordSecretRef is not None:
            secrets[ADMIN_PASSWORD] = values["password"]
        if profile.userDataSecretRef is not None:
            secrets[USER_DATA] = values["userData"]
        return desired_model(spec, secrets=secrets, fingerprints=TEST_KEY)


def base_spec() -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all((EXAMPLES / "rolling-web-tier.yaml").read_text()) if d]
    spec: dict[str, Any] = copy.deepcopy(next(d for d in docs if d["kind"] == "ScaleSet")["spec"])
    spec["sku"]["capacity"] = 2
    return spec


ROWS: list[Row] = [
    Row("reserved-administrator", "admin-username-reserved", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.adminUsername": "Administrator"},
        {"virtualMachineProfile.osProfile.adminUsername": "Administrators"}, "admin user name is reserved",
        base=WINDOWS),
    Row("reserved-root", "admin-username-reserved", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.adminUsername": "root"},
        {"virtualMachineProfile.osProfile.adminUsername": "rootless"}, "admin user name is reserved"),
    Row("linux-user-upper", "admin-username-linux", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.adminUsername": "Ops"},
        {"virtualMachineProfile.osProfile.adminUsername": "ops"}, "Linux admin user name cannot contain"),
    Row("linux-user-dash", "admin-username-linux", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.adminUsername": "-ops"},
        {"virtualMachineProfile.osProfile.adminUsername": "ops-1"}, "Linux admin user name cannot contain"),
    Row("windows-user-dot", "admin-username-windows", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.adminUsername": "ops."},
        {"virtualMachineProfile.osProfile.adminUsername": "ops.team"}, "Windows admin user name", base=WINDOWS),
    Row("windows-user-long", "admin-username-windows", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.adminUsername": "a" * 21},
        {"virtualMachineProfile.osProfile.adminUsername": "a" * 20}, "Windows admin user name", base=WINDOWS),
    Row("windows-no-password", "windows-password-required", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.adminPasswordSecretRef": None}, {}, "needs an admin password", base=WINDOWS),
    Row("weak-linux-password", "admin-password-complexity", INVALID_PARAMETER, {}, {}, base=LINUX_PASSWORD,
        invalid_secrets={"password": "alllowercase"}),
    Row("short-windows-password", "admin-password-complexity", INVALID_PARAMETER, {}, {}, base=WINDOWS,
        invalid_secrets={"password": "Ab1!ab"}),
    Row("refused-windows-password", "admin-password-complexity", INVALID_PARAMETER, {}, {}, base=WINDOWS,
        invalid_secrets={"password": "P@ssw0rd"}),
    Row("windows-prefix-long", "windows-computer-name-prefix", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.computerNamePrefix": "webserver1"},
        {"virtualMachineProfile.osProfile.computerNamePrefix": "webserver"}, "Windows computer name prefix",
        base=WINDOWS),
    Row("windows-prefix-numeric", "windows-computer-name-prefix", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.computerNamePrefix": "12345"},
        {"virtualMachineProfile.osProfile.computerNamePrefix": "w12345"}, "Windows computer name prefix",
        base=WINDOWS),
    Row("custom-data", "custom-data-base64", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.customData": "#cloud-config"},
        {"virtualMachineProfile.osProfile.customData": B64}, "must be Base64 encoded"),
    Row("user-data", "user-data-base64", INVALID_PARAMETER,
        {"virtualMachineProfile.userData": "echo hello"},
        {"virtualMachineProfile.userData": B64}, "must be Base64 encoded"),
    Row("user-data-secret", "user-data-base64", INVALID_PARAMETER, {}, {},
        base={"virtualMachineProfile.userDataSecretRef": USER_DATA_REF},
        secrets={"password": PASSWORD, "userData": B64}, invalid_secrets={"password": PASSWORD, "userData": "echo hi"}),
    Row("zonal-fault-domains", "fault-domain-count", INVALID_PARAMETER,
        {"zones": ["1", "2"], "platformFaultDomainCount": 2},
        {"zones": ["1", "2"], "platformFaultDomainCount": 1}, "platformFaultDomainCount must be 1 or 5"),
    Row("flexible-fault-domains", "fault-domain-count", INVALID_PARAMETER,
        {"platformFaultDomainCount": 5, "orchestrationMode": "Flexible", "upgradePolicy": {"mode": "Manual"}},
        {"orchestrationMode": "Flexible", "platformFaultDomainCount": 3, "upgradePolicy": {"mode": "Manual"}},
        "Flexible orchestration supports platformFaultDomainCount 1, 2 or 3",
        pydantic={"platform_fault_domain_count": 5}),
    Row("zone-balance", "zone-balance", INVALID_PARAMETER,
        {"zoneBalance": True, "zones": ["1"]},
        {"zoneBalance": True, "zones": ["1", "2"], "platformFaultDomainCount": 1}, "zoneBalance can only be set"),
    Row("single-placement-group", "single-placement-group-size", OPERATION_NOT_ALLOWED,
        {"singlePlacementGroup": True, "sku.capacity": 101},
        {"singlePlacementGroup": False, "sku.capacity": 101}, "singlePlacementGroup true holds at most 100"),
    Row("probe-not-a-probe", "health-probe-id", LINKED_INVALID_PROPERTY_ID,
        {"virtualMachineProfile.networkProfile.healthProbe": {"id": LB}},
        {"virtualMachineProfile.networkProfile.healthProbe": {"id": f"{LB}/probes/http"}},
        "must be the ARM ID of a load balancer probe"),
    Row("probe-not-an-id", "health-probe-id", LINKED_INVALID_PROPERTY_ID,
        {"virtualMachineProfile.networkProfile.healthProbe": {"id": "lb-web/http"}},
        {"virtualMachineProfile.networkProfile.healthProbe": {"id": f"{LB}/probes/http"}},
        "must be the ARM ID of a load balancer probe"),
    Row("extensions-disallowed", "allow-extension-operations", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.allowExtensionOperations": False},
        {"virtualMachineProfile.osProfile.allowExtensionOperations": True},
        "allowExtensionOperations may only be false",
        base={"virtualMachineProfile.extensionProfile": {"extensions": [EXTENSION]}}),
    Row("guest-signal-false", "true-or-omitted", INVALID_PARAMETER,
        {"virtualMachineProfile.osProfile.requireGuestProvisionSignal": False},
        {"virtualMachineProfile.osProfile.requireGuestProvisionSignal": True}, "must either be set to true or omitted"),
    Row("constrained-capacity-false", "true-or-omitted", INVALID_PARAMETER,
        {"constrainedMaximumCapacity": False}, {"constrainedMaximumCapacity": True},
        "must either be set to true or omitted"),
    Row("ultra-ssd", "ultra-ssd-capability", INVALID_PARAMETER,
        {"virtualMachineProfile.storageProfile.dataDisks": [
            {"lun": 0, "diskSizeGB": 32, "managedDisk": {"storageAccountType": "UltraSSD_LRS"}}]},
        {"virtualMachineProfile.storageProfile.dataDisks": [
            {"lun": 0, "diskSizeGB": 32, "managedDisk": {"storageAccountType": "UltraSSD_LRS"}}],
         "additionalCapabilities": {"ultraSSDEnabled": True}}, "UltraSSD_LRS data disks need"),
    Row("disk-iops", "disk-performance-tier", INVALID_PARAMETER,
        {"virtualMachineProfile.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 32, "diskIOPSReadWrite": 3000}]},
        {"virtualMachineProfile.storageProfile.dataDisks": [{
            "lun": 0, "diskSizeGB": 32, "diskIOPSReadWrite": 3000,
            "managedDisk": {"storageAccountType": "PremiumV2_LRS"}}]},
        "apply only to UltraSSD_LRS and PremiumV2_LRS"),
    Row("name-ends-with-dash", "scale-set-name", INVALID_RESOURCE_NAME,
        {"azure.name": "web-"}, {"azure.name": "web-1"}, "not end with '.' or '-'", pydantic={}),
    Row("default-name-too-long", "scale-set-name", INVALID_RESOURCE_NAME,
        {}, {"azure.name": "web"}, "a scale set name has at most 64 characters",
        invalid_name="w" * 65),
    Row("sku-tier", "sku-tier", INVALID_PARAMETER, {"sku.tier": "Premium"}, {"sku.tier": "Standard"}, "spec.sku.tier",
        pydantic={"sku_tier": "Premium"}),
    Row("unknown-location", "location", LOCATION_NOT_AVAILABLE, {"location": "atlantis"}, {"location": "northeurope"}),
    Row("unknown-size", "vm-size", INVALID_PARAMETER, {"sku.name": "Standard_Z99"}, {"sku.name": "Standard_F2s_v2"}),
    Row("zones-not-offered", "vm-size-zones", SKU_NOT_AVAILABLE,
        {"location": "westus", "zones": ["1"], "platformFaultDomainCount": 1}, {"location": "westus"}),
    Row("os-disk-too-small", "os-disk-size", OPERATION_NOT_ALLOWED,
        {"virtualMachineProfile.storageProfile.osDisk": {"diskSizeGB": 16}},
        {"virtualMachineProfile.storageProfile.osDisk": {"diskSizeGB": 64}}),
]  # fmt: skip
"""Every rule of ``cloud/refusals.py`` has at least one row (``tests/cloud/test_refusals.py`` checks it)."""

CEL_ROWS = [row for row in ROWS if row.cel is not None]
