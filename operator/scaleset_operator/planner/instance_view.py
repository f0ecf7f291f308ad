"""The per-instance view in status, and what still differs from the model (drift).

Azure's ``latestModelApplied`` is not the whole truth: OS profile changes reach only new or
reimaged instances, and a data disk resize leaves the provisioned disk at its old size until a
reimage-all. Each instance therefore lists every remaining difference with the action that fixes it.
"""

from __future__ import annotations

from scaleset_operator.api.status import DataDiskStatus, InstanceStatus
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.timefmt import fmt

NEEDS_UPGRADE = "needs UpgradeInstances"
NEEDS_REIMAGE = "needs Reimage"
NEEDS_REIMAGE_ALL = "needs ReimageAll"


def expected_image_version(desired: DesiredModel, latest: str | None) -> str | None:
    pinned = desired.image.pinned_version
    return pinned if pinned is not None else latest


def differences(instance: ObservedInstance, desired: DesiredModel, latest: str | None) -> list[str]:
    diffs: list[str] = []
    if not instance.latest_model_applied:
        diffs.append(f"model: latestModelApplied is false ({NEEDS_UPGRADE})")
    want_image = expected_image_version(desired, latest)
    if instance.latest_model_applied and want_image and instance.image.version != want_image:
        how = NEEDS_REIMAGE if desired.image.wants_latest else NEEDS_UPGRADE
        diffs.append(f"image: {instance.image.version} != {want_image} ({how})")
    wanted_disks = desired.data_disk_sizes()
    for lun in sorted(set(wanted_disks) | set(instance.data_disks)):
        have, want = instance.data_disks.get(lun), wanted_disks.get(lun)
        if have is not None and want is not None and have != want:
            diffs.append(f"dataDisks[lun={lun}].diskSizeGB: {have} != {want} ({NEEDS_REIMAGE_ALL})")
        elif instance.latest_model_applied and have is None and want is not None:
            diffs.append(f"dataDisks[lun={lun}]: missing ({NEEDS_UPGRADE})")
        elif instance.latest_model_applied and want is None and have is not None:
            diffs.append(f"dataDisks[lun={lun}]: not in the model ({NEEDS_UPGRADE})")
    fingerprint = desired.os_profile_fingerprint()
    if instance.os_profile_fingerprint is not None and instance.os_profile_fingerprint != fingerprint:
        diffs.append(f"osProfile: changed since the instance was built ({NEEDS_REIMAGE})")
    return diffs


def needs_reimage(diffs: list[str]) -> bool:
    """Differences that no upgrade can fix: only a reimage (or reimage-all) can."""
    return any(NEEDS_REIMAGE in d or NEEDS_REIMAGE_ALL in d for d in diffs)


def needs_reimage_all(diffs: list[str]) -> bool:
    return any(NEEDS_REIMAGE_ALL in d for d in diffs)


def instance_status(instance: ObservedInstance, desired: DesiredModel, latest: str | None) -> InstanceStatus:
    return InstanceStatus(
        instanceId=instance.instance_id,
        name=instance.name,
        zone=instance.zone,
        faultDomain=instance.fault_domain,
        updateDomain=instance.update_domain,
        latestModelApplied=instance.latest_model_applied,
        imageVersion=instance.image.version,
        provisioningState=instance.provisioning_state,
        powerState=instance.power_state,
        healthState=instance.health_state,
        dataDisks=[DataDiskStatus(lun=lun, diskSizeGB=size) for lun, size in sorted(instance.data_disks.items())],
        protectFromScaleIn=instance.protect_from_scale_in,
        protectFromScaleSetActions=instance.protect_from_scale_set_actions,
        lastUpgradeTime=fmt(instance.last_model_update) if instance.last_model_update else None,
        differsFromModel=differences(instance, desired, latest),
    )
