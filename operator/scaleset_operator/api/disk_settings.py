"""Managed disk settings beyond size and storage type: ephemeral OS disks, customer-managed key
encryption, confidential disk encryption, per-disk performance properties.

All optional and left out of dumps while unset (see ``api/base.optional``).
"""

from __future__ import annotations

from typing import Literal

from scaleset_operator.api.base import ApiModel, optional

DeleteOption = Literal["Delete", "Detach"]
StorageFaultDomainAlignment = Literal["Aligned", "BestEffortAligned"]


class DiffDiskSettings(ApiModel):
    """Ephemeral OS disk: the OS disk lives on the VM's local storage (fixed at creation)."""

    option: Literal["Local"] = "Local"
    placement: Literal["CacheDisk", "ResourceDisk", "NvmeDisk"] | None = optional()
    enableFullCaching: bool | None = optional()


class DiskEncryptionSetParameters(ApiModel):
    id: str | None = optional(description="Disk encryption set ID (customer-managed keys).")


class VMDiskSecurityProfile(ApiModel):
    """Confidential VM disk encryption (with securityProfile.securityType ConfidentialVM)."""

    securityEncryptionType: Literal["VMGuestStateOnly", "DiskWithVMGuestState", "NonPersistedTPM"] | None = optional()
    diskEncryptionSet: DiskEncryptionSetParameters | None = optional()


class DiskAvailabilityPolicy(ApiModel):
    actionOnDiskDelay: Literal["None", "AutomaticReattach"] | None = optional()


class VirtualMachineDiskProperties(ApiModel):
    tier: str | None = optional(description="Performance tier, e.g. P30.")
    burstingEnabled: bool | None = optional()
    performancePlus: bool | None = optional()
    optimizedForFrequentAttach: bool | None = optional()
    availabilityPolicy: DiskAvailabilityPolicy | None = optional()
    maxShares: int | None = optional(ge=1)
    networkAccessPolicy: Literal["AllowAll", "AllowPrivate", "DenyAll"] | None = optional()
    diskAccessId: str | None = optional()
    diskIOPSReadOnly: int | None = optional(ge=0)
    diskMBpsReadOnly: int | None = optional(ge=0)
    logicalSectorSize: int | None = optional()


class AdditionalDiskProperties(ApiModel):
    managedDiskProperties: VirtualMachineDiskProperties | None = optional()
