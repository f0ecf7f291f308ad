"""The maximal ScaleSets (tests/api/maximal.yaml): every covered property, applied to a real API
server, mapped to the SDK's body with secrets in place and nowhere else, hashed compatibly."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from azure.mgmt.compute._utils.model_base import SdkJSONEncoder

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.backends.azure import mapping
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.secrets import USER_DATA, protected_settings
from scaleset_operator.localcp import Kubectl
from tests.api.maximal import DOCUMENTS, MANIFESTS, SECRET, SECRETS, maximal_spec, secrets_for
from tests.api.test_coverage import OPERATOR_FIELDS, SECRET_REFS, azure_path, covered_paths

MAP_LEAVES = {"tags", "settings", "userAssignedIdentities"}
"""Maps the CRD has as one property each (free-form keys)."""


def manifest_leaves(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from manifest_leaves(item, prefix)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_REFS:
                yield f"{prefix}{SECRET_REFS[key]}"
            elif key in MAP_LEAVES:
                yield f"{prefix}{key}"
            else:
                yield from manifest_leaves(item, f"{prefix}{key}.")
    else:
        yield prefix.rstrip(".")


def _set_paths() -> set[str]:
    paths = set()
    for manifest in MANIFESTS.values():
        for path in manifest_leaves(manifest["spec"]):
            if path.split(".", 1)[0] not in OPERATOR_FIELDS:
                paths.add(azure_path(path))
    return paths


def test_the_maximal_manifests_set_every_covered_property() -> None:
    missing = sorted(covered_paths() - _set_paths())
    assert not missing, f"tests/api/maximal.yaml does not set: {missing}"


def wire(model: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(model, cls=SdkJSONEncoder, exclude_readonly=True))
    return result


def test_the_body_carries_the_secrets_in_azures_places_and_no_reference() -> None:
    model = desired_model(maximal_spec(), secrets=SECRETS)
    body = wire(mapping.scale_set(model, 2, {"owner": "platform"}))
    profile = body["properties"]["virtualMachineProfile"]
    assert profile["osProfile"]["adminPassword"] == SECRET["adminPassword"]
    assert profile["userData"] == SECRET["userData"]
    install = profile["extensionProfile"]["extensions"][1]["properties"]
    assert install["protectedSettings"] == json.loads(SECRET["protectedSettings"])
    assert "SecretRef" not in json.dumps(body), "references are the operator's, never Azure's"
    assert body["identity"]["type"] == "SystemAssigned, UserAssigned"
    assert body["properties"]["orchestrationMode"] == "Flexible"
    assert body["properties"]["upgradePolicy"] == {"mode": "Manual"}
    assert profile["priority"] == "Spot" and profile["billingProfile"] == {"maxPrice": 0.05}
    assert body["tags"]["owner"] == "platform" and body["tags"]["costCenter"] == "42"
    windows = wire(mapping.scale_set(desired_model(maximal_spec("maximal-windows"), secrets=SECRETS), 1))
    win_profile = windows["properties"]["virtualMachineProfile"]
    assert win_profile["userData"] == "I3VzZXItZGF0YQ=="
    assert win_profile["storageProfile"]["imageReference"] == {
        "id": MANIFESTS["maximal-windows"]["spec"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["id"]
    }
    assert windows["properties"]["orchestrationMode"] == "Uniform", "always sent: Azure's default varies"


def test_secrets_never_appear_in_repr_logs_or_the_spec_dump(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    model = desired_model(maximal_spec(), secrets=SECRETS)
    logging.getLogger("test").debug("model %r", model)
    for value in (SECRET["adminPassword"], SECRET["userData"], "not-a-real-key"):
        assert value not in repr(model)
        assert value not in caplog.text
        assert value not in json.dumps(maximal_spec().model_dump(mode="json"))
        assert value not in repr(model.without_secrets().__dict__)


def test_a_secret_change_changes_the_model_hash_without_storing_the_value() -> None:
    spec = maximal_spec()
    before = desired_model(spec, secrets=SECRETS).model_hash()
    rotated = {**SECRETS, protected_settings("install"): {"storageAccountKey": "rotated"}}
    assert desired_model(spec, secrets=rotated).model_hash() != before
    assert desired_model(spec, secrets={**SECRETS, USER_DATA: "b3RoZXI="}).model_hash() != before
    assert desired_model(spec, secrets=secrets_for(spec)).model_hash() == before


def test_what_the_api_server_stores_is_the_same_model() -> None:
    """Defaults the CRD adds (and the operator reads back) change nothing: dump -> validate is stable."""
    for name in MANIFESTS:
        spec = maximal_spec(name)
        assert ScaleSetSpec.model_validate(spec.model_dump(mode="json", exclude_none=True)) == spec


@pytest.mark.controlplane
def test_kubectl_apply_accepts_the_maximal_manifests_and_stores_them_whole(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str
) -> None:
    del scaleset_crds
    kubectl.ok("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump_all(DOCUMENTS))
    for name, manifest in MANIFESTS.items():
        stored = kubectl.json("get", "vmss", name, "-n", namespace)
        assert ScaleSetSpec.model_validate(stored["spec"]) == ScaleSetSpec.model_validate(manifest["spec"])
        assert stored["spec"]["virtualMachineProfile"]["priority"] in ("Spot", "Regular")
    windows = kubectl.json("get", "vmss", "maximal-windows", "-n", namespace)["spec"]
    assert windows["orchestrationMode"] == "Uniform", "Azure's default is written by the API server"
