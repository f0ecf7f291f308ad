"""The ARM endpoint as any Azure client sees it, through the real azure-mgmt-compute client: every
property a PUT sends comes back (modulo read-only fields and secrets), PATCH merges, the routes
Azure's own tools call, the api-version range, and Azure's own Rolling mode run by the simulator
for a client other than the operator."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import models as sdk
from azure.mgmt.compute.aio import ComputeManagementClient

from scaleset_operator.backends.azure import StaticTokenCredential
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.simulator.arm import ArmEndpoint, ArmState
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

from .conftest import TOKEN

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-web"
KEY = ScaleSetKey(SUB, RG, "web")
PASSWORD = "Pa55-w0rd-never-returned"
PROTECTED = "protected-token-never-returned"
IDENTITY = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/web"
JAMMY = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2"}
HEALTH_EXTENSION = {
    "name": "health",
    "properties": {
        "publisher": "Microsoft.ManagedServices",
        "type": "ApplicationHealthLinux",
        "typeHandlerVersion": "2.0",
        "autoUpgradeMinorVersion": True,
        "settings": {"protocol": "http", "port": 80, "requestPath": "/healthz"},
        "protectedSettings": {"token": PROTECTED},
    },
}


def production_scale_set(mode: str = "Flexible", capacity: int = 2) -> dict[str, Any]:
    """A scale set as platform teams run them, in Azure's JSON (every property the issue lists)."""
    flexible = mode == "Flexible"
    return {
        "location": "westeurope",
        "tags": {"team": "web", "cost-center": "42"},
        "identity": {
            "type": "UserAssigned" if flexible else "SystemAssigned, UserAssigned",
            "userAssignedIdentities": {IDENTITY: {}},
        },
        "zones": ["1", "2", "3"],
        "sku": {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": capacity},
        "properties": {
            "orchestrationMode": mode,
            "singlePlacementGroup": not flexible,
            "platformFaultDomainCount": 1,
            "upgradePolicy": {"mode": "Manual"},
            "automaticRepairsPolicy": {"enabled": True, "gracePeriod": "PT30M", "repairAction": "Replace"},
            "scaleInPolicy": {"rules": ["Default"], "forceDeletion": False},
            "spotRestorePolicy": {"enabled": True, "restoreTimeout": "PT1H"},
            "virtualMachineProfile": vm_profile(),
        },
    }


def vm_profile() -> dict[str, Any]:
    return {
        "osProfile": {
            "computerNamePrefix": "web",
            "adminUsername": "azureuser",
            "adminPassword": PASSWORD,
            "linuxConfiguration": {"disablePasswordAuthentication": False, "provisionVMAgent": True},
        },
        "storageProfile": {
            "imageReference": {**JAMMY, "version": "latest"},
            "osDisk": {
                "createOption": "FromImage",
                "caching": "ReadWrite",
                "managedDisk": {"storageAccountType": "Premium_LRS"},
            },
            "dataDisks": [{"lun": 0, "diskSizeGB": 32, "createOption": "Empty", "caching": "None"}],
        },
        "networkProfile": {
            "networkApiVersion": "2020-11-01",
            "networkInterfaceConfigurations": [
                {
                    "name": "nic",
                    "properties": {
                        "primary": True,
                        "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": SUBNET}}}],
                    },
                }
            ],
        },
        "securityProfile": {
            "securityType": "TrustedLaunch",
            "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
            "encryptionAtHost": True,
        },
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
        "extensionProfile": {"extensions": [copy.deepcopy(HEALTH_EXTENSION)]},
        "userData": base64.b64encode(b"#!/bin/sh\necho hello\n").decode(),
        "priority": "Spot",
        "evictionPolicy": "Delete",
        "billingProfile": {"maxPrice": -1},
        "scheduledEventsProfile": {"terminateNotificationProfile": {"enable": True, "notBeforeTimeout": "PT10M"}},
    }


def without_secrets(body: dict[str, Any]) -> dict[str, Any]:
    sent = copy.deepcopy(body)
    profile = sent["properties"]["virtualMachineProfile"]
    del profile["osProfile"]["adminPassword"]
    for extension in profile["extensionProfile"]["extensions"]:
        extension["properties"].pop("protectedSettings", None)
    return sent


def without_read_only(body: dict[str, Any]) -> dict[str, Any]:
    got = copy.deepcopy(body)
    for name in ("id", "name", "type", "etag"):
        del got[name]
    for name in ("provisioningState", "uniqueId", "timeCreated"):
        del got["properties"][name]
    identity = got.get("identity", {})
    for name in ("principalId", "tenantId"):
        identity.pop(name, None)
    for assigned in identity.get("userAssignedIdentities", {}).values():
        assigned.pop("principalId", None)
        assigned.pop("clientId", None)
    return got


@dataclass
class Sdk:
    client: ComputeManagementClient
    cloud: SimulatedCloud
    clock: ManualClock
    arm: ArmState
    endpoint: ArmEndpoint

    async def put(self, body: dict[str, Any], name: str = "web") -> sdk.VirtualMachineScaleSet:
        poller = await self.client.virtual_machine_scale_sets.begin_create_or_update(
            RG, name, sdk.VirtualMachineScaleSet(copy.deepcopy(body))
        )
        self.clock.advance(60)
        return await poller.result()

    async def instance_ids(self) -> list[str]:
        snapshot = self.cloud.snapshot(KEY)
        assert snapshot is not None
        return [i.instance_id for i in snapshot.instances]


def client_for(endpoint: ArmEndpoint) -> ComputeManagementClient:
    return ComputeManagementClient(
        StaticTokenCredential(TOKEN),
        SUB,
        base_url=endpoint.url,
        connection_verify=str(endpoint.ca_path),
        polling_interval=0.05,
        retry_total=0,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def arm(arm_endpoint: ArmEndpoint) -> AsyncIterator[Sdk]:
    clock = ManualClock()
    cloud = SimulatedCloud(clock)
    arm_endpoint.state.reset(cloud)
    client = client_for(arm_endpoint)
    yield Sdk(client, cloud, clock, arm_endpoint.state, arm_endpoint)
    await client.close()


# -- every property round-trips ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["Flexible", "Uniform"])
async def test_every_property_a_put_sends_comes_back(arm: Sdk, mode: str) -> None:
    body = production_scale_set(mode)
    created = await arm.put(body)
    read = await arm.client.virtual_machine_scale_sets.get(RG, "web", expand="userData")
    plain = await arm.client.virtual_machine_scale_sets.get(RG, "web")

    assert without_read_only(read.as_dict()) == without_secrets(body)
    expected = without_secrets(body)
    del expected["properties"]["virtualMachineProfile"]["userData"]
    assert without_read_only(created.as_dict()) == expected
    assert read.properties.orchestration_mode == mode
    assert "userData" not in plain.as_dict()["properties"]["virtualMachineProfile"], "only with $expand=userData"
    wire = json.dumps([read.as_dict(), created.as_dict()])
    assert PASSWORD not in wire and PROTECTED not in wire, "secrets are never returned"
    stored = repr(arm.arm.documents) + json.dumps({str(k): v.body for k, v in arm.arm.documents.items()})
    assert PASSWORD not in stored and PROTECTED not in stored, "nor kept in clear"
    identity = read.as_dict()["identity"]["userAssignedIdentities"][IDENTITY]
    assert ("clientId" in identity) == (mode == "Uniform"), "Flexible only references the identity"
    if mode == "Flexible":
        assert all(i.startswith("web_") for i in await arm.instance_ids())


async def test_patch_merges_into_what_is_stored_and_is_applied_like_a_put(arm: Sdk) -> None:
    await arm.put(production_scale_set(capacity=2))
    update = sdk.VirtualMachineScaleSetUpdate(
        tags={"team": "api"},
        sku=sdk.Sku(capacity=3),
        properties=sdk.VirtualMachineScaleSetUpdateProperties(
            virtual_machine_profile=sdk.VirtualMachineScaleSetUpdateVMProfile(
                storage_profile=sdk.VirtualMachineScaleSetUpdateStorageProfile(
                    data_disks=[sdk.VirtualMachineScaleSetDataDisk(lun=0, disk_size_gb=64, create_option="Empty")]
                )
            )
        ),
    )
    poller = await arm.client.virtual_machine_scale_sets.begin_update(RG, "web", update)
    arm.clock.advance(60)
    updated = (await poller.result()).as_dict()

    assert updated["tags"] == {"team": "api"}, "tags are replaced whole"
    assert updated["sku"]["capacity"] == 3 and len(await arm.instance_ids()) == 3
    profile = updated["properties"]["virtualMachineProfile"]
    assert profile["securityProfile"]["securityType"] == "TrustedLaunch" and profile["priority"] == "Spot"
    assert profile["storageProfile"]["dataDisks"] == [{"lun": 0, "diskSizeGB": 64, "createOption": "Empty"}]
    assert updated["identity"]["type"] == "UserAssigned"
    model = arm.cloud.model(KEY)
    assert model is not None and model.data_disk_sizes() == {0: 64}
    latest = {i.latest_model_applied for i in arm.cloud.snapshot(KEY).instances[:2]}  # type: ignore[union-attr]
    assert latest == {False}, "the disk change is a model change (the kept password is not)"


# -- api-versions and headers --------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2024-11-01", "2025-04-01", "2025-11-01", "2026-03-01"])
async def test_older_api_versions_in_range_are_served(arm: Sdk, version: str) -> None:
    await arm.put(production_scale_set())
    marker = arm.arm.requests.marker()
    read = await arm.client.virtual_machine_scale_sets.get(RG, "web", api_version=version)
    assert read.name == "web" and [r.status for r in arm.arm.requests.since(marker)] == [200]


async def test_an_api_version_outside_the_range_is_refused_as_azure_does(arm: Sdk) -> None:
    with pytest.raises(HttpResponseError) as refused:
        await arm.client.virtual_machine_scale_sets.get(RG, "web", api_version="2024-07-01")
    assert refused.value.status_code == 400 and refused.value.error is not None
    assert refused.value.error.code == "NoRegisteredProviderFound"


async def test_every_response_carries_a_request_id(arm: Sdk) -> None:
    seen: list[str | None] = []

    def hook(response: Any) -> None:
        seen.append(response.http_response.headers.get("x-ms-request-id"))

    with pytest.raises(HttpResponseError):
        await arm.client.virtual_machine_scale_sets.get(RG, "missing", raw_response_hook=hook)
    await arm.put(production_scale_set())
    await arm.client.virtual_machine_scale_sets.get(RG, "web", raw_response_hook=hook)
    assert len(seen) == 2 and all(seen) and seen[0] != seen[1]


# -- the routes Azure's tools call -------------------------------------------------------------------


async def test_lists_by_resource_group_and_subscription(arm: Sdk) -> None:
    await arm.put(production_scale_set(), "web")
    await arm.put(production_scale_set("Uniform"), "api")
    in_group = sorted([s.name async for s in arm.client.virtual_machine_scale_sets.list(RG)])
    everywhere = [s async for s in arm.client.virtual_machine_scale_sets.list_all()]
    assert in_group == ["api", "web"]
    assert sorted(s.name for s in everywhere) == ["api", "web"]
    assert {s.name: s.properties.orchestration_mode for s in everywhere} == {"api": "Uniform", "web": "Flexible"}


async def test_uniform_instance_views_and_single_vm(arm: Sdk) -> None:
    await arm.put(production_scale_set("Uniform", capacity=2))
    view = await arm.client.virtual_machine_scale_sets.get_instance_view(RG, "web")
    vm = await arm.client.virtual_machine_scale_set_vms.get(RG, "web", "1", expand="instanceView")
    vm_view = await arm.client.virtual_machine_scale_set_vms.get_instance_view(RG, "web", "1")

    assert view.virtual_machine is not None and view.virtual_machine.statuses_summary is not None
    assert [(s.code, s.count) for s in view.virtual_machine.statuses_summary] == [("ProvisioningState/succeeded", 2)]
    assert vm.instance_id == "1" and vm.properties is not None and vm.properties.latest_model_applied
    assert vm_view.vm_health is not None and vm_view.vm_health.status.code == "HealthState/healthy"  # type: ignore[union-attr]


async def test_flexible_vms_through_the_virtual_machine_apis(arm: Sdk) -> None:
    await arm.put(production_scale_set("Flexible", capacity=3))
    await arm.put(production_scale_set("Uniform", capacity=1), "api")  # its instances are not VMs
    scale_set_id = f"'virtualMachineScaleSet/id' eq '{KEY.resource_id}'"
    listed = [vm async for vm in arm.client.virtual_machines.list(RG, filter=scale_set_id, expand="instanceView")]
    everywhere = [vm async for vm in arm.client.virtual_machines.list_all()]
    first = listed[0].name
    assert first is not None
    one = await arm.client.virtual_machines.get(RG, first, expand="instanceView")
    view = await arm.client.virtual_machines.instance_view(RG, first)

    assert sorted(vm.name for vm in listed) == sorted(await arm.instance_ids()) == sorted(vm.name for vm in everywhere)
    assert {vm.properties.virtual_machine_scale_set.id for vm in listed} == {KEY.resource_id}  # type: ignore[union-attr]
    assert one.properties.instance_view.vm_health.status.code == "HealthState/healthy"  # type: ignore[union-attr]
    assert view.computer_name == f"web{first.split('_')[1][:6]}"
    with pytest.raises(HttpResponseError) as refused:
        await arm.client.virtual_machine_scale_sets.get_instance_view(RG, "web")
    assert refused.value.error.code == "OperationNotAllowed"  # type: ignore[union-attr]
    with pytest.raises(HttpResponseError) as unfiltered:
        [vm async for vm in arm.client.virtual_machines.list(RG, expand="instanceView")]
    assert unfiltered.value.status_code == 400


async def test_flexible_vm_actions_one_vm_at_a_time(arm: Sdk) -> None:
    await arm.put(production_scale_set("Flexible", capacity=3))
    a, b, c = await arm.instance_ids()
    reimaged = await arm.client.virtual_machines.begin_reimage(
        RG, a, sdk.VirtualMachineReimageParameters(exact_version="2024.01.10")
    )
    restarted = await arm.client.virtual_machines.begin_restart(RG, b)
    deleted = await arm.client.virtual_machines.begin_delete(RG, c)
    arm.clock.advance(60)
    for poller in (reimaged, restarted, deleted):
        await poller.result()
    snapshot = arm.cloud.snapshot(KEY)

    assert snapshot is not None and snapshot.capacity == 2 and snapshot.ids == {a, b}
    assert snapshot.instance(a).image.version == "2024.01.10"  # type: ignore[union-attr]
    with pytest.raises(HttpResponseError) as batch:
        await arm.client.virtual_machine_scale_sets.begin_restart(
            RG, "web", sdk.VirtualMachineScaleSetVMInstanceIDs(instance_ids=[a])
        )
    assert batch.value.error.code == "OperationNotAllowed"  # type: ignore[union-attr]


async def test_image_versions_ordered_and_topped(arm: Sdk) -> None:
    arm.cloud.catalog.publish_platform(*JAMMY.values(), "2024.10.1")
    arm.cloud.catalog.publish_platform(*JAMMY.values(), "2024.9.30")
    newest = await arm.client.virtual_machine_images.list(
        "westeurope", JAMMY["publisher"], JAMMY["offer"], JAMMY["sku"], top=2, orderby="name desc"
    )
    assert [v.name for v in newest] == ["2024.10.1", "2024.9.30"]


# -- Azure's own upgrade policy, set by a client other than the operator ---------------------------


async def test_a_client_setting_rolling_gets_batches_without_the_operator(arm: Sdk) -> None:
    body = production_scale_set("Uniform", capacity=5)
    await arm.put(body)
    rolling = copy.deepcopy(body)
    rolling["sku"]["name"] = "Standard_D4s_v5"
    rolling["properties"]["upgradePolicy"] = {
        "mode": "Rolling",
        "rollingUpgradePolicy": {"maxBatchInstancePercent": 40, "pauseTimeBetweenBatches": "PT5S"},
    }
    poller = await arm.client.virtual_machine_scale_sets.begin_create_or_update(
        RG, "web", sdk.VirtualMachineScaleSet(rolling)
    )
    busy, codes = [], []
    for _ in range(40):
        arm.clock.advance(5)
        busy.append(sum(i.provisioning_state == "Updating" for i in arm.cloud.snapshot(KEY).instances))  # type: ignore[union-attr]
        latest = await arm.client.virtual_machine_scale_set_rolling_upgrades.get_latest(RG, "web")
        codes.append(latest.properties.running_status.code)  # type: ignore[union-attr]
    await poller.result()

    assert max(busy) == 2, busy
    assert codes[0] == "RollingForward" and codes[-1] == "Completed"
    assert latest.properties.progress.successful_instance_count == 5  # type: ignore[union-attr]
    assert all(i.latest_model_applied for i in arm.cloud.snapshot(KEY).instances)  # type: ignore[union-attr]


async def test_rolling_needs_a_health_signal(arm: Sdk) -> None:
    body = production_scale_set("Flexible")
    body["properties"]["virtualMachineProfile"]["extensionProfile"] = {"extensions": []}
    body["properties"]["upgradePolicy"] = {"mode": "Rolling"}
    with pytest.raises(HttpResponseError) as refused:
        await arm.put(body)
    assert refused.value.error.code == "BadRequest"  # type: ignore[union-attr]
    assert "health probe or health extension" in refused.value.error.message  # type: ignore[union-attr]


async def test_os_rolling_upgrade_cancel_and_history(arm: Sdk) -> None:
    await arm.put(production_scale_set("Uniform", capacity=5))
    arm.cloud.catalog.publish_platform(*JAMMY.values(), "2024.03.01")
    upgrades = arm.client.virtual_machine_scale_set_rolling_upgrades
    started = await upgrades.begin_start_os_upgrade(RG, "web")
    arm.clock.advance(1)
    cancelled = await upgrades.begin_cancel(RG, "web")
    arm.clock.advance(120)
    await started.result()
    await cancelled.result()
    history = [h async for h in arm.client.virtual_machine_scale_sets.get_os_upgrade_history(RG, "web")]
    latest = await upgrades.get_latest(RG, "web")

    assert latest.properties.running_status.code == "Cancelled"  # type: ignore[union-attr]
    assert latest.properties.running_status.last_action == "Cancel"  # type: ignore[union-attr]
    assert len(history) == 1 and history[0].properties.running_status.code == "Cancelled"  # type: ignore[union-attr]
    assert history[0].properties.target_image_reference.version == "2024.03.01"  # type: ignore[union-attr]
    assert history[0].properties.started_by == "User"  # type: ignore[union-attr]
    versions = [i.image.version for i in arm.cloud.snapshot(KEY).instances]  # type: ignore[union-attr]
    assert versions.count("2024.03.01") == 1, "one batch (20% of 5) before the cancel took effect"
