"""``cloud/changes.classify``: each field's change classified the way Azure applies it."""

from __future__ import annotations

from typing import Any

import pytest

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.changes import Impact, classify, rule_for
from tests.api.maximal import MANIFESTS
from tests.overrides import with_overrides

VM = "virtualMachineProfile"
NIC = f"{VM}.networkProfile.networkInterfaceConfigurations"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
BASE = MANIFESTS["maximal-linux"]["spec"]

NONE, SCALE, NEW_ONLY, UPGRADE, REIMAGE, REFUSED = (
    Impact.NO_INSTANCE_IMPACT,
    Impact.SCALE,
    Impact.NEW_INSTANCES_ONLY,
    Impact.MODEL_UPGRADE,
    Impact.REIMAGE_NEEDED,
    Impact.IMMUTABLE,
)

# (id, overrides of the maximal Linux spec, the impact expected)
TABLE: list[tuple[str, dict[str, Any], Impact]] = [
    # scale-set level
    ("tags", {"tags": {"env": "staging"}}, NONE),
    ("identity", {"identity": {"type": "SystemAssigned"}}, NONE),
    ("zones-added", {"zones": ["1", "2", "3"]}, NONE),
    ("zones-removed", {"zones": ["1"]}, REFUSED),
    ("zone-balance", {"zoneBalance": False}, NONE),
    ("single-placement-group-false-to-true", {"singlePlacementGroup": True}, REFUSED),
    ("proximity-placement-group", {"proximityPlacementGroup": {"id": f"{SUB}/ppg2"}}, NONE),
    ("host-group", {"hostGroup": {"id": f"{SUB}/hg2"}}, NONE),
    ("placement", {"placement.zonePlacementPolicy": "Auto"}, NONE),
    ("automatic-repairs", {"automaticRepairsPolicy.gracePeriod": "PT45M"}, NONE),
    ("scheduled-events-policy", {"scheduledEventsPolicy.userInitiatedReboot.automaticallyApprove": True}, NONE),
    ("spot-restore", {"spotRestorePolicy.enabled": False}, NONE),
    ("priority-mix", {"priorityMixPolicy.regularPriorityPercentageAboveBase": 20}, NONE),
    ("resiliency", {"resiliencyPolicy.resilientVMDeletionPolicy.enabled": False}, NONE),
    ("do-not-run-extensions", {"doNotRunExtensionsOnOverprovisionedVMs": False}, NONE),
    ("constrained-maximum-capacity", {"constrainedMaximumCapacity": True}, NONE),
    ("lifecycle-hooks", {"lifecycleHooksProfile.lifecycleHooks": []}, NONE),
    ("external-health", {"externalHealthPolicy.enabled": False}, NONE),
    ("scale-in-unhealthy-first", {"scaleInPolicy.prioritizeUnhealthyVMs": False}, NONE),
    ("upgrade-policy", {"upgradePolicy.mode": "Manual"}, NONE),
    ("operator-rollout-policy", {"rolloutPolicy": {"healthTimeout": "PT10M"}}, NONE),
    (
        "autoscale",
        {
            "capacityOwner": "Autoscale",
            "autoscale": {"profiles": [{"name": "default", "capacity": {"minimum": 1, "maximum": 9, "default": 2}}]},
        },
        NONE,
    ),
    ("capacity", {"sku.capacity": 7}, SCALE),
    ("sku-profile", {"skuProfile.allocationStrategy": "LowestPrice"}, NEW_ONLY),
    ("orchestration-mode", {"orchestrationMode": "Uniform"}, REFUSED),
    ("extended-location", {"extendedLocation.name": "dallas"}, REFUSED),
    # the instance model
    ("sku-name", {"sku.name": "Standard_D4s_v5"}, UPGRADE),
    ("plan", {"plan.promotionCode": "PROMO2"}, UPGRADE),
    ("additional-capabilities", {"additionalCapabilities.hibernationEnabled": True}, UPGRADE),
    ("security-trusted-launch", {f"{VM}.securityProfile.uefiSettings.secureBootEnabled": False}, UPGRADE),
    ("encryption-at-host", {f"{VM}.securityProfile.encryptionAtHost": False}, UPGRADE),
    ("to-confidential-vm", {f"{VM}.securityProfile.securityType": "ConfidentialVM"}, REFUSED),
    ("boot-diagnostics", {f"{VM}.diagnosticsProfile.bootDiagnostics.enabled": False}, UPGRADE),
    ("license-type", {f"{VM}.licenseType": "SLES_BYOS"}, UPGRADE),
    ("priority", {f"{VM}.priority": "Regular", f"{VM}.evictionPolicy": None, f"{VM}.billingProfile": None}, REFUSED),
    ("eviction-policy", {f"{VM}.evictionPolicy": "Delete"}, REFUSED),
    ("spot-max-price", {f"{VM}.billingProfile.maxPrice": -1}, UPGRADE),
    (
        "terminate-notification",
        {f"{VM}.scheduledEventsProfile.terminateNotificationProfile.notBeforeTimeout": "PT15M"},
        UPGRADE,
    ),
    ("user-data-secret", {f"{VM}.userDataSecretRef.key": "other"}, UPGRADE),
    ("user-data-plain", {f"{VM}.userDataSecretRef": None, f"{VM}.userData": "b3RoZXI="}, UPGRADE),
    ("capacity-reservation", {f"{VM}.capacityReservation.disableCapacityReservationAssignment": True}, UPGRADE),
    ("gallery-applications", {f"{VM}.applicationProfile.galleryApplications": []}, UPGRADE),
    ("hardware-profile", {f"{VM}.hardwareProfile.processorMode": "Opportunistic"}, UPGRADE),
    ("security-posture", {f"{VM}.securityPostureReference.isOverridable": False}, UPGRADE),
    ("service-artifact", {f"{VM}.serviceArtifactReference.id": f"{SUB}/artifact2"}, UPGRADE),
    ("interconnect-block", {f"{VM}.interconnectBlockProfile.interconnectBlock.id": f"{SUB}/ib2"}, UPGRADE),
    # OS profile: new and reimaged instances only
    ("custom-data", {f"{VM}.osProfile.customData": "b3RoZXI="}, NEW_ONLY),
    ("admin-password-secret", {f"{VM}.osProfile.adminPasswordSecretRef.key": "rotated"}, NEW_ONLY),
    ("guest-patching", {f"{VM}.osProfile.linuxConfiguration.patchSettings.patchMode": "ImageDefault"}, NEW_ONLY),
    ("vm-agent", {f"{VM}.osProfile.linuxConfiguration.provisionVMAgent": False}, NEW_ONLY),
    ("key-vault-certificates", {f"{VM}.osProfile.secrets": []}, NEW_ONLY),
    ("extension-operations", {f"{VM}.osProfile.allowExtensionOperations": False}, NEW_ONLY),
    ("computer-name-prefix", {f"{VM}.osProfile.computerNamePrefix": "api"}, REFUSED),
    # storage
    ("image-version", {f"{VM}.storageProfile.imageReference.version": "2024.02.15"}, UPGRADE),
    ("image-offer", {f"{VM}.storageProfile.imageReference.offer": "ubuntu-24_04-lts"}, REFUSED),
    ("os-disk-size", {f"{VM}.storageProfile.osDisk.diskSizeGB": 128}, REIMAGE),
    ("os-disk-encryption-set", {f"{VM}.storageProfile.osDisk.managedDisk.diskEncryptionSet": None}, REIMAGE),
    ("os-disk-storage-type", {f"{VM}.storageProfile.osDisk.managedDisk.storageAccountType": "Standard_LRS"}, REFUSED),
    ("ephemeral-os-disk", {f"{VM}.storageProfile.osDisk.diffDiskSettings": None}, REFUSED),
    ("os-disk-caching", {f"{VM}.storageProfile.osDisk.caching": "ReadWrite"}, UPGRADE),
    ("os-disk-delete-option", {f"{VM}.storageProfile.osDisk.deleteOption": "Detach"}, UPGRADE),
    ("disk-controller", {f"{VM}.storageProfile.diskControllerType": "SCSI"}, UPGRADE),
    (
        "data-disk-added",
        {f"{VM}.storageProfile.dataDisks": [*BASE[VM]["storageProfile"]["dataDisks"], {"lun": 5, "diskSizeGB": 8}]},
        UPGRADE,
    ),
    (
        "data-disk-size",
        {f"{VM}.storageProfile.dataDisks": [{**BASE[VM]["storageProfile"]["dataDisks"][0], "diskSizeGB": 256}]},
        REIMAGE,
    ),
    (
        "data-disk-iops",
        {
            f"{VM}.storageProfile.dataDisks": [
                {**BASE[VM]["storageProfile"]["dataDisks"][0], "diskIOPSReadWrite": 5000},
                BASE[VM]["storageProfile"]["dataDisks"][1],
            ]
        },
        UPGRADE,
    ),
    # network
    (
        "nic-dns",
        {
            f"{NIC}": [
                {
                    **BASE[VM]["networkProfile"]["networkInterfaceConfigurations"][0],
                    "properties": {
                        **BASE[VM]["networkProfile"]["networkInterfaceConfigurations"][0]["properties"],
                        "dnsSettings": {"dnsServers": ["10.0.0.9"]},
                    },
                }
            ]
        },
        UPGRADE,
    ),
    ("network-api-version", {f"{VM}.networkProfile.networkApiVersion": "2020-11-01"}, UPGRADE),
    # extensions
    (
        "extension-force-update-tag",
        {
            f"{VM}.extensionProfile.extensions": [
                BASE[VM]["extensionProfile"]["extensions"][0],
                {
                    **BASE[VM]["extensionProfile"]["extensions"][1],
                    "properties": {
                        **BASE[VM]["extensionProfile"]["extensions"][1]["properties"],
                        "forceUpdateTag": "2024-07-01",
                    },
                },
                BASE[VM]["extensionProfile"]["extensions"][2],
            ]
        },
        UPGRADE,
    ),
    (
        "extension-removed",
        {f"{VM}.extensionProfile.extensions": BASE[VM]["extensionProfile"]["extensions"][:1]},
        UPGRADE,
    ),
    ("extensions-time-budget", {f"{VM}.extensionProfile.extensionsTimeBudget": "PT90M"}, UPGRADE),
]


@pytest.mark.parametrize(("change", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_each_change_is_classified_the_way_azure_applies_it(change: dict[str, Any], expected: Impact) -> None:
    old = ScaleSetSpec.model_validate(BASE)
    new = ScaleSetSpec.model_validate(with_overrides(BASE, **change))
    result = classify(old, new)
    assert result.changes, "the change was seen"
    assert result.worst is expected, [(c.path, c.impact.label, c.reason) for c in result.changes]
    assert all(c.reason for c in result.changes)


def test_the_fault_domain_count_is_fixed_at_creation() -> None:
    # The maximal spec is Flexible across zones, where Azure allows only 1: compare Uniform specs.
    uniform = with_overrides(BASE, orchestrationMode="Uniform")
    result = classify(
        ScaleSetSpec.model_validate(uniform),
        ScaleSetSpec.model_validate(with_overrides(uniform, platformFaultDomainCount=2)),
    )
    assert [c.path for c in result.refused] == ["platformFaultDomainCount"]
    assert result.worst is REFUSED


def test_an_unchanged_spec_has_no_changes_and_no_worst_impact() -> None:
    spec = ScaleSetSpec.model_validate(BASE)
    assert classify(spec, spec).changes == ()
    assert classify(spec, spec).worst is None


def test_entries_name_the_field_with_list_keys_and_the_refused_ones_are_listed() -> None:
    old = ScaleSetSpec.model_validate(BASE)
    disks = [{**BASE[VM]["storageProfile"]["dataDisks"][0], "diskSizeGB": 256}]
    new = ScaleSetSpec.model_validate(
        with_overrides(BASE, **{f"{VM}.storageProfile.dataDisks": disks, "orchestrationMode": "Uniform"})
    )
    result = classify(old, new)
    by_path = {c.path: c for c in result.changes}
    resized = by_path[f"{VM}.storageProfile.dataDisks[lun=0].diskSizeGB"]
    assert (resized.old, resized.new, resized.impact) == (128, 256, REIMAGE)
    assert "reimage-all" in resized.reason
    removed = by_path[f"{VM}.storageProfile.dataDisks[lun=1]"]
    assert (removed.new, removed.impact) == (None, UPGRADE), "a removed disk is one change, detached by the upgrade"
    assert [c.path for c in result.refused] == ["orchestrationMode"]
    assert sorted(c.impact.label for c in result.at_least(REIMAGE)) == ["Immutable", "ReimageNeeded"]


def test_a_field_without_a_rule_is_a_scale_set_setting_and_unknown_depth_falls_back() -> None:
    assert rule_for("resiliencyPolicy.zoneAllocationPolicy.maxZoneCount")[0] is NONE
    assert rule_for(f"{VM}.storageProfile.dataDisks[lun=3].managedDisk.diskEncryptionSet.id")[0] is REIMAGE
    assert rule_for(f"{VM}.osProfile.windowsConfiguration.winRM.listeners[protocol=Https]")[0] is NEW_ONLY
