"""SDK VMs (as Azure returns them, with the instance view expanded) -> ObservedInstance."""

from __future__ import annotations

from typing import Any

import pytest
from azure.mgmt.compute import models as sdk

from scaleset_operator.backends.azure.observation import UNKNOWN_TIME, observe_instance, observe_scale_set

GALLERY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/web"


def vm(
    *,
    statuses: list[str] | None = None,
    health: str | None = "HealthState/healthy",
    image: dict[str, Any] | None = None,
    **properties: Any,
) -> sdk.VirtualMachineScaleSetVM:
    view: dict[str, Any] = {
        "platformFaultDomain": 2,
        "platformUpdateDomain": 3,
        "computerName": "web00000a",
        "statuses": [{"code": c} for c in (statuses or ["ProvisioningState/succeeded", "PowerState/running"])],
    }
    if health is not None:
        view["vmHealth"] = {"status": {"code": health}}
    return sdk.VirtualMachineScaleSetVM(
        {
            "name": "web_10",
            "location": "westeurope",
            "instanceId": "10",
            "zones": ["2"],
            "properties": {
                "latestModelApplied": True,
                "provisioningState": "Succeeded",
                "timeCreated": "2024-01-01T00:00:00+00:00",
                "storageProfile": {
                    "imageReference": image
                    or {
                        "publisher": "Canonical",
                        "offer": "o",
                        "sku": "s",
                        "version": "latest",
                        "exactVersion": "1.2.3",
                    },
                    "dataDisks": [{"lun": 0, "diskSizeGB": 32, "createOption": "Empty"}],
                },
                "instanceView": view,
                **properties,
            },
        }
    )


def test_a_running_healthy_instance() -> None:
    observed = observe_instance(vm(protectionPolicy={"protectFromScaleIn": True}))
    assert (observed.instance_id, observed.name, observed.zone) == ("10", "web00000a", "2")
    assert (observed.fault_domain, observed.update_domain) == (2, 3)
    assert (observed.provisioning_state, observed.power_state, observed.health_state) == (
        "Succeeded",
        "running",
        "Healthy",
    )
    assert (observed.image.version, observed.image.offer) == ("1.2.3", "o")
    assert observed.data_disks == {0: 32}
    assert observed.latest_model_applied and observed.protect_from_scale_in
    assert not observed.protect_from_scale_set_actions
    assert observed.os_profile_fingerprint is None, "Azure cannot tell which OS profile built an instance"


@pytest.mark.parametrize(
    ("code", "health"),
    [
        ("HealthState/healthy", "Healthy"),
        ("HealthState/unhealthy", "Unhealthy"),
        ("HealthState/initializing", "Initializing"),
        ("HealthState/unknown", "Unknown"),
        (None, "Unknown"),
    ],
)
def test_health_comes_from_vm_health(code: str | None, health: str) -> None:
    assert observe_instance(vm(health=code)).health_state == health


@pytest.mark.parametrize(
    ("statuses", "provisioning", "power"),
    [
        (["ProvisioningState/updating", "PowerState/starting"], "Updating", "starting"),
        (["ProvisioningState/failed/InternalOperationError", "PowerState/running"], "Failed", "running"),
        (["ProvisioningState/deleting", "PowerState/deallocating"], "Deleting", "stopping"),
        (["PowerState/deallocated"], "Succeeded", "deallocated"),
    ],
)
def test_provisioning_and_power_come_from_the_statuses(statuses: list[str], provisioning: str, power: str) -> None:
    observed = observe_instance(vm(statuses=statuses))
    assert (observed.provisioning_state, observed.power_state) == (provisioning, power)


def test_a_gallery_image_reduces_to_its_definition_and_version() -> None:
    pinned = observe_instance(vm(image={"id": f"{GALLERY}/versions/2.0.1"}))
    latest = observe_instance(vm(image={"id": GALLERY, "exactVersion": "2.0.3"}))
    assert (pinned.image.gallery_image_id, pinned.image.version) == (GALLERY, "2.0.1")
    assert (latest.image.gallery_image_id, latest.image.version) == (GALLERY, "2.0.3")


def test_missing_fields_have_safe_defaults() -> None:
    observed = observe_instance(sdk.VirtualMachineScaleSetVM({"name": "web_7", "location": "westeurope"}))
    assert observed.instance_id == "7" and observed.created_at == UNKNOWN_TIME
    assert observed.health_state == "Unknown" and observed.image.version == "unknown"


def test_the_scale_set_reads_its_hashes_from_tags_and_sorts_instances() -> None:
    vmss = sdk.VirtualMachineScaleSet(
        {
            "name": "web",
            "location": "westeurope",
            "etag": '"3"',
            "tags": {"scaleset.dev/model-hash": "m", "scaleset.dev/settings-hash": "s", "other": "x"},
            "sku": {"name": "Standard_D2s_v5", "capacity": 2},
            "properties": {"provisioningState": "Updating"},
        }
    )
    second = vm()
    first = sdk.VirtualMachineScaleSetVM({**second.as_dict(), "instanceId": "9", "name": "web_9"})
    observed = observe_scale_set(vmss, [second, first])
    assert (observed.model_hash, observed.settings_hash, observed.capacity) == ("m", "s", 2)
    assert observed.provisioning_state == "Updating" and observed.etag == '"3"'
    assert [i.instance_id for i in observed.instances] == ["9", "10"]
