"""DesiredModel -> the SDK scale set body: Azure's names, Manual mode, hash tags, the password."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from azure.mgmt.compute import models as sdk
from azure.mgmt.compute._utils.model_base import SdkJSONEncoder

from scaleset_operator.backends.azure import mapping
from scaleset_operator.cloud.desired import MODEL_HASH_TAG, desired_model, scale_set_key
from scaleset_operator.simulator.arm import parse
from tests.keys import TEST_KEY

from ..scenarios import SUBSCRIPTION, World, changed, make_spec

PASSWORD = "S3cret-Passw0rd!"
EXTENSION = {
    "name": "health",
    "properties": {
        "publisher": "Microsoft.ManagedServices",
        "type": "ApplicationHealthLinux",
        "typeHandlerVersion": "1.0",
        "settings": {"protocol": "http", "port": 80, "requestPath": "/health"},
    },
}
NETWORK = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network"
LB = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-web/providers/Microsoft.Network/loadBalancers/lb"
NICS = [
    {
        "name": "web-nic",
        "properties": {
            "primary": True,
            "enableAcceleratedNetworking": True,
            "networkSecurityGroup": {"id": f"{NETWORK}/networkSecurityGroups/nsg-web"},
            "ipConfigurations": [
                {
                    "name": "ipv4",
                    "properties": {
                        "primary": True,
                        "subnet": {"id": f"{NETWORK}/virtualNetworks/vnet/subnets/web"},
                        "loadBalancerBackendAddressPools": [{"id": f"{LB}/backendAddressPools/web"}],
                        "loadBalancerInboundNatPools": [{"id": f"{LB}/inboundNatPools/ssh"}],
                        "publicIPAddressConfiguration": {"name": "pip", "properties": {"idleTimeoutInMinutes": 10}},
                    },
                },
                {
                    "name": "ipv6",
                    "properties": {
                        "subnet": {"id": f"{NETWORK}/virtualNetworks/vnet/subnets/web"},
                        "privateIPAddressVersion": "IPv6",
                    },
                },
            ],
        },
    },
    {
        "name": "backend-nic",
        "properties": {
            "enableIPForwarding": True,
            "ipConfigurations": [
                {
                    "name": "ip",
                    "properties": {
                        "subnet": {"id": f"{NETWORK}/virtualNetworks/vnet/subnets/backend"},
                        "applicationGatewayBackendAddressPools": [{"id": f"{NETWORK}/applicationGateways/agw/pool"}],
                    },
                }
            ],
        },
    },
]
NICS_PATH = "virtualMachineProfile.networkProfile.networkInterfaceConfigurations"


def wire(body: Any) -> dict[str, Any]:
    """What the SDK puts on the wire for a model (read-only fields excluded)."""
    result: dict[str, Any] = json.loads(json.dumps(body, cls=SdkJSONEncoder, exclude_readonly=True))
    return result


def full_spec() -> Any:
    return changed(
        make_spec(**{"upgradePolicy.mode": "Rolling", "zones": ["1", "2"], "overprovision": True}),
        **{
            "virtualMachineProfile.osProfile.customData": "I2Nsb3VkLWNvbmZpZw==",
            "virtualMachineProfile.osProfile.linuxConfiguration": {
                "disablePasswordAuthentication": True,
                "ssh": {
                    "publicKeys": [{"path": "/home/azureuser/.ssh/authorized_keys", "keyData": "ssh-ed25519 AAAA"}]
                },
            },
            "virtualMachineProfile.extensionProfile": {"extensions": [EXTENSION]},
            NICS_PATH: NICS,
            "scaleInPolicy": {"rules": ["NewestVM"], "forceDeletion": True},
        },
    )


def test_the_body_uses_azures_names_and_always_manual_mode() -> None:
    model = desired_model(full_spec(), PASSWORD, fingerprints=TEST_KEY)
    body = wire(mapping.scale_set(model, 4))
    props = body["properties"]
    profile = props["virtualMachineProfile"]

    assert body["sku"] == {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": 4}
    assert body["zones"] == ["1", "2"]
    assert props["upgradePolicy"] == {"mode": "Manual"}, "the operator orchestrates upgrades itself"
    assert props["scaleInPolicy"] == {"rules": ["NewestVM"], "forceDeletion": True}
    assert (props["overprovision"], props["platformFaultDomainCount"]) == (True, 5)
    assert profile["osProfile"]["adminPassword"] == PASSWORD
    assert profile["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"] == "ssh-ed25519 AAAA"
    assert profile["storageProfile"]["dataDisks"] == [
        {
            "lun": 0,
            "diskSizeGB": 32,
            "createOption": "Empty",
            "caching": "None",
            "managedDisk": {"storageAccountType": "Standard_LRS"},
        }
    ]
    assert profile["storageProfile"]["imageReference"]["version"] == "latest"
    assert profile["networkProfile"]["healthProbe"]["id"].endswith("/probes/http")
    assert profile["extensionProfile"]["extensions"][0]["properties"]["type"] == "ApplicationHealthLinux"
    assert body["tags"] == {
        MODEL_HASH_TAG: model.model_hash(),
        mapping.SETTINGS_HASH_TAG: model.settings_hash(),
        mapping.HASH_SCHEME_TAG: TEST_KEY.scheme,
    }


def test_the_tags_sent_are_the_models_own_and_ours() -> None:
    """Tags set by others are in the model the planner sends (the observed ones with the spec's over
    them: planner/model_drift.py); ours are computed, whatever the model says they were."""
    model = desired_model(make_spec(tags={"costCenter": "42", MODEL_HASH_TAG: "stale"}), fingerprints=TEST_KEY)
    body = mapping.scale_set(model, 1)
    assert body.tags == {
        "costCenter": "42",
        MODEL_HASH_TAG: model.model_hash(),
        mapping.SETTINGS_HASH_TAG: model.settings_hash(),
        mapping.HASH_SCHEME_TAG: TEST_KEY.scheme,
    }


def test_the_simulator_reads_back_the_model_the_backend_sent() -> None:
    """Mapping and the endpoint's parser agree: the same model (and so the same hashes, with the
    same key) both ways; the values reach the parser, and only its keyed fingerprints are kept."""
    model = desired_model(full_spec(), PASSWORD, fingerprints=TEST_KEY)
    parsed = parse.desired_model(wire(mapping.scale_set(model, 4))).fingerprinted(TEST_KEY)
    assert parsed.model_hash() == model.model_hash()
    assert parsed.settings_hash() == model.settings_hash()
    assert parsed.os_profile_fingerprint() == model.os_profile_fingerprint()


def test_nic_configurations_are_sent_under_azures_names_next_to_the_health_probe() -> None:
    body = wire(mapping.scale_set(desired_model(full_spec(), PASSWORD, fingerprints=TEST_KEY), 4))
    network = body["properties"]["virtualMachineProfile"]["networkProfile"]
    assert network["healthProbe"]["id"].endswith("/probes/http")
    web, backend = network["networkInterfaceConfigurations"]
    assert web == {
        "name": "web-nic",
        "properties": {
            "primary": True,
            "enableAcceleratedNetworking": True,
            "enableIPForwarding": False,
            "networkSecurityGroup": {"id": f"{NETWORK}/networkSecurityGroups/nsg-web"},
            "ipConfigurations": [
                {
                    "name": "ipv4",
                    "properties": {
                        "primary": True,
                        "subnet": {"id": f"{NETWORK}/virtualNetworks/vnet/subnets/web"},
                        "privateIPAddressVersion": "IPv4",
                        "loadBalancerBackendAddressPools": [{"id": f"{LB}/backendAddressPools/web"}],
                        "loadBalancerInboundNatPools": [{"id": f"{LB}/inboundNatPools/ssh"}],
                        "applicationGatewayBackendAddressPools": [],
                        "publicIPAddressConfiguration": {"name": "pip", "properties": {"idleTimeoutInMinutes": 10}},
                    },
                },
                {
                    "name": "ipv6",
                    "properties": {
                        "subnet": {"id": f"{NETWORK}/virtualNetworks/vnet/subnets/web"},
                        "privateIPAddressVersion": "IPv6",
                        "loadBalancerBackendAddressPools": [],
                        "loadBalancerInboundNatPools": [],
                        "applicationGatewayBackendAddressPools": [],
                    },
                },
            ],
        },
    }
    assert "primary" not in backend["properties"], "an unset primary is not sent (Azure decides)"
    assert backend["properties"]["enableIPForwarding"] is True
    assert backend["properties"]["ipConfigurations"][0]["properties"]["applicationGatewayBackendAddressPools"] == [
        {"id": f"{NETWORK}/applicationGateways/agw/pool"}
    ]


def test_nic_configurations_survive_the_sdks_own_deserialization() -> None:
    """What the SDK would read back from Azure (the same JSON) holds the same NICs, field for field."""
    sent = wire(mapping.scale_set(desired_model(full_spec(), PASSWORD, fingerprints=TEST_KEY), 4))
    read = sdk.VirtualMachineScaleSet(sent)
    assert read.properties is not None and read.properties.virtual_machine_profile is not None
    network = read.properties.virtual_machine_profile.network_profile
    assert network is not None and network.network_interface_configurations is not None
    web = network.network_interface_configurations[0]
    assert (web.name, web.primary, web.enable_accelerated_networking) == ("web-nic", True, True)
    ip = web.ip_configurations[0]
    assert ip.subnet.id == f"{NETWORK}/virtualNetworks/vnet/subnets/web"
    assert [pool.id for pool in ip.load_balancer_backend_address_pools] == [f"{LB}/backendAddressPools/web"]
    assert ip.public_ip_address_configuration.idle_timeout_in_minutes == 10
    assert wire(read) == sent


def test_without_nics_or_probe_no_network_profile_is_sent() -> None:
    spec = make_spec(**{"virtualMachineProfile.networkProfile": {}})
    profile = wire(mapping.scale_set(desired_model(spec, fingerprints=TEST_KEY), 1))["properties"][
        "virtualMachineProfile"
    ]
    assert "networkProfile" not in profile


def test_a_nic_only_network_profile_sends_no_health_probe() -> None:
    spec = make_spec(**{"virtualMachineProfile.networkProfile": {"networkInterfaceConfigurations": NICS[1:]}})
    network = wire(mapping.scale_set(desired_model(spec, fingerprints=TEST_KEY), 1))["properties"][
        "virtualMachineProfile"
    ]["networkProfile"]
    assert list(network) == ["networkInterfaceConfigurations"]


async def test_nic_configurations_round_trip_through_the_endpoint_and_a_nic_change_makes_instances_stale(
    azure_world: World,
) -> None:
    """Real SDK -> HTTPS -> the endpoint's parser -> the engine, and the GET back through the SDK."""
    spec = full_spec()
    key = scale_set_key(spec, "web")
    model = desired_model(spec, PASSWORD, fingerprints=TEST_KEY)
    await azure_world.backend.apply(key, model, 2)
    stored = azure_world.cloud.model(key)
    assert stored is not None
    assert stored.profile == model.profile and stored.settings_hash() == model.settings_hash()
    observed = await azure_world.backend.get(key)
    assert observed is not None and observed.model_hash == model.model_hash()
    assert all(i.latest_model_applied for i in observed.instances)

    nics = json.loads(json.dumps(NICS))
    nics[0]["properties"]["ipConfigurations"][0]["properties"]["loadBalancerBackendAddressPools"].append(
        {"id": f"{LB}/backendAddressPools/canary"}
    )
    moved = desired_model(changed(spec, **{NICS_PATH: nics}), PASSWORD, fingerprints=TEST_KEY)
    assert moved.model_hash() != model.model_hash()
    await azure_world.backend.apply(key, moved, 2)
    stored = azure_world.cloud.model(key)
    assert stored is not None and stored.profile == moved.profile
    observed = await azure_world.backend.get(key)
    assert observed is not None and observed.instances and observed.model_hash == moved.model_hash()
    assert not any(i.latest_model_applied for i in observed.instances), "a NIC change is a model change"


def test_a_gallery_image_is_sent_by_id() -> None:
    gallery = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/web"
    spec = changed(make_spec(), **{"virtualMachineProfile.storageProfile.imageReference": {"id": gallery}})
    body = wire(mapping.scale_set(desired_model(spec, fingerprints=TEST_KEY), 1))
    assert body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"] == {"id": gallery}


async def test_the_admin_password_is_never_logged(azure_world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    spec = make_spec(**{"sku.capacity": 1})
    model = desired_model(spec, PASSWORD, fingerprints=TEST_KEY)

    await azure_world.backend.apply(scale_set_key(spec, "web"), model, 1)
    await azure_world.backend.get(scale_set_key(spec, "web"))
    assert caplog.records, "something was logged at DEBUG"
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(model)
