"""The engine's state as ARM JSON: the scale set resource and its VMs (with the instance view).

Shapes follow the Compute REST API (``Microsoft.Compute/virtualMachineScaleSets`` and
``.../virtualMachines``), so the real SDK deserializes them unmodified. ``scale_set`` renders the
model the engine holds (without any secret) for a scale set created through the engine alone; one
written through the endpoint is served from the document its client wrote (``documents.py``).
Per VM: the image the OS disk was built from is ``imageReference.exactVersion``, the data disks
carry their provisioned sizes, and the instance view has ``ProvisioningState/*`` and
``PowerState/*`` statuses and ``vmHealth.status.code = HealthState/*``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.observed import ObservedInstance, ObservedScaleSet
from scaleset_operator.cloud.wire import TOP_LEVEL

JsonObject = dict[str, Any]
SCALE_SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
VM_TYPE = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"


@dataclass
class ResourceMeta:
    """What ARM keeps about a scale set beyond the engine's model (from the last PUT)."""

    created_at: datetime
    unique_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    tags: dict[str, str] = field(default_factory=dict)
    upgrade_policy: JsonObject = field(default_factory=lambda: {"mode": "Manual"})


def etag(value: str | None) -> str:
    return f'"{value or "0"}"'


def _profile(model: DesiredModel) -> JsonObject:
    """The stored profile without any secret or reference to one (the engine holds none anyway)."""
    profile: JsonObject = model.profile.model_dump(mode="json", exclude_none=True)
    profile.get("osProfile", {}).pop("adminPasswordSecretRef", None)
    profile.pop("userDataSecretRef", None)
    for ext in profile.get("extensionProfile", {}).get("extensions", []):
        ext["properties"].pop("protectedSettingsSecretRef", None)
    if not profile.get("networkProfile"):
        profile.pop("networkProfile", None)
    return profile


def _properties(model: DesiredModel) -> tuple[JsonObject, JsonObject]:
    """(top-level, under ``properties``) parts of the stored scale-set-level properties."""
    properties: JsonObject = model.properties.model_dump(mode="json", exclude_none=True)
    properties.pop("tags", None)
    top = {name: properties.pop(name) for name in TOP_LEVEL if name in properties}
    properties["orchestrationMode"] = model.properties.orchestrationMode
    return top, properties


def scale_set(key: ScaleSetKey, model: DesiredModel, observed: ObservedScaleSet, meta: ResourceMeta) -> JsonObject:
    top, properties = _properties(model)
    body: JsonObject = {
        "id": key.resource_id,
        "name": key.name,
        "type": SCALE_SET_TYPE,
        "location": model.location,
        "tags": dict(meta.tags),
        "etag": etag(observed.etag),
        "sku": {"name": model.sku_name, "tier": model.sku_tier, "capacity": observed.capacity},
        **top,
        "properties": {
            **properties,
            "provisioningState": observed.provisioning_state,
            "uniqueId": meta.unique_id,
            "timeCreated": meta.created_at.isoformat(),
            "upgradePolicy": dict(meta.upgrade_policy),
            "overprovision": model.overprovision,
            "platformFaultDomainCount": model.platform_fault_domain_count,
            "scaleInPolicy": model.scale_in_policy.model_dump(mode="json"),
            "virtualMachineProfile": _profile(model),
        },
    }
    if model.zones:
        body["zones"] = list(model.zones)
    return body


def _image_reference(model: DesiredModel, instance: ObservedInstance) -> JsonObject:
    image = instance.image
    if image.gallery_image_id is not None:
        return {"id": image.gallery_image_id, "exactVersion": image.version}
    return {
        "publisher": image.publisher,
        "offer": image.offer,
        "sku": image.sku,
        "version": model.image.version if model.image.id is None else image.version,
        "exactVersion": image.version,
    }


def _managed(storage_account_type: str) -> JsonObject:
    return {"storageAccountType": storage_account_type}


def _status(code: str, display: str, *, error: bool = False) -> JsonObject:
    return {"code": code, "level": "Error" if error else "Info", "displayStatus": display}


def _provisioning(instance: ObservedInstance) -> JsonObject:
    """Azure's ``ProvisioningState/<state>`` status; a failure names its code and says why."""
    state = instance.provisioning_state
    error = instance.last_error
    if error is None:
        return _status(f"ProvisioningState/{state.lower()}", f"Provisioning {state.lower()}", error=state == "Failed")
    return {
        **_status(f"ProvisioningState/failed/{error.code}", "Provisioning failed", error=True),
        "message": error.message,
    }


def instance_view(instance: ObservedInstance) -> JsonObject:
    health = instance.health_state
    return {
        "platformUpdateDomain": instance.update_domain,
        "platformFaultDomain": instance.fault_domain,
        "computerName": instance.name,
        "statuses": [
            _provisioning(instance),
            _status(f"PowerState/{instance.power_state}", f"VM {instance.power_state}"),
        ],
        "vmHealth": {"status": _status(f"HealthState/{health.lower()}", f"The VM health is {health.lower()}")},
    }


def vm(key: ScaleSetKey, model: DesiredModel, instance: ObservedInstance, *, expand_instance_view: bool) -> JsonObject:
    storage = model.profile.storageProfile
    disks = {d.lun: d for d in storage.dataDisks}
    vm_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key.resource_id}/virtualMachines/{instance.instance_id}"))
    properties: JsonObject = {
        "latestModelApplied": instance.latest_model_applied,
        "vmId": vm_id,
        "provisioningState": instance.provisioning_state,
        "timeCreated": instance.created_at.isoformat(),
        "protectionPolicy": {
            "protectFromScaleIn": instance.protect_from_scale_in,
            "protectFromScaleSetActions": instance.protect_from_scale_set_actions,
        },
        "osProfile": {"computerName": instance.name, "adminUsername": model.profile.osProfile.adminUsername},
        "storageProfile": {
            "imageReference": _image_reference(model, instance),
            "osDisk": {
                "osType": storage.osDisk.osType,
                "name": f"{key.name}_{instance.instance_id}_OsDisk",
                "createOption": "FromImage",
                "caching": storage.osDisk.caching,
                "managedDisk": _managed(storage.osDisk.managedDisk.storageAccountType),
            },
            "dataDisks": [
                {
                    "lun": lun,
                    "name": f"{key.name}_{instance.instance_id}_disk{lun}",
                    "diskSizeGB": size,
                    "createOption": "Empty",
                    "caching": disks[lun].caching if lun in disks else "None",
                    "managedDisk": _managed(
                        disks[lun].managedDisk.storageAccountType if lun in disks else "Standard_LRS"
                    ),
                }
                for lun, size in sorted(instance.data_disks.items())
            ],
        },
    }
    if expand_instance_view:
        properties["instanceView"] = instance_view(instance)
    body: JsonObject = {
        "id": f"{key.resource_id}/virtualMachines/{instance.instance_id}",
        "name": f"{key.name}_{instance.instance_id}",
        "type": VM_TYPE,
        "location": model.location,
        "instanceId": instance.instance_id,
        "sku": {"name": model.sku_name, "tier": model.sku_tier},
        "properties": properties,
    }
    if instance.zone is not None:
        body["zones"] = [instance.zone]
    return body
