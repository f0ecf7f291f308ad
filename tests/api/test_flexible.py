"""``spec.orchestrationMode``: Flexible is accepted with what Azure allows and refused, naming the
field, where Azure refuses it (fault domains, overprovision, reimage-all); Uniform scale sets keep
the hashes they had; operations take VM names as instance IDs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from scaleset_operator.api.operation import ScaleSetOperationSpec
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.localcp import Kubectl
from tests.api.test_network_profile import HASH_BEFORE_NICS, SPEC
from tests.e2e.journeys import example, with_name

SETTINGS_HASH_BEFORE_FLEXIBLE = "0e55cffa11ad84f9"
"""``settings_hash()`` of ``SPEC`` computed before orchestrationMode existed."""


def spec(**fields: Any) -> ScaleSetSpec:
    data = copy.deepcopy(SPEC)
    data.update(fields)
    return ScaleSetSpec.model_validate(data)


def test_uniform_is_the_default_and_keeps_its_hashes() -> None:
    model = desired_model(spec())
    assert model.orchestration_mode == "Uniform"
    assert (model.model_hash(), model.settings_hash()) == (HASH_BEFORE_NICS, SETTINGS_HASH_BEFORE_FLEXIBLE)


def test_flexible_is_part_of_the_settings_not_of_the_instance_model() -> None:
    uniform = desired_model(spec(platformFaultDomainCount=1))
    flexible = desired_model(spec(orchestrationMode="Flexible", platformFaultDomainCount=1))
    assert flexible.flexible and flexible.model_hash() == uniform.model_hash()
    assert flexible.settings_hash() != uniform.settings_hash()


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"platformFaultDomainCount": 5}, "platformFaultDomainCount"),
        ({"platformFaultDomainCount": 2, "zones": ["1", "2"]}, "platformFaultDomainCount"),
        ({"platformFaultDomainCount": 1, "overprovision": True}, "overprovision"),
        ({"platformFaultDomainCount": 1, "rolloutPolicy": {"reimageAllOnDiskDrift": True}}, "reimageAllOnDiskDrift"),
    ],
)
def test_what_flexible_does_not_support_is_refused_naming_the_field(fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        spec(orchestrationMode="Flexible", **fields)
    spec(**fields)  # the same fields are fine for Uniform


@pytest.mark.parametrize("instance_id", ["0", "17", "web_1a2b3c4d"])
def test_operations_take_decimal_ids_and_vm_names(instance_id: str) -> None:
    parsed = ScaleSetOperationSpec.model_validate(
        {"scaleSetName": "web", "action": "Restart", "instanceIds": [instance_id]}
    )
    assert parsed.instanceIds == [instance_id]


@pytest.mark.parametrize(
    "instance_id", ["", "web000001", "web 1", "web_1a2b3c4", "-web_1a2b3c4d", "a" * 56 + "_1a2b3c4d"]
)
def test_operations_refuse_what_is_neither(instance_id: str) -> None:
    with pytest.raises(ValidationError):
        ScaleSetOperationSpec.model_validate({"scaleSetName": "web", "action": "Restart", "instanceIds": [instance_id]})


@pytest.mark.controlplane
def test_kubectl_apply_refuses_flexible_with_five_fault_domains_and_keeps_the_mode(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str
) -> None:
    del scaleset_crds
    manifest = with_name(example("rolling-web-tier"), "flex", orchestrationMode="Flexible", platformFaultDomainCount=5)
    refused = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(manifest))
    assert "spec.platformFaultDomainCount" in refused.stderr and "Flexible orchestration" in refused.stderr

    manifest["spec"]["platformFaultDomainCount"] = 1
    kubectl.ok("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(manifest))
    manifest["spec"]["orchestrationMode"] = "Uniform"
    changed = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(manifest))
    assert "orchestrationMode cannot change after creation" in changed.stderr
