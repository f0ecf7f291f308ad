"""Parts of ``virtualMachineProfile`` beyond the OS, storage, network and extension profiles:
security (Trusted Launch, confidential VMs, encryption at host), boot diagnostics, Spot billing,
scheduled events, capacity reservations, gallery applications, hardware tuning.

All optional and left out of dumps while unset (see ``api/base.optional``). Changing any of them
changes the instance model: instances become stale and follow the upgrade policy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scaleset_operator.api.base import ApiModel, cel, optional, optional_list, with_rules
from scaleset_operator.api.common import ApiEntityReference, SubResource
from scaleset_operator.api.durations import Duration


class UefiSettings(ApiModel):
    secureBootEnabled: bool | None = optional()
    vTpmEnabled: bool | None = optional()


class EncryptionIdentity(ApiModel):
    userAssignedIdentityResourceId: str | None = optional()


class HostEndpointSettings(ApiModel):
    mode: Literal["Audit", "Enforce", "Disabled"] | None = optional()
    inVMAccessControlProfileReferenceId: str | None = optional()
    useLocalFileRules: bool | None = optional()


class ProxyAgentSettings(ApiModel):
    enabled: bool | None = optional()
    mode: Literal["Audit", "Enforce"] | None = optional()
    keyIncarnationId: int | None = optional()
    wireServer: HostEndpointSettings | None = optional()
    imds: HostEndpointSettings | None = optional()
    addProxyAgentExtension: bool | None = optional()


class SecurityProfile(ApiModel):
    """Trusted Launch (securityType TrustedLaunch + uefiSettings), confidential VMs (ConfidentialVM,
    with osDisk.managedDisk.securityProfile), encryption at host."""

    uefiSettings: UefiSettings | None = optional()
    encryptionAtHost: bool | None = optional(description="Encrypt temp disks and caches at the host.")
    securityType: Literal["Standard", "TrustedLaunch", "ConfidentialVM"] | None = optional(
        description="Cannot change to or from ConfidentialVM."
    )
    encryptionIdentity: EncryptionIdentity | None = optional()
    proxyAgentSettings: ProxyAgentSettings | None = optional()


class BootDiagnostics(ApiModel):
    enabled: bool | None = optional()
    storageUri: str | None = optional(description="Storage account blob endpoint; unset means managed storage.")


class DiagnosticsProfile(ApiModel):
    bootDiagnostics: BootDiagnostics | None = optional()


class BillingProfile(ApiModel):
    maxPrice: float | None = optional(ge=-1, description="Max Spot price in US dollars; -1: up to the on-demand price.")

    @model_validator(mode="after")
    def _price(self) -> BillingProfile:
        if self.maxPrice is not None and -1 < self.maxPrice <= 0:
            raise ValueError("billingProfile.maxPrice must be -1 or greater than 0")
        return self


class TerminateNotificationProfile(ApiModel):
    enable: bool | None = optional()
    notBeforeTimeout: Duration | None = optional(description="PT5M-PT15M.")


class OSImageNotificationProfile(ApiModel):
    enable: bool | None = optional()
    notBeforeTimeout: Duration | None = optional(description="PT15M.")


class ScheduledEventsProfile(ApiModel):
    terminateNotificationProfile: TerminateNotificationProfile | None = optional()
    osImageNotificationProfile: OSImageNotificationProfile | None = optional()


class CapacityReservationProfile(ApiModel):
    capacityReservationGroup: SubResource | None = optional()
    disableCapacityReservationAssignment: bool | None = optional()


class InterconnectBlockProfile(ApiModel):
    interconnectBlock: ApiEntityReference | None = optional()


class VMGalleryApplication(ApiModel):
    packageReferenceId: str = Field(min_length=1, description="Gallery application version ID.")
    tags: str | None = optional()
    order: int | None = optional(ge=0)
    configurationReference: str | None = optional()
    treatFailureAsDeploymentFailure: bool | None = optional()
    enableAutomaticUpgrade: bool | None = optional()


class ApplicationProfile(ApiModel):
    galleryApplications: list[VMGalleryApplication] = optional_list(
        max_length=100,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["packageReferenceId"]},
    )


class VMSizeProperties(ApiModel):
    vCPUsAvailable: int | None = optional(ge=1)
    vCPUsPerCore: int | None = optional(ge=1)


class HardwareProfile(ApiModel):
    vmSizeProperties: VMSizeProperties | None = optional()
    processorMode: Literal["Deterministic", "Opportunistic"] | None = optional()


class ServiceArtifactReference(ApiModel):
    id: str | None = optional()


class SecurityPostureReference(ApiModel):
    id: str = Field(min_length=1)
    excludeExtensions: list[str] = optional_list()
    isOverridable: bool | None = optional()


_CONFIDENTIAL = (
    "has({0}.securityProfile) && has({0}.securityProfile.securityType)"
    " && {0}.securityProfile.securityType == 'ConfidentialVM'"
)

PROFILE_RULES = with_rules(
    cel(
        "!has(self.evictionPolicy) || self.priority != 'Regular'",
        "evictionPolicy needs priority Spot or Low",
        field_path=".evictionPolicy",
    ),
    cel(
        "!has(self.billingProfile) || self.priority != 'Regular'",
        "billingProfile needs priority Spot or Low",
        field_path=".billingProfile",
    ),
    cel(
        "!has(self.userData) || !has(self.userDataSecretRef)",
        "set userData or userDataSecretRef, not both",
        field_path=".userDataSecretRef",
    ),
    cel(
        f"({_CONFIDENTIAL.format('self')}) == ({_CONFIDENTIAL.format('oldSelf')})",
        "securityProfile.securityType cannot change to or from ConfidentialVM",
        field_path=".securityProfile",
    ),
    cel(
        "has(self.evictionPolicy) == has(oldSelf.evictionPolicy)"
        " && (!has(self.evictionPolicy) || self.evictionPolicy == oldSelf.evictionPolicy)",
        "evictionPolicy cannot change after creation",
        field_path=".evictionPolicy",
    ),
)
"""The object-level rules of ``VirtualMachineProfile`` over the fields of this module."""
