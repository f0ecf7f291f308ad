"""Drift: what differs between an instance and the model, typed, with the fix each difference needs.

Azure's ``latestModelApplied`` is not the whole truth: OS profile changes reach only new or
reimaged instances, and a data disk resize leaves the provisioned disk at its old size until a
reimage-all. Decisions (the ``ReimageRequired`` condition, the opt-in reimage-all rollout) use the
``Drift`` kinds and their ``Fix``; the human-readable ``differsFromModel`` lines in status are
rendered from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.observed import ObservedInstance


class Fix(StrEnum):
    """The instance action that removes a difference (Azure's names)."""

    UPGRADE = "UpgradeInstances"
    REIMAGE = "Reimage"
    REIMAGE_ALL = "ReimageAll"


class Drift(StrEnum):
    MODEL = "model"
    """``latestModelApplied`` is false: any model change (SKU, extensions, network, image reference ...)."""
    IMAGE = "image"
    """The OS disk runs another image version than the model asks for."""
    DATA_DISK_SIZE = "dataDiskSize"
    """A provisioned data disk has another size than the model (only a reimage-all resizes it)."""
    DATA_DISK_MISSING = "dataDiskMissing"
    DATA_DISK_EXTRA = "dataDiskExtra"
    OS_PROFILE = "osProfile"
    """The OS profile changed since the instance was built (reaches only new or reimaged instances)."""


@dataclass(frozen=True)
class Difference:
    kind: Drift
    fix: Fix
    have: str | None = None
    want: str | None = None
    lun: int | None = None

    def render(self) -> str:
        """The ``differsFromModel`` line, e.g. ``dataDisks[lun=0].diskSizeGB: 32 != 64 (needs ReimageAll)``."""
        needs = f"(needs {self.fix})"
        match self.kind:
            case Drift.MODEL:
                return f"model: latestModelApplied is false {needs}"
            case Drift.IMAGE:
                return f"image: {self.have} != {self.want} {needs}"
            case Drift.DATA_DISK_SIZE:
                return f"dataDisks[lun={self.lun}].diskSizeGB: {self.have} != {self.want} {needs}"
            case Drift.DATA_DISK_MISSING:
                return f"dataDisks[lun={self.lun}]: missing {needs}"
            case Drift.DATA_DISK_EXTRA:
                return f"dataDisks[lun={self.lun}]: not in the model {needs}"
            case _:
                return f"osProfile: changed since the instance was built {needs}"


def expected_image_version(desired: DesiredModel, latest: str | None) -> str | None:
    pinned = desired.image.pinned_version
    return pinned if pinned is not None else latest


def differences(instance: ObservedInstance, desired: DesiredModel, latest: str | None) -> list[Difference]:
    diffs: list[Difference] = []
    applied = instance.latest_model_applied
    if not applied:
        diffs.append(Difference(Drift.MODEL, Fix.UPGRADE))
    want_image = expected_image_version(desired, latest)
    if applied and want_image and instance.image.version != want_image:
        fix = Fix.REIMAGE if desired.image.wants_latest else Fix.UPGRADE
        diffs.append(Difference(Drift.IMAGE, fix, have=instance.image.version, want=want_image))
    diffs.extend(_disk_differences(instance, desired))
    fingerprint = instance.os_profile_fingerprint
    if fingerprint is not None and fingerprint != desired.os_profile_fingerprint():
        diffs.append(Difference(Drift.OS_PROFILE, Fix.REIMAGE))
    return diffs


def _disk_differences(instance: ObservedInstance, desired: DesiredModel) -> list[Difference]:
    wanted = desired.data_disk_sizes()
    diffs: list[Difference] = []
    for lun in sorted(set(wanted) | set(instance.data_disks)):
        have, want = instance.data_disks.get(lun), wanted.get(lun)
        if have is not None and want is not None and have != want:
            diffs.append(Difference(Drift.DATA_DISK_SIZE, Fix.REIMAGE_ALL, have=str(have), want=str(want), lun=lun))
        elif instance.latest_model_applied and have is None and want is not None:
            diffs.append(Difference(Drift.DATA_DISK_MISSING, Fix.UPGRADE, lun=lun))
        elif instance.latest_model_applied and want is None and have is not None:
            diffs.append(Difference(Drift.DATA_DISK_EXTRA, Fix.UPGRADE, lun=lun))
    return diffs


def needs_reimage(diffs: list[Difference]) -> bool:
    """Differences that no upgrade can fix: only a reimage (or reimage-all) can."""
    return any(d.fix in (Fix.REIMAGE, Fix.REIMAGE_ALL) for d in diffs)


def needs_reimage_all(diffs: list[Difference]) -> bool:
    return any(d.fix is Fix.REIMAGE_ALL for d in diffs)
