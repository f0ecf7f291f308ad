"""DesiredModel -> the SDK scale set body: Azure's names, Manual mode, hash tags, the password."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from azure.mgmt.compute._utils.model_base import SdkJSONEncoder

from scaleset_operator.backends.azure import mapping
from scaleset_operator.cloud.desired import MODEL_HASH_TAG, desired_model, scale_set_key
from scaleset_operator.simulator.arm import parse

from ..scenarios import World, changed, make_spec

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
            "scaleInPolicy": {"rules": ["NewestVM"], "forceDeletion": True},
        },
    )


def test_the_body_uses_azures_names_and_always_manual_mode() -> None:
    model = desired_model(full_spec(), PASSWORD)
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
    assert body["tags"] == {MODEL_HASH_TAG: model.model_hash(), mapping.SETTINGS_HASH_TAG: model.settings_hash()}


def test_tags_set_by_others_are_kept_and_ours_are_replaced() -> None:
    model = desired_model(make_spec())
    body = mapping.scale_set(model, 1, {"costCenter": "42", MODEL_HASH_TAG: "stale"})
    assert body.tags == {
        "costCenter": "42",
        MODEL_HASH_TAG: model.model_hash(),
        mapping.SETTINGS_HASH_TAG: model.settings_hash(),
    }


def test_the_simulator_reads_back_the_model_the_backend_sent() -> None:
    """Mapping and the endpoint's parser agree: the same model (and so the same hashes) both ways."""
    model = desired_model(full_spec(), PASSWORD)
    parsed = parse.desired_model(wire(mapping.scale_set(model, 4)))
    assert parsed.model_hash() == model.model_hash()
    assert parsed.settings_hash() == model.settings_hash()
    assert parsed.os_profile_fingerprint() == model.os_profile_fingerprint()


def test_a_gallery_image_is_sent_by_id() -> None:
    gallery = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/web"
    spec = changed(make_spec(), **{"virtualMachineProfile.storageProfile.imageReference": {"id": gallery}})
    body = wire(mapping.scale_set(desired_model(spec), 1))
    assert body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"] == {"id": gallery}


async def test_the_admin_password_is_never_logged(azure_world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    spec = make_spec(**{"sku.capacity": 1})
    model = desired_model(spec, PASSWORD)

    await azure_world.backend.apply(scale_set_key(spec, "web"), model, 1)
    await azure_world.backend.get(scale_set_key(spec, "web"))
    assert caplog.records, "something was logged at DEBUG"
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(model)
