"""The stored scale set document: JSON Merge Patch, secrets kept only as keyed markers (and kept
when a write omits them), read-only fields dropped, and what ARM refuses before anything changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scaleset_operator.simulator.arm import documents, validation
from scaleset_operator.simulator.arm.errors import ArmError

from .conftest import VMSS, Http, scale_set_body

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SEALER = documents.SecretSealer(b"k" * 32)


def with_extension(body: dict[str, Any], name: str = "health", secret: str | None = "s3cret") -> dict[str, Any]:
    props: dict[str, Any] = {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux"}
    if secret is not None:
        props["protectedSettings"] = {"token": secret}
    body["properties"]["virtualMachineProfile"]["extensionProfile"] = {
        "extensions": [{"name": name, "properties": props}]
    }
    return body


@pytest.mark.parametrize(
    ("target", "patch", "merged"),
    [
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}, {"a": {"b": 3, "c": 2}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": 1, "b": 2}, {"a": None}, {"b": 2}),
        ({"a": "x"}, {"a": {"b": 1}}, {"a": {"b": 1}}),
    ],
)
def test_merge_patch_is_rfc_7386(target: dict[str, Any], patch: dict[str, Any], merged: dict[str, Any]) -> None:
    assert documents.merge_patch(target, patch) == merged


def test_secrets_are_sealed_not_stored_and_kept_when_a_write_omits_them() -> None:
    first = documents.accept(with_extension(scale_set_body()), SEALER, None, NOW, "id-1")
    omitted = scale_set_body()
    del omitted["properties"]["virtualMachineProfile"]["osProfile"]["adminPassword"]
    second = documents.accept(with_extension(omitted, secret=None), SEALER, first, NOW, "id-2")
    changed = documents.accept(with_extension(scale_set_body(), secret="other"), SEALER, second, NOW, "id-3")
    dropped = documents.accept(scale_set_body(), SEALER, changed, NOW, "id-4")

    assert "Pa55-word" not in repr(first) and "s3cret" not in repr(first)
    assert set(first.secrets) == {"osProfile.adminPassword", "extensions[health].protectedSettings"}
    assert second.secrets == first.secrets and second.unique_id == "id-1"
    assert (
        changed.secrets["extensions[health].protectedSettings"] != first.secrets["extensions[health].protectedSettings"]
    )
    assert "extensions[health].protectedSettings" not in dropped.secrets, "the extension is gone, so is its marker"


def test_read_only_fields_a_client_sends_back_are_dropped() -> None:
    body = scale_set_body()
    body.update(id="/x", name="web", type="t", etag='"3"')
    body["properties"].update(provisioningState="Succeeded", uniqueId="u", timeCreated="t")
    body["identity"] = {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"}
    stored = documents.accept(body, SEALER, None, NOW, "id")
    assert not {"id", "name", "type", "etag"} & set(stored.body)
    assert not {"provisioningState", "uniqueId", "timeCreated"} & set(stored.properties)
    assert stored.body["identity"] == {"type": "SystemAssigned"}


@pytest.mark.parametrize(
    ("properties", "code", "fragment"),
    [
        ({"orchestrationMode": "Flexible", "overprovision": True}, "InvalidParameter", "properties.overprovision"),
        ({"orchestrationMode": "Flexible", "singlePlacementGroup": True}, "InvalidParameter", "singlePlacementGroup"),
        ({"orchestrationMode": "Elastic"}, "InvalidParameter", "orchestrationMode"),
        ({"upgradePolicy": {"mode": "Rolling"}}, "BadRequest", "health probe or health extension"),
        (
            {"upgradePolicy": {"mode": "Rolling", "rollingUpgradePolicy": {"maxBatchInstancePercent": 200}}},
            "InvalidParameter",
            "maxBatchInstancePercent",
        ),
    ],
)
def test_what_arm_refuses_before_anything_changes(properties: dict[str, Any], code: str, fragment: str) -> None:
    body = scale_set_body()
    body["properties"].update(properties)
    with pytest.raises(ArmError) as refused:
        validation.check(body)
    assert (refused.value.status, refused.value.code) == (400, code) and fragment in refused.value.message


def test_rolling_with_a_probe_is_fine_for_uniform_but_flexible_needs_the_extension() -> None:
    body = scale_set_body()
    body["properties"]["upgradePolicy"] = {"mode": "Rolling"}
    body["properties"]["virtualMachineProfile"]["networkProfile"]["healthProbe"] = {"id": "/probe"}
    assert validation.check(body)[1].mode == "Rolling"
    body["properties"]["orchestrationMode"] = "Flexible"
    body["properties"]["overprovision"] = False
    with pytest.raises(ArmError):
        validation.check(body)
    assert validation.check(with_extension(body))[0] == "Flexible"


async def test_a_refused_write_changes_nothing_and_echoes_the_client_request_id(http: Http) -> None:
    body = scale_set_body()
    body["properties"].update(orchestrationMode="Flexible", overprovision=True)
    refused = await http.call("PUT", VMSS, body, headers={"x-ms-client-request-id": "abc"})
    missing = await http.call("GET", VMSS)
    assert refused.status == 400 and refused.headers["x-ms-client-request-id"] == "abc"
    assert refused.headers["x-ms-request-id"] and missing.status == 404
