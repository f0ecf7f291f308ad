"""ARM request bodies -> the engine's model: known fields by Azure's names, the rest ignored."""

from __future__ import annotations

import pytest

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD, LEGACY_FINGERPRINTS
from scaleset_operator.simulator.arm import parse
from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

from .conftest import scale_set_body


def test_a_scale_set_body_becomes_the_model() -> None:
    body = scale_set_body(capacity=4, zones=["1", "3"])
    model = parse.desired_model(body)
    assert (model.location, model.sku_name, model.zones) == ("westeurope", "Standard_D2s_v5", ("1", "3"))
    assert model.data_disk_sizes() == {0: 32}
    assert model.image.version == "latest"
    assert model.scale_in_policy.rules == ["Default"]
    assert parse.capacity(body) == 4


def test_the_password_reaches_the_engine_which_keeps_only_its_own_keyed_fingerprint() -> None:
    model = parse.desired_model(scale_set_body())
    assert model.admin_password == "Pa55-word" and "Pa55-word" not in repr(model)
    cloud = SimulatedCloud(ManualClock())
    key = ScaleSetKey("sub", "rg", "web")
    cloud.apply(key, model, 1)
    stored = cloud.model(key)
    assert stored is not None and stored.admin_password is None and stored.fingerprints is None
    assert stored.password_fingerprint not in (None, LEGACY_FINGERPRINTS(ADMIN_PASSWORD, "Pa55-word"))


def test_fields_the_simulator_does_not_model_are_ignored() -> None:
    body = scale_set_body()
    body["properties"]["virtualMachineProfile"]["diagnosticsProfile"] = {"bootDiagnostics": {"enabled": True}}
    body["properties"]["virtualMachineProfile"]["osProfile"]["secrets"] = []
    assert parse.desired_model(body).profile.networkProfile.healthProbe is None


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b: b.pop("location"), "LocationRequired"),
        (lambda b: b["sku"].pop("name"), "InvalidParameter"),
        (lambda b: b["properties"].pop("virtualMachineProfile"), "InvalidParameter"),
        (lambda b: b["properties"]["virtualMachineProfile"].update(osProfile=[]), "InvalidRequestContent"),
    ],
)
def test_invalid_bodies_are_refused_like_arm(mutate: object, code: str) -> None:
    body = scale_set_body()
    mutate(body)  # type: ignore[operator]
    with pytest.raises(ArmError) as error:
        parse.desired_model(body)
    assert (error.value.status, error.value.code) == (400, code)


def test_instance_ids() -> None:
    assert parse.instance_ids({"instanceIds": ["1", "2"]}, required=True) == ["1", "2"]
    assert parse.instance_ids(None, required=False) is None
    with pytest.raises(ArmError):
        parse.instance_ids({}, required=True)
    with pytest.raises(ArmError):
        parse.instance_ids({"instanceIds": [1]}, required=False)
    with pytest.raises(ArmError):
        parse.capacity({"sku": {"capacity": -1}})
