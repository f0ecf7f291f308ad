"""The ``ScaleSet`` resource: the desired scale set model, with Azure's field names and defaults.

Everything under ``spec`` except ``deletionPolicy``, ``paused``, ``rolloutPolicy`` and
``capacityOwner`` mirrors the Azure ``Microsoft.Compute/virtualMachineScaleSets`` REST model, so
Azure documentation applies. Those four are the operator's own knobs; ``autoscale`` mirrors
``Microsoft.Insights/autoscaleSettings`` (``api/autoscale.py``). Secrets are never inline: the
admin password comes from a Kubernetes Secret through ``osProfile.adminPasswordSecretRef``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from scaleset_operator.api.autoscale import (
    CAPACITY_OWNER_DESCRIPTION,
    CAPACITY_OWNER_RULES,
    AutoscaleSettings,
    CapacityOwner,
    check_capacity_owner,
)
from scaleset_operator.api.base import (
    ApiModel,
    JsonDict,
    cel,
    defaulted,
    field_rules,
    optional,
    optional_list,
    optional_map,
    pattern_message,
    with_rules,
)
from scaleset_operator.api.common import (
    ApiEntityReference,
    KeyVaultSecretReference,
    SecretKeyRef,
    SubResource,
)
from scaleset_operator.api.disk_settings import (
    AdditionalDiskProperties,
    DeleteOption,
    DiffDiskSettings,
    DiskEncryptionSetParameters,
    StorageFaultDomainAlignment,
    VMDiskSecurityProfile,
)
from scaleset_operator.api.durations import Duration, cel_at_least, parse_duration
from scaleset_operator.api.network_settings import (
    InterconnectGroupProfile,
    IpTag,
    NetworkConfigurationDnsSettings,
    PublicIPAddressDnsSettings,
    PublicIPAddressSku,
)
from scaleset_operator.api.os_settings import (
    AdditionalUnattendContent,
    LinuxPatchSettings,
    VaultSecretGroup,
    WindowsPatchSettings,
    WinRMConfiguration,
)
from scaleset_operator.api.scale_set_properties import ScaleSetProperties
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.api.vm_profile import (
    PROFILE_RULES,
    ApplicationProfile,
    BillingProfile,
    CapacityReservationProfile,
    DiagnosticsProfile,
    HardwareProfile,
    InterconnectBlockProfile,
    ScheduledEventsProfile,
    SecurityPostureReference,
    SecurityProfile,
    ServiceArtifactReference,
)

KIND = "ScaleSet"
PLURAL = "scalesets"

UpgradeMode = Literal["Automatic", "Rolling", "Manual"]
OrchestrationMode = Literal["Uniform", "Flexible"]
ScaleInRule = Literal["Default", "OldestVM", "NewestVM"]
Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

IMMUTABLE = "self == oldSelf"


class AzureCoordinates(ApiModel):
    """Where the scale set lives in Azure. The simulator keys scale sets on the same triple."""

    subscriptionId: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        max_length=36,
        description="Azure subscription ID (a GUID).",
        json_schema_extra=pattern_message(
            "must be a subscription ID: a GUID such as 00000000-0000-0000-0000-000000000000"
        ),
    )
    resourceGroup: str = Field(
        min_length=1,
        max_length=90,
        pattern=r"^[-\w\._\(\)]+$",
        description="Resource group name.",
        json_schema_extra=pattern_message("may contain only letters, digits, '_', '.', '-', '(' and ')'"),
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$",
        description="Scale set name in Azure. Defaults to metadata.name.",
        json_schema_extra=pattern_message(
            "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'"
        ),
    )


class Sku(ApiModel):
    name: str = Field(min_length=1, description="VM size, e.g. Standard_D2s_v5.")
    tier: str = Field(default="Standard", description="Standard or Basic.")
    capacity: int = Field(ge=0, le=1000, description="Number of instances (0-1000).")


def _default_scale_in_rules() -> list[ScaleInRule]:
    return ["Default"]


class ScaleInPolicy(ApiModel):
    rules: list[ScaleInRule] = Field(
        default_factory=_default_scale_in_rules,
        max_length=1,
        description=(
            "Default: balance across zones and fault domains, then remove the highest instance IDs; "
            "NewestVM / OldestVM: remove by creation time (still balancing across zones)."
        ),
    )
    forceDeletion: bool = False
    prioritizeUnhealthyVMs: bool | None = optional(description="Remove unhealthy instances first.")


class RollingUpgradePolicy(ApiModel):
    """Azure's RollingUpgradePolicy; also used by automatic OS upgrades when
    ``useRollingUpgradePolicy`` is true."""

    maxBatchInstancePercent: int = Field(default=20, ge=5, le=100)
    maxUnhealthyInstancePercent: int = Field(
        default=20, ge=5, le=100, description="Checked before each batch over all instances."
    )
    maxUnhealthyUpgradedInstancePercent: int = Field(
        default=20, ge=0, le=100, description="Checked after each batch over the upgraded instances."
    )
    pauseTimeBetweenBatches: Duration = "PT0S"
    enableCrossZoneUpgrade: bool = False
    prioritizeUnhealthyInstances: bool = False
    rollbackFailedInstancesOnPolicyBreach: bool = False
    maxSurge: bool = Field(
        default=False,
        description="Create new instances with the new model per batch and delete the old batch "
        "once the new one is healthy, instead of upgrading in place.",
    )


class AutomaticOSUpgradePolicy(ApiModel):
    enableAutomaticOSUpgrade: bool = False
    disableAutomaticRollback: bool = False
    useRollingUpgradePolicy: bool = False


class UpgradePolicy(ApiModel):
    mode: UpgradeMode = Field(default="Manual", description="Automatic, Rolling or Manual (Azure's default).")
    rollingUpgradePolicy: RollingUpgradePolicy = Field(default_factory=RollingUpgradePolicy)
    automaticOSUpgradePolicy: AutomaticOSUpgradePolicy = Field(default_factory=AutomaticOSUpgradePolicy)


class ImageReference(ApiModel):
    """A platform image (publisher/offer/sku/version) or a gallery image (``id``).

    For a gallery image, an ``id`` ending in ``/images/NAME`` means the latest version replicated
    to the scale set's region; ``/images/NAME/versions/X.Y.Z`` pins one.
    """

    model_config = with_rules(
        cel(
            "has(self.id) != (has(self.publisher) || has(self.offer) || has(self.sku))",
            "set either id (gallery image) or publisher, offer and sku (platform image)",
        ),
        cel(
            "has(self.id) || (has(self.publisher) && has(self.offer) && has(self.sku))",
            "a platform image needs publisher, offer and sku",
        ),
        cel(
            "!has(oldSelf.publisher) || (has(self.publisher) && self.publisher == oldSelf.publisher)",
            "imageReference.publisher cannot change on an existing scale set",
            field_path=".publisher",
        ),
        cel(
            "!has(oldSelf.offer) || (has(self.offer) && self.offer == oldSelf.offer)",
            "imageReference.offer cannot change on an existing scale set",
            field_path=".offer",
        ),
    )

    publisher: str | None = Field(default=None, min_length=1)
    offer: str | None = Field(default=None, min_length=1)
    sku: str | None = Field(default=None, min_length=1)
    version: str = Field(
        default="latest",
        pattern=r"^(latest|\d+\.\d+\.\d+)$",
        max_length=64,
        json_schema_extra=pattern_message("must be 'latest' or a version such as 2024.01.15"),
        description="'latest' or a version such as 2024.01.15 (required 'latest' for automatic OS upgrades).",
    )
    id: str | None = Field(
        default=None,
        pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+"
        r"/images/[^/]+(/versions/\d+\.\d+\.\d+)?$",
        max_length=1024,
        description="Gallery image ID; ends in /images/NAME for the latest version.",
        json_schema_extra=pattern_message(
            "must be a gallery image ID: /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute"
            "/galleries/GALLERY/images/IMAGE, optionally followed by /versions/X.Y.Z"
        ),
    )

    @model_validator(mode="after")
    def _one_form(self) -> ImageReference:
        platform = (self.publisher, self.offer, self.sku)
        if self.id is not None and any(platform):
            raise ValueError("set either id (gallery image) or publisher, offer and sku (platform image)")
        if self.id is None and not all(platform):
            raise ValueError("a platform image needs publisher, offer and sku")
        return self

    @property
    def is_gallery(self) -> bool:
        return self.id is not None

    @property
    def wants_latest(self) -> bool:
        if self.id is not None:
            return "/versions/" not in self.id
        return self.version == "latest"

    @property
    def pinned_version(self) -> str | None:
        if self.id is not None:
            return self.id.rsplit("/versions/", 1)[1] if "/versions/" in self.id else None
        return None if self.version == "latest" else self.version


class ManagedDiskParameters(ApiModel):
    storageAccountType: Literal[
        "Standard_LRS",
        "Premium_LRS",
        "StandardSSD_LRS",
        "UltraSSD_LRS",
        "Premium_ZRS",
        "StandardSSD_ZRS",
        "PremiumV2_LRS",
    ] = "Standard_LRS"
    diskEncryptionSet: DiskEncryptionSetParameters | None = optional()
    securityProfile: VMDiskSecurityProfile | None = optional()
    additionalDiskProperties: AdditionalDiskProperties | None = optional()


class OSDisk(ApiModel):
    model_config = with_rules(
        cel(
            "!has(self.managedDisk) || !has(oldSelf.managedDisk) || !has(oldSelf.managedDisk.storageAccountType)"
            " || (has(self.managedDisk.storageAccountType)"
            " && self.managedDisk.storageAccountType == oldSelf.managedDisk.storageAccountType)",
            "osDisk.managedDisk.storageAccountType cannot change after creation",
            field_path=".managedDisk.storageAccountType",
        ),
        cel(
            "has(self.diffDiskSettings) == has(oldSelf.diffDiskSettings)"
            " && (!has(self.diffDiskSettings) || self.diffDiskSettings == oldSelf.diffDiskSettings)",
            "osDisk.diffDiskSettings (ephemeral OS disk) cannot change after creation",
            field_path=".diffDiskSettings",
        ),
    )

    osType: Literal["Linux", "Windows"] = "Linux"
    createOption: Literal["FromImage"] = "FromImage"
    caching: Literal["None", "ReadOnly", "ReadWrite"] = "ReadWrite"
    diskSizeGB: int | None = Field(default=None, ge=1, le=4095)
    managedDisk: ManagedDiskParameters = Field(default_factory=ManagedDiskParameters)
    name: str | None = optional()
    writeAcceleratorEnabled: bool | None = optional()
    diffDiskSettings: DiffDiskSettings | None = optional(description="Ephemeral OS disk; fixed at creation.")
    storageFaultDomainAlignment: StorageFaultDomainAlignment | None = optional()
    deleteOption: DeleteOption | None = optional(description="What happens to the disk when its instance is deleted.")


class DataDisk(ApiModel):
    model_config = with_rules(
        cel("self.createOption != 'Empty' || has(self.diskSizeGB)", "an Empty data disk needs diskSizeGB")
    )

    lun: int = Field(ge=0, le=63, description="Logical unit number; unique within the scale set.")
    diskSizeGB: int | None = Field(
        default=None, ge=1, le=32767, exclude_if=lambda size: size is None, description="Required for Empty disks."
    )
    createOption: Literal["Empty", "FromImage"] = Field(
        default="Empty", description="Empty, or FromImage (a data disk of the image)."
    )
    caching: Literal["None", "ReadOnly", "ReadWrite"] = "None"
    managedDisk: ManagedDiskParameters = Field(default_factory=ManagedDiskParameters)
    name: str | None = optional()
    writeAcceleratorEnabled: bool | None = optional()
    storageFaultDomainAlignment: StorageFaultDomainAlignment | None = optional()
    diskIOPSReadWrite: int | None = optional(ge=0, description="UltraSSD_LRS / PremiumV2_LRS only.")
    diskMBpsReadWrite: int | None = optional(ge=0, description="UltraSSD_LRS / PremiumV2_LRS only.")
    deleteOption: DeleteOption | None = optional()

    @model_validator(mode="after")
    def _sized(self) -> DataDisk:
        if self.createOption == "Empty" and self.diskSizeGB is None:
            raise ValueError("an Empty data disk needs diskSizeGB")
        return self


class StorageProfile(ApiModel):
    imageReference: ImageReference
    osDisk: OSDisk = Field(default_factory=OSDisk)
    dataDisks: list[DataDisk] = Field(
        default_factory=list,
        max_length=64,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["lun"]},
    )
    diskControllerType: Literal["SCSI", "NVMe"] | None = optional()
    diskApiVersion: Literal["2025-01-02", "2026-03-02"] | None = optional()

    @model_validator(mode="after")
    def _unique_luns(self) -> StorageProfile:
        luns = [disk.lun for disk in self.dataDisks]
        duplicates = sorted({lun for lun in luns if luns.count(lun) > 1})
        if duplicates:
            raise ValueError(f"dataDisks: duplicate lun {duplicates}; each data disk needs its own lun")
        return self


class SshPublicKey(ApiModel):
    path: str
    keyData: str


class SshConfiguration(ApiModel):
    publicKeys: list[SshPublicKey] = Field(default_factory=list)


class LinuxConfiguration(ApiModel):
    model_config = with_rules(
        cel(
            "!self.disablePasswordAuthentication || (has(self.ssh) && size(self.ssh.publicKeys) > 0)",
            "disablePasswordAuthentication needs at least one ssh.publicKeys entry",
        ),
    )

    disablePasswordAuthentication: bool = False
    ssh: SshConfiguration | None = None
    provisionVMAgent: bool | None = optional()
    patchSettings: LinuxPatchSettings | None = optional()
    enableVMAgentPlatformUpdates: bool | None = optional()


class WindowsConfiguration(ApiModel):
    enableAutomaticUpdates: bool = True
    timeZone: str | None = None
    provisionVMAgent: bool | None = optional()
    additionalUnattendContent: list[AdditionalUnattendContent] = optional_list(
        max_length=2,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["settingName"]},
    )
    patchSettings: WindowsPatchSettings | None = optional()
    winRM: WinRMConfiguration | None = optional()


class OSProfile(ApiModel):
    """Applies to new and reimaged instances only (Azure: OS profile changes do not follow the
    upgrade policy)."""

    model_config = with_rules(
        cel(
            "!has(self.adminPasswordSecretRef) || has(self.adminUsername)",
            "adminPasswordSecretRef needs adminUsername",
            field_path=".adminPasswordSecretRef",
        ),
        cel(
            "self.computerNamePrefix == oldSelf.computerNamePrefix",
            "computerNamePrefix cannot change after creation",
            field_path=".computerNamePrefix",
        ),
    )

    computerNamePrefix: str = Field(
        min_length=1,
        max_length=15,
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9-]*$",
        description="1-15 characters; instance names are the prefix plus the base-36 instance ID.",
        json_schema_extra=pattern_message("must start with a letter or digit and contain only letters, digits and '-'"),
    )
    adminUsername: str | None = Field(default=None, min_length=1, max_length=64)
    adminPasswordSecretRef: SecretKeyRef | None = Field(
        default=None, description="The admin password, read from a Secret; never inline."
    )
    customData: str | None = Field(
        default=None,
        max_length=87380,
        description="Base64 cloud-init / custom data. Not secret: do not put credentials here.",
    )
    linuxConfiguration: LinuxConfiguration | None = None
    windowsConfiguration: WindowsConfiguration | None = None
    secrets: list[VaultSecretGroup] = optional_list(description="Certificates to install from Key Vault.")
    allowExtensionOperations: bool | None = optional()
    requireGuestProvisionSignal: bool | None = optional()


_NAME_MAP_LIST: JsonDict = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}
_ONE_PRIMARY_IP = "with more than one ipConfigurations entry, exactly one must have properties.primary: true"
_ONE_PRIMARY_NIC = (
    "with more than one networkInterfaceConfigurations entry, exactly one must have properties.primary: true"
)


def _one_primary_rule(message: str) -> JsonDict:
    """CEL on a list of ``{name, properties: {primary?}}``: a single entry needs no flag, several need one."""
    return cel("size(self) <= 1 || self.exists_one(c, has(c.properties.primary) && c.properties.primary)", message)


def _check_names_and_primary(kind: str, entries: list[tuple[str, bool | None]], message: str) -> None:
    """The pydantic side of the list-map key and the one-primary CEL rule (same outcome, same words)."""
    names = [name for name, _ in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{kind}: duplicate name {duplicates}; each entry needs its own name")
    if len(entries) > 1 and sum(1 for _, primary in entries if primary) != 1:
        raise ValueError(message)


class PublicIPAddressConfigurationProperties(ApiModel):
    idleTimeoutInMinutes: int | None = Field(default=None, ge=4, le=30, description="Idle timeout (4-30 minutes).")
    dnsSettings: PublicIPAddressDnsSettings | None = optional()
    ipTags: list[IpTag] = optional_list()
    publicIPPrefix: SubResource | None = optional()
    publicIPAddressVersion: Literal["IPv4", "IPv6"] | None = optional()
    deleteOption: DeleteOption | None = optional()


class PublicIPAddressConfiguration(ApiModel):
    """A public IP address per instance, created by Azure from this configuration."""

    name: str = Field(min_length=1, max_length=80)
    properties: PublicIPAddressConfigurationProperties = Field(default_factory=PublicIPAddressConfigurationProperties)
    sku: PublicIPAddressSku | None = optional()
    tags: dict[str, str] = optional_map()


class IPConfigurationProperties(ApiModel):
    primary: bool | None = Field(
        default=None, description="The NIC's primary IP configuration; required (exactly one) when there are several."
    )
    subnet: ApiEntityReference = Field(
        description="The subnet the instances' addresses come from: "
        "/subscriptions/.../providers/Microsoft.Network/virtualNetworks/VNET/subnets/SUBNET."
    )
    privateIPAddressVersion: Literal["IPv4", "IPv6"] = "IPv4"
    loadBalancerBackendAddressPools: list[SubResource] = Field(
        default_factory=list,
        description="Load balancer backend pools (of at most one public and one internal load balancer).",
    )
    loadBalancerInboundNatPools: list[SubResource] = Field(default_factory=list)
    applicationGatewayBackendAddressPools: list[SubResource] = Field(default_factory=list)
    publicIPAddressConfiguration: PublicIPAddressConfiguration | None = Field(
        default=None, description="Give each instance a public IP address."
    )
    applicationSecurityGroups: list[SubResource] = optional_list()
    privateIPAddressPrefixLength: int | None = optional(ge=0, le=128)


class IPConfiguration(ApiModel):
    name: str = Field(min_length=1, max_length=80)
    properties: IPConfigurationProperties


class NetworkInterfaceConfigurationProperties(ApiModel):
    primary: bool | None = Field(
        default=None, description="The instances' primary NIC; required (exactly one) when there are several NICs."
    )
    enableAcceleratedNetworking: bool = Field(default=False, description="Needs a VM size that supports it.")
    enableIPForwarding: bool = False
    networkSecurityGroup: SubResource | None = Field(default=None, description="A network security group for the NIC.")
    disableTcpStateTracking: bool | None = optional()
    enableFpga: bool | None = optional()
    dnsSettings: NetworkConfigurationDnsSettings | None = optional()
    deleteOption: DeleteOption | None = optional()
    auxiliaryMode: Literal["None", "AcceleratedConnections", "Floating"] | None = optional()
    auxiliarySku: Literal["None", "A1", "A2", "A4", "A8"] | None = optional()
    ipConfigurations: list[IPConfiguration] = Field(
        min_length=1,
        max_length=256,
        json_schema_extra={**_NAME_MAP_LIST, **field_rules(_one_primary_rule(_ONE_PRIMARY_IP))},
    )

    @model_validator(mode="after")
    def _one_primary_ip(self) -> NetworkInterfaceConfigurationProperties:
        entries = [(ip.name, ip.properties.primary) for ip in self.ipConfigurations]
        _check_names_and_primary("ipConfigurations", entries, _ONE_PRIMARY_IP)
        return self


class NetworkInterfaceConfiguration(ApiModel):
    name: str = Field(min_length=1, max_length=80, description="NIC configuration name; unique in the scale set.")
    properties: NetworkInterfaceConfigurationProperties
    tags: dict[str, str] = optional_map()


class NetworkProfile(ApiModel):
    healthProbe: ApiEntityReference | None = Field(
        default=None, description="Load balancer probe that reports instance health."
    )
    networkInterfaceConfigurations: list[NetworkInterfaceConfiguration] = Field(
        default_factory=list,
        max_length=8,
        # Left out of dumps while empty, so adding this field did not change the model hash (and so
        # start a rollout) of scale sets that do not use it.
        exclude_if=lambda configurations: not configurations,
        description="The instances' network interfaces. Azure requires at least one (with an IP "
        "configuration in a subnet) to create a scale set; the simulator does not. With more than "
        "one, exactly one must be primary.",
        json_schema_extra={**_NAME_MAP_LIST, **field_rules(_one_primary_rule(_ONE_PRIMARY_NIC))},
    )
    networkApiVersion: Literal["2020-11-01", "2022-11-01"] | None = optional(
        description="Flexible orchestration: Azure creates the NICs with this Network API version."
    )
    interconnectGroupProfile: InterconnectGroupProfile | None = optional()

    @model_validator(mode="after")
    def _one_primary_nic(self) -> NetworkProfile:
        entries = [(nic.name, nic.properties.primary) for nic in self.networkInterfaceConfigurations]
        _check_names_and_primary("networkInterfaceConfigurations", entries, _ONE_PRIMARY_NIC)
        return self


class ExtensionProperties(ApiModel):
    model_config = with_rules(
        cel(
            "!has(self.protectedSettingsSecretRef) || !has(self.protectedSettingsFromKeyVault)",
            "set protectedSettingsSecretRef or protectedSettingsFromKeyVault, not both",
        )
    )

    publisher: str = Field(min_length=1)
    type: str = Field(min_length=1)
    typeHandlerVersion: str = Field(min_length=1)
    autoUpgradeMinorVersion: bool = True
    settings: dict[str, Any] | None = Field(
        default=None, json_schema_extra={"x-kubernetes-preserve-unknown-fields": True}
    )
    protectedSettingsSecretRef: SecretKeyRef | None = optional(
        description="protectedSettings (a JSON object) read from a Secret; never inline, never logged."
    )
    protectedSettingsFromKeyVault: KeyVaultSecretReference | None = optional()
    forceUpdateTag: str | None = optional(description="Change it to rerun the extension with unchanged settings.")
    enableAutomaticUpgrade: bool | None = optional(description="Azure upgrades the extension when a version ships.")
    suppressFailures: bool | None = optional(description="An extension failure does not fail the instance.")
    provisionAfterExtensions: list[Annotated[str, Field(max_length=256)]] = optional_list(
        max_length=16,
        description="Extensions (by name) that must be provisioned before this one.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )

    @model_validator(mode="after")
    def _one_protected_source(self) -> ExtensionProperties:
        if self.protectedSettingsSecretRef is not None and self.protectedSettingsFromKeyVault is not None:
            raise ValueError("set protectedSettingsSecretRef or protectedSettingsFromKeyVault, not both")
        return self


class Extension(ApiModel):
    name: str = Field(min_length=1, max_length=256)
    properties: ExtensionProperties


_SEQUENCE_RULE = cel(
    "self.all(e, !has(e.properties.provisionAfterExtensions)"
    " || e.properties.provisionAfterExtensions.all(n, n != e.name && self.exists(o, o.name == n)))",
    "provisionAfterExtensions must name other extensions of this scale set",
)


class ExtensionProfile(ApiModel):
    extensions: list[Extension] = Field(
        default_factory=list,
        max_length=50,
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            **field_rules(_SEQUENCE_RULE),
        },
    )
    extensionsTimeBudget: Duration | None = optional(description="Time for all extensions to start; PT15M-PT120M.")

    @model_validator(mode="after")
    def _sequence(self) -> ExtensionProfile:
        names = {e.name for e in self.extensions}
        for ext in self.extensions:
            unknown = [n for n in ext.properties.provisionAfterExtensions if n == ext.name or n not in names]
            if unknown:
                raise ValueError(
                    f"extensions[{ext.name}].provisionAfterExtensions: {unknown} must name other extensions "
                    "of this scale set"
                )
        budget = self.extensionsTimeBudget
        if budget is not None and not parse_duration("PT15M") <= parse_duration(budget) <= parse_duration("PT120M"):
            raise ValueError("extensionsTimeBudget must be between PT15M and PT120M")
        return self


class VirtualMachineProfile(ApiModel):
    model_config = PROFILE_RULES

    osProfile: OSProfile
    storageProfile: StorageProfile
    networkProfile: NetworkProfile = Field(default_factory=NetworkProfile)
    extensionProfile: ExtensionProfile = Field(default_factory=ExtensionProfile)
    securityProfile: SecurityProfile | None = optional()
    diagnosticsProfile: DiagnosticsProfile | None = optional(description="Boot diagnostics.")
    licenseType: str | None = optional(description="Azure Hybrid Benefit: Windows_Server, RHEL_BYOS, SLES_BYOS ...")
    priority: Literal["Regular", "Low", "Spot", "SpotPlus"] = defaulted(
        "Regular",
        description="Regular, or Spot (evictable, cheaper); fixed at creation.",
        json_schema_extra=field_rules(cel(IMMUTABLE, "priority cannot change after creation")),
    )
    evictionPolicy: Literal["Deallocate", "Delete"] | None = optional(description="Spot only; fixed at creation.")
    billingProfile: BillingProfile | None = optional(description="Spot only.")
    scheduledEventsProfile: ScheduledEventsProfile | None = optional()
    userData: str | None = optional(
        max_length=87380, description="Base64 user data (not secret, see userDataSecretRef)."
    )
    userDataSecretRef: SecretKeyRef | None = optional(description="Base64 user data read from a Secret.")
    capacityReservation: CapacityReservationProfile | None = optional()
    interconnectBlockProfile: InterconnectBlockProfile | None = optional()
    applicationProfile: ApplicationProfile | None = optional(description="Gallery applications to install.")
    hardwareProfile: HardwareProfile | None = optional()
    serviceArtifactReference: ServiceArtifactReference | None = optional()
    securityPostureReference: SecurityPostureReference | None = optional()

    @model_validator(mode="after")
    def _spot_only(self) -> VirtualMachineProfile:
        for name in ("evictionPolicy", "billingProfile"):
            if getattr(self, name) is not None and self.priority == "Regular":
                raise ValueError(f"{name} needs priority Spot or Low")
        if self.userData is not None and self.userDataSecretRef is not None:
            raise ValueError("set userData or userDataSecretRef, not both")
        return self


_TIME_OF_DAY = r"^([01]\d|2[0-3]):[0-5]\d$"
_TIME_OF_DAY_MESSAGE = pattern_message("must be a UTC time of day as HH:MM, from 00:00 to 23:59")


class MaintenanceWindow(ApiModel):
    """A weekly UTC window; ``end`` before ``start`` wraps past midnight."""

    days: list[Weekday] = Field(min_length=1, max_length=7)
    start: str = Field(
        pattern=_TIME_OF_DAY, max_length=5, description="UTC, HH:MM", json_schema_extra=_TIME_OF_DAY_MESSAGE
    )
    end: str = Field(
        pattern=_TIME_OF_DAY, max_length=5, description="UTC, HH:MM", json_schema_extra=_TIME_OF_DAY_MESSAGE
    )


class RolloutPolicy(ApiModel):
    """The operator's own rollout knobs (not part of Azure's model)."""

    model_config = with_rules(
        cel(
            cel_at_least("progressDeadline", "healthTimeout"),
            "progressDeadline must be at least healthTimeout: a batch waiting for its instances to become "
            "healthy is progress, so a shorter deadline would report a working rollout as Stalled",
            field_path=".progressDeadline",
        )
    )

    healthTimeout: Duration = Field(
        default="PT5M",
        description="How long a batch may take to become healthy before it counts as failed; also how long "
        "settled instances may stay unhealthy, with nothing in progress, before the ScaleSet is reported "
        "Stalled (reason InstancesUnhealthy).",
    )
    progressDeadline: Duration = Field(
        default="PT30M",
        description="A rollout that makes no progress for this long is reported Stalled (reason "
        "ProgressDeadlineExceeded; RolloutProgressing turns False). A batch within its healthTimeout is "
        "progress, and holds (spec.paused, outside the maintenance windows, the pause between batches) are "
        "not counted. Must be at least healthTimeout (refused at apply time; a ScaleSet stored before that "
        "rule behaves as if it were raised to healthTimeout). A scale set that cannot be observed "
        "(throttled, unavailable) for this long is reported Stalled too, with the cause.",
    )
    osImageCheckInterval: Duration = Field(
        default="PT1M", description="How often the image catalog is checked for automatic OS upgrades."
    )
    maintenanceWindows: list[MaintenanceWindow] = Field(
        default_factory=list,
        max_length=16,
        description="When set, automatic batches (OS upgrades and Automatic/Rolling model rollouts) start "
        "only inside one of these windows.",
    )
    reimageAllOnDiskDrift: bool = Field(
        default=False,
        description="DESTRUCTIVE: reimage-all (recreating data disks, losing their data) instances whose "
        "data disks differ from the model, batch by batch under the rolling policy. Off by default.",
    )


FLEXIBLE_RULES = (
    cel(
        "self.orchestrationMode != 'Flexible' || self.platformFaultDomainCount <= 3",
        "Flexible orchestration supports platformFaultDomainCount 1, 2 or 3 (1 = max spreading, recommended)",
        field_path=".platformFaultDomainCount",
    ),
    cel(
        "self.orchestrationMode != 'Flexible' || size(self.zones) == 0 || self.platformFaultDomainCount == 1",
        "Flexible orchestration across zones supports only platformFaultDomainCount 1",
        field_path=".platformFaultDomainCount",
    ),
    cel(
        "self.orchestrationMode != 'Flexible' || !self.overprovision",
        "Flexible orchestration does not support overprovision",
        field_path=".overprovision",
    ),
    cel(
        "self.orchestrationMode != 'Flexible' || !self.rolloutPolicy.reimageAllOnDiskDrift",
        "reimage-all does not apply to Flexible orchestration: rolloutPolicy.reimageAllOnDiskDrift must be false",
        field_path=".rolloutPolicy.reimageAllOnDiskDrift",
    ),
)
"""What Azure refuses for Flexible orchestration, refused at apply time (docs/azure.md, Flexible)."""


class ScaleSetSpec(ScaleSetProperties):
    model_config = with_rules(
        cel(
            "!has(self.virtualMachineProfile.osProfile.windowsConfiguration)"
            " || self.virtualMachineProfile.storageProfile.osDisk.osType == 'Windows'",
            "osProfile.windowsConfiguration needs storageProfile.osDisk.osType: Windows",
            field_path=".virtualMachineProfile.osProfile.windowsConfiguration",
        ),
        cel(
            "!has(self.virtualMachineProfile.osProfile.linuxConfiguration)"
            " || self.virtualMachineProfile.storageProfile.osDisk.osType == 'Linux'",
            "osProfile.linuxConfiguration needs storageProfile.osDisk.osType: Linux",
            field_path=".virtualMachineProfile.osProfile.linuxConfiguration",
        ),
        cel(
            "!(has(oldSelf.singlePlacementGroup) && !oldSelf.singlePlacementGroup"
            " && has(self.singlePlacementGroup) && self.singlePlacementGroup)",
            "singlePlacementGroup can change from true to false only",
            field_path=".singlePlacementGroup",
        ),
        cel(
            "!self.upgradePolicy.rollingUpgradePolicy.enableCrossZoneUpgrade || size(self.zones) > 1",
            "rollingUpgradePolicy.enableCrossZoneUpgrade needs the scale set to span two or more zones",
            field_path=".upgradePolicy.rollingUpgradePolicy.enableCrossZoneUpgrade",
        ),
        *CAPACITY_OWNER_RULES,
        *FLEXIBLE_RULES,
    )

    location: str = Field(
        pattern=r"^[a-z0-9]+$",
        max_length=64,
        description="Azure region, e.g. westeurope. Cannot change after creation.",
        json_schema_extra={
            **field_rules(cel(IMMUTABLE, "location cannot change after creation")),
            **pattern_message("must be an Azure region name: lower-case letters and digits, such as westeurope"),
        },
    )
    azure: AzureCoordinates = Field(
        json_schema_extra=field_rules(
            cel(IMMUTABLE, "azure (subscriptionId, resourceGroup, name) cannot change after creation")
        )
    )
    sku: Sku
    zones: list[Literal["1", "2", "3"]] = Field(
        default_factory=list,
        max_length=3,
        description="Availability zones; zones can be added to a scale set, never removed.",
        json_schema_extra={
            "x-kubernetes-list-type": "set",
            **field_rules(cel("oldSelf.all(z, z in self)", "zones can be added, never removed")),
        },
    )
    platformFaultDomainCount: int = Field(
        default=5,
        ge=1,
        le=5,
        json_schema_extra=field_rules(cel(IMMUTABLE, "platformFaultDomainCount cannot change after creation")),
    )
    overprovision: bool = Field(
        default=False,
        description="Create extra instances during scale-out and delete the extras once the requested "
        "number is running. (Azure defaults this to true; the operator defaults to false.)",
    )
    scaleInPolicy: ScaleInPolicy = Field(default_factory=ScaleInPolicy)
    upgradePolicy: UpgradePolicy = Field(default_factory=UpgradePolicy)
    virtualMachineProfile: VirtualMachineProfile
    deletionPolicy: Literal["Delete", "Orphan"] = Field(
        default="Delete",
        description="Delete: deleting the resource deletes the cloud scale set. Orphan: leave it.",
    )
    paused: bool = Field(default=False, description="Hold any rollout without losing its progress.")
    rolloutPolicy: RolloutPolicy = Field(default_factory=RolloutPolicy)
    capacityOwner: CapacityOwner = Field(default="Spec", description=CAPACITY_OWNER_DESCRIPTION)
    autoscale: AutoscaleSettings | None = Field(
        default=None, description="Azure's autoscale settings for this scale set (docs/autoscale.md)."
    )

    @model_validator(mode="after")
    def _one_capacity_owner(self) -> ScaleSetSpec:
        check_capacity_owner(self.capacityOwner, self.autoscale)
        return self

    @model_validator(mode="after")
    def _flexible(self) -> ScaleSetSpec:
        """The operator validates again what ``FLEXIBLE_RULES`` refuse at apply time."""
        if self.orchestrationMode != "Flexible":
            return self
        if self.platformFaultDomainCount > 3 or (self.zones and self.platformFaultDomainCount != 1):
            raise ValueError(
                "platformFaultDomainCount: Flexible orchestration supports 1, 2 or 3 (only 1 across zones)"
            )
        if self.overprovision:
            raise ValueError("overprovision: Flexible orchestration does not support overprovision")
        if self.rolloutPolicy.reimageAllOnDiskDrift:
            raise ValueError(
                "rolloutPolicy.reimageAllOnDiskDrift: reimage-all does not apply to Flexible orchestration"
            )
        return self

    @property
    def is_windows(self) -> bool:
        return self.virtualMachineProfile.storageProfile.osDisk.osType == "Windows"


class ObjectMeta(ApiModel):
    model_config = ApiModel.model_config | {"extra": "allow"}

    name: str
    namespace: str | None = None
    generation: int | None = None
    uid: str | None = None


class ScaleSet(ApiModel):
    model_config = ApiModel.model_config | {"extra": "ignore"}

    apiVersion: str = "scaleset.dev/v1alpha1"
    kind: Literal["ScaleSet"] = "ScaleSet"
    metadata: ObjectMeta
    spec: ScaleSetSpec
    status: ScaleSetStatus | None = None
