"""Scale-set-level properties of ``Microsoft.Compute/virtualMachineScaleSets`` beyond the original
model (identity, placement, Spot, repairs, resiliency ...), under Azure's names and nesting.

Every field here is optional and left out of dumps while unset, so a ScaleSet that sets none of
them keeps the hashes it had before they existed. ``ScaleSetSpec`` inherits them (they sit at the
top of ``spec``, where Azure has them at the top of the resource or under ``properties``).
Which of them reach the instances (and so make ``latestModelApplied`` false) is decided in
``cloud/desired.py`` (``INSTANCE_PROPERTIES``) and ``cloud/changes.py``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from scaleset_operator.api.base import (
    ApiModel,
    cel,
    defaulted,
    field_rules,
    optional,
    optional_list,
    optional_map,
    with_rules,
)
from scaleset_operator.api.common import Enabled, SubResource
from scaleset_operator.api.durations import Duration, parse_duration

IMMUTABLE = "self == oldSelf"
IdentityType = Literal["SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned", "None"]


def _no_properties(schema: dict[str, Any]) -> None:
    """An object with no fields, written without ``properties: {}`` (the API server drops the
    empty map when it stores the CRD, and server-side apply by another manager then conflicts)."""
    schema.pop("properties", None)


class UserAssignedIdentity(ApiModel):
    """Azure's value for each user-assigned identity: an empty object (Azure fills in the IDs)."""

    model_config = ApiModel.model_config | {"json_schema_extra": _no_properties}


class Identity(ApiModel):
    model_config = with_rules(
        cel(
            "self.type.contains('UserAssigned') == (has(self.userAssignedIdentities)"
            " && size(self.userAssignedIdentities) > 0)",
            "identity.userAssignedIdentities is needed exactly when identity.type includes UserAssigned",
        )
    )

    type: IdentityType = Field(description="SystemAssigned, UserAssigned, both, or None.")
    userAssignedIdentities: dict[str, UserAssignedIdentity] = optional_map(
        max_length=100,
        description="User-assigned identity resource IDs, each mapped to {}.",
    )

    @model_validator(mode="after")
    def _users_match_type(self) -> Identity:
        if ("UserAssigned" in self.type) != bool(self.userAssignedIdentities):
            raise ValueError(
                "identity.userAssignedIdentities is needed exactly when identity.type includes UserAssigned"
            )
        return self


class Plan(ApiModel):
    """Marketplace plan of the image (only for marketplace images that need one)."""

    name: str | None = optional()
    publisher: str | None = optional()
    product: str | None = optional()
    promotionCode: str | None = optional()


class ExtendedLocation(ApiModel):
    name: str = Field(min_length=1, description="Edge zone name.")
    type: Literal["EdgeZone"] = "EdgeZone"


class Placement(ApiModel):
    """Zone placement constraints (Azure api-version 2025-04-01 and later)."""

    zonePlacementPolicy: Literal["Any", "Auto"] | None = optional()
    includeZones: list[str] = optional_list(max_length=3, json_schema_extra={"x-kubernetes-list-type": "set"})
    excludeZones: list[str] = optional_list(max_length=3, json_schema_extra={"x-kubernetes-list-type": "set"})


class AdditionalCapabilities(ApiModel):
    ultraSSDEnabled: bool | None = optional(description="Allow UltraSSD_LRS data disks.")
    hibernationEnabled: bool | None = optional()
    enableFips1403Encryption: bool | None = optional()


def _bounded_duration(value: str, low: str, high: str, name: str) -> str:
    if not parse_duration(low) <= parse_duration(value) <= parse_duration(high):
        raise ValueError(f"{name} must be between {low} and {high}")
    return value


class AutomaticRepairsPolicy(ApiModel):
    """Azure repairs (replaces, restarts or reimages) instances reported unhealthy."""

    enabled: bool = False
    gracePeriod: Duration = Field(default="PT10M", description="Wait after a state change; PT10M-PT90M.")
    repairAction: Literal["Replace", "Restart", "Reimage"] = "Replace"

    @model_validator(mode="after")
    def _grace(self) -> AutomaticRepairsPolicy:
        _bounded_duration(self.gracePeriod, "PT10M", "PT90M", "automaticRepairsPolicy.gracePeriod")
        return self


class AutomaticallyApprove(ApiModel):
    automaticallyApprove: bool | None = optional()


class EventGridAndResourceGraph(ApiModel):
    enable: bool | None = optional()
    scheduledEventsApiVersion: str | None = optional()


class ScheduledEventsAdditionalPublishingTargets(ApiModel):
    eventGridAndResourceGraph: EventGridAndResourceGraph | None = optional()


class ScheduledEventsPolicy(ApiModel):
    userInitiatedRedeploy: AutomaticallyApprove | None = optional()
    userInitiatedReboot: AutomaticallyApprove | None = optional()
    scheduledEventsAdditionalPublishingTargets: ScheduledEventsAdditionalPublishingTargets | None = optional()
    allInstancesDown: AutomaticallyApprove | None = optional()


class SpotRestorePolicy(ApiModel):
    """Azure restores evicted Spot instances when capacity returns."""

    enabled: bool = False
    restoreTimeout: Duration | None = optional(description="Give up restoring after this long.")


class PriorityMixPolicy(ApiModel):
    """Regular/Spot mix of a Flexible scale set."""

    baseRegularPriorityCount: int | None = optional(ge=0, description="Instances that are always Regular.")
    regularPriorityPercentageAboveBase: int | None = optional(
        ge=0, le=100, description="Percent of the instances above the base that are Regular."
    )


class AutomaticZoneRebalancingPolicy(ApiModel):
    enabled: bool | None = optional()
    rebalanceStrategy: Literal["Recreate"] | None = optional()
    rebalanceBehavior: Literal["CreateBeforeDelete"] | None = optional()


class MaxInstancePercentPerZonePolicy(ApiModel):
    enabled: bool | None = optional()
    value: int | None = optional(ge=0, le=100)


class ZoneAllocationPolicy(ApiModel):
    maxZoneCount: int | None = optional(ge=1)
    maxInstancePercentPerZonePolicy: MaxInstancePercentPerZonePolicy | None = optional()


class OperationRecoverySettings(ApiModel):
    restartRecoveryPolicy: Enabled | None = optional()
    startRecoveryPolicy: Enabled | None = optional()
    reimageRecoveryPolicy: Enabled | None = optional()


class ResiliencyPolicy(ApiModel):
    resilientVMCreationPolicy: Enabled | None = optional()
    resilientVMDeletionPolicy: Enabled | None = optional()
    automaticZoneRebalancingPolicy: AutomaticZoneRebalancingPolicy | None = optional()
    zoneAllocationPolicy: ZoneAllocationPolicy | None = optional()
    operationRecoverySettings: OperationRecoverySettings | None = optional()


class SkuProfileVMSize(ApiModel):
    name: str = Field(min_length=1, description="VM size, e.g. Standard_D2s_v5.")
    rank: int | None = optional(ge=0, description="Priority with allocationStrategy Prioritized (0 first).")


class SkuProfile(ApiModel):
    """Instance mix: the VM sizes a Flexible scale set may use (sku.name is then Mix)."""

    vmSizes: list[SkuProfileVMSize] = Field(
        min_length=1,
        max_length=5,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    allocationStrategy: Literal["LowestPrice", "CapacityOptimized", "Prioritized"] | None = optional()
    automaticSkuMigrationPolicy: Enabled | None = optional()


class LifecycleHook(ApiModel):
    type: Literal["UpgradeAutoOSScheduling", "UpgradeAutoOSRollingBatchStarting"]
    waitDuration: Duration | None = optional()
    defaultAction: Literal["Approve", "Reject"] | None = optional()


class LifecycleHooksProfile(ApiModel):
    lifecycleHooks: list[LifecycleHook] = optional_list(
        max_length=2, json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
    )


class ExternalHealthPolicy(ApiModel):
    enabled: bool | None = optional()
    expiryDuration: Duration | None = optional()
    gracePeriod: Duration | None = optional()


class ScaleSetProperties(ApiModel):
    """The scale-set-level properties added with the whole model (all optional)."""

    tags: dict[str, str] = optional_map(
        max_length=50,
        description="Azure tags on the scale set. Tags set by others are kept; the operator adds its "
        "scaleset.dev/* hash tags.",
    )
    identity: Identity | None = optional(description="Managed identities of the scale set.")
    plan: Plan | None = optional()
    extendedLocation: ExtendedLocation | None = optional(
        json_schema_extra=field_rules(cel(IMMUTABLE, "extendedLocation cannot change after creation"))
    )
    placement: Placement | None = optional()
    orchestrationMode: Literal["Uniform", "Flexible"] = defaulted(
        "Uniform",
        description="Uniform: instances are scale set VMs with decimal instance IDs. Flexible (Microsoft's "
        "recommendation for new workloads): instances are regular virtual machines named <scale set>_<8 hex>, "
        "and their instance ID is that name. Fixed at creation.",
        json_schema_extra=field_rules(cel(IMMUTABLE, "orchestrationMode cannot change after creation")),
    )
    singlePlacementGroup: bool | None = optional(
        description="Limit the scale set to one placement group (100 instances); may change true -> false only."
    )
    zoneBalance: bool | None = optional(description="Strictly balance instances across zones.")
    proximityPlacementGroup: SubResource | None = optional()
    hostGroup: SubResource | None = optional(description="Dedicated host group.")
    additionalCapabilities: AdditionalCapabilities | None = optional()
    doNotRunExtensionsOnOverprovisionedVMs: bool | None = optional()
    automaticRepairsPolicy: AutomaticRepairsPolicy | None = optional()
    scheduledEventsPolicy: ScheduledEventsPolicy | None = optional()
    spotRestorePolicy: SpotRestorePolicy | None = optional()
    priorityMixPolicy: PriorityMixPolicy | None = optional()
    resiliencyPolicy: ResiliencyPolicy | None = optional()
    skuProfile: SkuProfile | None = optional()
    constrainedMaximumCapacity: bool | None = optional()
    zonalPlatformFaultDomainAlignMode: Literal["Aligned", "Unaligned", "BestEffortAligned"] | None = optional()
    highSpeedInterconnectPlacement: Literal["None", "Trunk"] | None = optional()
    lifecycleHooksProfile: LifecycleHooksProfile | None = optional()
    externalHealthPolicy: ExternalHealthPolicy | None = optional()
