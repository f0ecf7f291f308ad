"""Upgrading the operator must not re-roll scale sets: a ScaleSet that sets none of the fields the
whole model added keeps the model hash, settings hash and OS profile fingerprint it had before
(values computed with the operator before the change), also as the API server stores it now, with
the new CRD defaults written in."""

from __future__ import annotations

import copy

import pytest
import yaml

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import desired_model
from tests.e2e.journeys import EXAMPLES

BEFORE = {
    "rolling-web-tier": ("c2affd709a4f3a5b", "0e55cffa11ad84f9", "7b115a99403c"),
    "automatic-os-upgrade": ("660c7abdb79967b7", "f15cac4c0bc344a8", "7b115a99403c"),
    "gallery-image": ("ebe01a71d9830089", "0e55cffa11ad84f9", "075b4a1240bd"),
    "maintenance-window": ("1cb347603a1776fe", "0e55cffa11ad84f9", "075b4a1240bd"),
    "manual-batch-tier": ("9e1f25bda1dcc0af", "8532dfaaec91eb5a", "4d5c03940478"),
}


def _spec(name: str, *, stored: bool) -> ScaleSetSpec:
    docs = [d for d in yaml.safe_load_all((EXAMPLES / f"{name}.yaml").read_text()) if d]
    spec = copy.deepcopy(next(d for d in docs if d["kind"] == "ScaleSet")["spec"])
    if stored:  # what the API server adds from the new CRD defaults
        spec["orchestrationMode"] = "Uniform"
        spec["virtualMachineProfile"]["priority"] = "Regular"
    return ScaleSetSpec.model_validate(spec)


@pytest.mark.parametrize("stored", [False, True], ids=["as-written", "as-stored"])
@pytest.mark.parametrize("name", sorted(BEFORE))
def test_scale_sets_without_new_fields_keep_their_hashes(name: str, stored: bool) -> None:
    model = desired_model(_spec(name, stored=stored), "pw")
    assert (model.model_hash(), model.settings_hash(), model.os_profile_fingerprint()) == BEFORE[name]


def test_setting_a_new_field_changes_the_right_hash() -> None:
    spec = _spec("rolling-web-tier", stored=True)
    tagged = spec.model_copy(update={"tags": {"team": "web"}})
    plain, tagged_model = desired_model(spec, "pw"), desired_model(tagged, "pw")
    assert tagged_model.model_hash() == plain.model_hash(), "tags reach no instance"
    assert tagged_model.settings_hash() != plain.settings_hash()
    profile = spec.virtualMachineProfile.model_copy(update={"licenseType": "RHEL_BYOS"})
    licensed = desired_model(spec.model_copy(update={"virtualMachineProfile": profile}), "pw")
    assert licensed.model_hash() != plain.model_hash() and licensed.settings_hash() == plain.settings_hash()
