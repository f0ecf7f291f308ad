"""SDK scale set + VM list (instance view expanded) -> ``ObservedScaleSet``.

A Uniform observation is exactly two calls: the scale set GET and the scale set's VM list with
``$expand=instanceView``. A Flexible one is three (``observe_flexible``): the scale set GET, the
virtual machine list filtered to the scale set (``$filter='virtualMachineScaleSet/id' eq '...'``,
``$expand=instanceView``), where each VM's name is its instance ID, and the scale set's own VM list
(no instance view), because a standalone VM resource says neither whether it runs the scale set's
latest model nor how it is protected. Everything per instance comes from those lists, never from
per-VM GETs:

- image actually on the OS disk: ``storageProfile.imageReference.exactVersion`` (the model says
  'latest'; the VM says which version it got), gallery images reduced to their definition ID;
- data disks: ``storageProfile.dataDisks[].diskSizeGB`` of the VM (the real disks, which keep their
  old size after a model change until reimage-all);
- provisioning and power state: the instance view's ``ProvisioningState/*`` and ``PowerState/*``
  statuses (falling back to ``properties.provisioningState``);
- health: ``instanceView.vmHealth.status.code`` (``HealthState/healthy`` ...), which Azure fills in
  only when the scale set has a health probe or the Application Health extension; without one the
  health is ``Unknown``, which the planner treats as unhealthy (as Azure's rolling upgrade does);
- ``latestModelApplied`` and the protection policy as Azure reports them;
- why the last operation failed: the ``ProvisioningState/failed/<code>`` status's code and message;
- planned maintenance: the instance view's ``maintenanceRedeployStatus`` (present only when planned);
- priority (Regular/Spot): the VM's own for Flexible, the scale set model's for Uniform.

The OS profile fingerprint is None: Azure never returns the password or custom data, so it cannot
tell which OS profile an instance was built with; the planner then reports no OS profile drift.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from azure.mgmt.compute import models as sdk
from azure.mgmt.compute._utils.model_base import SdkJSONEncoder

from scaleset_operator.cloud.desired import HASH_SCHEME_TAG, MODEL_HASH_TAG, SETTINGS_HASH_TAG
from scaleset_operator.cloud.observed import (
    HealthState,
    InstanceError,
    MaintenanceStatus,
    ObservedImage,
    ObservedInstance,
    ObservedScaleSet,
    PowerState,
    ProvisioningState,
    instance_order,
)
from scaleset_operator.cloud.wire import ShapeError, from_arm, observed_model

log = logging.getLogger(__name__)

UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""``created_at`` when Azure does not report ``timeCreated`` (only the OldestVM/NewestVM order uses it)."""

_PROVISIONING: dict[str, ProvisioningState] = {
    "creating": "Creating",
    "updating": "Updating",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "deleting": "Deleting",
    "canceled": "Failed",
    "migrating": "Updating",
}
_POWER: dict[str, PowerState] = {
    "starting": "starting",
    "running": "running",
    "stopping": "stopping",
    "stopped": "stopped",
    "deallocating": "stopping",
    "deallocated": "deallocated",
}
_HEALTH: dict[str, HealthState] = {
    "healthy": "Healthy",
    "unhealthy": "Unhealthy",
    "initializing": "Initializing",
    "unknown": "Unknown",
}


def provisioning_state(value: str | None, default: ProvisioningState = "Updating") -> ProvisioningState:
    """Azure's provisioning state names (any case); an unfamiliar one counts as busy."""
    if value is None:
        return default
    return _PROVISIONING.get(value.lower(), default)


def is_flexible(vmss: sdk.VirtualMachineScaleSet) -> bool:
    mode = vmss.properties.orchestration_mode if vmss.properties is not None else None
    return mode is not None and str(getattr(mode, "value", mode)).lower() == "flexible"  # an enum or a str


def observe_scale_set(
    vmss: sdk.VirtualMachineScaleSet, vms: Iterable[sdk.VirtualMachineScaleSetVM]
) -> ObservedScaleSet:
    priority = _priority(vmss)
    return _scale_set(
        vmss,
        tuple(sorted((observe_instance(vm, priority) for vm in vms), key=lambda i: instance_order(i.instance_id))),
    )


def _priority(vmss: sdk.VirtualMachineScaleSet) -> str | None:
    """A Uniform scale set's instances all have its model's priority (Regular unless set)."""
    profile = vmss.properties.virtual_machine_profile if vmss.properties is not None else None
    return _enum(profile.priority if profile is not None else None) or "Regular"


def _enum(value: object) -> str | None:
    """An SDK enum member or the plain string Azure sent."""
    return str(getattr(value, "value", value)) if value is not None else None


def observe_flexible(
    vmss: sdk.VirtualMachineScaleSet,
    vms: Iterable[sdk.VirtualMachine],
    scale_set_vms: Iterable[sdk.VirtualMachineScaleSetVM],
) -> ObservedScaleSet:
    """``vms``: the scale set's virtual machines (instance views expanded); ``scale_set_vms``: the same
    VMs as the scale set sees them (``latestModelApplied``, ``protectionPolicy``). Instances are in
    creation order (names carry no order)."""
    views = {(vm.instance_id or vm.name or "").lower(): vm.properties for vm in scale_set_vms}
    instances = [observe_vm(vm, views.get((vm.name or "").lower())) for vm in vms]
    return _scale_set(vmss, tuple(sorted(instances, key=lambda i: (i.created_at, i.instance_id))))


def _scale_set(vmss: sdk.VirtualMachineScaleSet, instances: tuple[ObservedInstance, ...]) -> ObservedScaleSet:
    tags = vmss.tags or {}
    props = vmss.properties
    return ObservedScaleSet(
        name=vmss.name or "",
        location=vmss.location,
        capacity=int(vmss.sku.capacity or 0) if vmss.sku is not None else 0,
        model_hash=tags.get(MODEL_HASH_TAG),
        settings_hash=tags.get(SETTINGS_HASH_TAG),
        provisioning_state=provisioning_state(props.provisioning_state if props else None, "Succeeded"),
        instances=instances,
        etag=vmss.etag,
        hash_scheme=tags.get(HASH_SCHEME_TAG),
        orchestration_mode="Flexible" if is_flexible(vmss) else "Uniform",
        model=model_of(vmss),
    )


def _body(vmss: sdk.VirtualMachineScaleSet) -> dict[str, Any]:
    """The resource as Azure's JSON, without what only the server writes."""
    body: dict[str, Any] = json.loads(json.dumps(vmss, cls=SdkJSONEncoder, exclude_readonly=True))
    return body


def model_of(vmss: sdk.VirtualMachineScaleSet) -> dict[str, Any] | None:
    """The model the scale set holds, shaped like the spec (``cloud/wire.observed_model``); None if
    Azure's JSON is not in the documented shape."""
    try:
        return observed_model(_body(vmss))
    except ShapeError as exc:  # not the shape Azure documents: compare hashes only
        log.warning("scale set %s: its model cannot be read (%s); drift is judged from the hash tags", vmss.name, exc)
        return None


def scale_set_model(vmss: sdk.VirtualMachineScaleSet) -> dict[str, Any]:
    """The scale set model Azure holds, shaped like ``ScaleSet.spec`` (Azure's names, only what the
    API model has; no secrets: Azure returns none). For comparisons with the desired model."""
    return from_arm(_body(vmss))[0]


def observe_vm(
    vm: sdk.VirtualMachine, scale_set_view: sdk.VirtualMachineScaleSetVMProperties | None
) -> ObservedInstance:
    """A Flexible scale set's VM: its name is the instance ID; no update domains. Whether it runs the
    latest model and its protection policy come from the scale set's view of it (``scale_set_view``;
    None: a VM the scale set does not list, counted as up to date and unprotected)."""
    props = vm.properties or sdk.VirtualMachineProperties()
    view = props.instance_view or sdk.VirtualMachineInstanceView()
    fault_domain = view.platform_fault_domain if view.platform_fault_domain is not None else props.platform_fault_domain
    return _instance(
        vm.name or "",
        vm,
        props,
        view,
        fault_domain=fault_domain,
        latest_model_applied=scale_set_view is None or scale_set_view.latest_model_applied is not False,
        protection=scale_set_view.protection_policy if scale_set_view is not None else None,
        priority=_enum(props.priority),
    )


def observe_instance(vm: sdk.VirtualMachineScaleSetVM, priority: str | None = None) -> ObservedInstance:
    props = vm.properties or sdk.VirtualMachineScaleSetVMProperties()
    view = props.instance_view or sdk.VirtualMachineScaleSetVMInstanceView()
    return _instance(
        vm.instance_id or (vm.name or "").rsplit("_", 1)[-1],
        vm,
        props,
        view,
        fault_domain=view.platform_fault_domain,
        latest_model_applied=bool(props.latest_model_applied),
        protection=props.protection_policy,
        priority=priority,
    )


def _instance(
    instance_id: str,
    vm: sdk.VirtualMachine | sdk.VirtualMachineScaleSetVM,
    props: sdk.VirtualMachineProperties | sdk.VirtualMachineScaleSetVMProperties,
    view: sdk.VirtualMachineInstanceView | sdk.VirtualMachineScaleSetVMInstanceView,
    *,
    fault_domain: int | None,
    latest_model_applied: bool,
    protection: sdk.VirtualMachineScaleSetVMProtectionPolicy | None,
    priority: str | None,
) -> ObservedInstance:
    """One instance from what a Flexible VM and a Uniform scale set VM both carry (the same names in
    both SDK models: instance view, storage profile, protection policy)."""
    provisioning, power = _states(view.statuses or [], props.provisioning_state)
    computer_name = view.computer_name or (props.os_profile.computer_name if props.os_profile else None)
    return ObservedInstance(
        instance_id=instance_id,
        name=computer_name or vm.name or instance_id,
        zone=vm.zones[0] if vm.zones else None,
        fault_domain=int(fault_domain or 0),
        update_domain=int(view.platform_update_domain or 0),
        latest_model_applied=latest_model_applied,
        image=observed_image(props.storage_profile),
        data_disks=_data_disks(props.storage_profile),
        os_profile_fingerprint=None,
        provisioning_state=provisioning,
        power_state=power,
        health_state=health_state(view.vm_health),
        created_at=props.time_created or UNKNOWN_TIME,
        protect_from_scale_in=bool(protection.protect_from_scale_in) if protection else False,
        protect_from_scale_set_actions=bool(protection.protect_from_scale_set_actions) if protection else False,
        last_error=_error(view.statuses or []) if provisioning == "Failed" else None,
        maintenance=maintenance(view.maintenance_redeploy_status),
        priority=priority,
    )


def maintenance(status: sdk.MaintenanceRedeployStatus | None) -> MaintenanceStatus | None:
    """Azure's ``maintenanceRedeployStatus`` (None when no maintenance is planned)."""
    if status is None:
        return None
    code = status.last_operation_result_code
    return MaintenanceStatus(
        allowed=bool(status.is_customer_initiated_maintenance_allowed),
        window_start=status.pre_maintenance_window_start_time,
        window_end=status.pre_maintenance_window_end_time,
        last_result=_enum(code),
    )


def _states(statuses: Iterable[sdk.InstanceViewStatus], fallback: str | None) -> tuple[ProvisioningState, PowerState]:
    provisioning: ProvisioningState | None = None
    power: PowerState = "running"
    for status in statuses:
        kind, _, value = (status.code or "").partition("/")
        if kind == "ProvisioningState":
            # "ProvisioningState/failed/<error code>" keeps only the state here (see ``_error``).
            provisioning = provisioning_state(value.split("/", 1)[0])
        elif kind == "PowerState":
            power = _POWER.get(value.lower(), "running")
    return provisioning or provisioning_state(fallback, "Succeeded"), power


def _error(statuses: Iterable[sdk.InstanceViewStatus]) -> InstanceError | None:
    """Azure's reason a VM operation failed: ``ProvisioningState/failed/<code>`` and its message."""
    for status in statuses:
        kind, _, value = (status.code or "").partition("/")
        state, _, code = value.partition("/")
        if kind == "ProvisioningState" and state.lower() == "failed":
            return InstanceError(
                code=code or "ProvisioningFailed", message=status.message or status.display_status or ""
            )
    return None


def health_state(health: sdk.VirtualMachineHealthStatus | None) -> HealthState:
    code = health.status.code if health is not None and health.status is not None else None
    if not code:
        return "Unknown"
    return _HEALTH.get(code.partition("/")[2].lower(), "Unknown")


def observed_image(storage: sdk.StorageProfile | None) -> ObservedImage:
    ref = storage.image_reference if storage is not None else None
    if ref is None:
        return ObservedImage(version="unknown")
    gallery_id = ref.id or ref.shared_gallery_image_id or ref.community_gallery_image_id
    version = ref.exact_version
    if gallery_id and "/versions/" in gallery_id:
        gallery_id, _, pinned = gallery_id.partition("/versions/")
        version = version or pinned
    if version is None and ref.version and ref.version != "latest":
        version = ref.version
    if gallery_id:
        return ObservedImage(version=version or "unknown", gallery_image_id=gallery_id)
    return ObservedImage(version=version or "unknown", publisher=ref.publisher, offer=ref.offer, sku=ref.sku)


def _data_disks(storage: sdk.StorageProfile | None) -> dict[int, int]:
    if storage is None or not storage.data_disks:
        return {}
    return {int(d.lun): int(d.disk_size_gb or 0) for d in storage.data_disks}
