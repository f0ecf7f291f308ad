"""The whole-model fields' own rules on the operator side (pydantic: what the operator reports as
Stalled if the API server let something through), and the reconciler's secret handling."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.backends.fake import FakeBackend
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud
from tests.api.maximal import MANIFESTS, SECRET
from tests.backends.scenarios import MemoryKube, Run, World
from tests.overrides import with_overrides

BASE = MANIFESTS["maximal-linux"]["spec"]
VM = "virtualMachineProfile"
EXTENSIONS = f"{VM}.extensionProfile.extensions"


def _install(**properties: Any) -> list[dict[str, Any]]:
    first, second, third = BASE[VM]["extensionProfile"]["extensions"]
    return [first, {**second, "properties": {**second["properties"], **properties}}, third]


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("grace-too-short", {"automaticRepairsPolicy.gracePeriod": "PT5M"}, "between PT10M and PT90M"),
    ("grace-months", {"automaticRepairsPolicy.gracePeriod": "P1M"}, "gracePeriod"),
    ("time-budget", {f"{VM}.extensionProfile.extensionsTimeBudget": "PT3H"}, "between PT15M and PT120M"),
    ("max-price-zero", {f"{VM}.billingProfile.maxPrice": 0}, "-1 or greater than 0"),
    ("mix-percent", {"priorityMixPolicy.regularPriorityPercentageAboveBase": 101}, "less than or equal to 100"),
    ("sequence-unknown", {EXTENSIONS: _install(provisionAfterExtensions=["nope"])}, "must name other extensions"),
    ("sequence-self", {EXTENSIONS: _install(provisionAfterExtensions=["install"])}, "must name other extensions"),
    (
        "two-protected-sources",
        {EXTENSIONS: _install(protectedSettingsFromKeyVault={"secretUrl": "u", "sourceVault": {"id": "v"}})},
        "protectedSettingsSecretRef or protectedSettingsFromKeyVault, not both",
    ),
    ("user-data-twice", {f"{VM}.userData": "eA=="}, "userData or userDataSecretRef, not both"),
    ("eviction-on-regular", {f"{VM}.priority": "Regular", f"{VM}.billingProfile": None}, "needs priority Spot"),
    ("identity-type", {"identity.type": "SystemAssigned"}, "userAssignedIdentities is needed exactly when"),
    ("orchestration", {"orchestrationMode": "Sometimes"}, "'Uniform' or 'Flexible'"),
    ("empty-disk-size", {f"{VM}.storageProfile.dataDisks": [{"lun": 3}]}, "an Empty data disk needs diskSizeGB"),
    ("sku-profile-sizes", {"skuProfile.vmSizes": []}, "at least 1 item"),
    ("plan-name-not-text", {"plan.name": 7}, "string"),
]


@pytest.mark.parametrize(("change", "fragment"), [r[1:] for r in INVALID], ids=[r[0] for r in INVALID])
def test_invalid_values_are_refused_naming_the_field(change: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        ScaleSetSpec.model_validate(with_overrides(BASE, **change))
    assert fragment in str(error.value)


@pytest.fixture
def fake_world() -> World:
    clock = ManualClock()
    cloud = SimulatedCloud(clock)
    return World("fake", cloud, clock, FakeBackend(cloud))


@pytest.mark.parametrize(
    ("secret", "reason", "fragment"),
    [
        ({k: v for k, v in SECRET.items() if k != "protectedSettings"}, "SecretNotFound", "key protectedSettings"),
        ({**SECRET, "protectedSettings": "not json"}, "InvalidSecret", "is not valid JSON"),
        ({**SECRET, "protectedSettings": "[1, 2]"}, "InvalidSecret", "must hold a JSON object"),
    ],
    ids=["missing", "not-json", "not-an-object"],
)
async def test_an_unusable_secret_stalls_naming_it_and_nothing_is_written(
    fake_world: World, secret: dict[str, str], reason: str, fragment: str
) -> None:
    kube = MemoryKube({("default", "maximal-secrets", k): v for k, v in secret.items()})
    run = Run(fake_world, ScaleSetSpec.model_validate(BASE), name="maximal-linux", kube=kube)
    await run.step()
    stalled = run.condition("Stalled")
    assert stalled is not None and stalled[:2] == ("True", reason)
    assert fragment in stalled[2] and "maximal-secrets" in stalled[2]
    assert "not json" not in stalled[2] and "[1, 2]" not in stalled[2], "the value is never quoted"
    assert fake_world.cloud.calls.writes_since(0, run.key) == 0
    assert [e[1] for e in run.events] == [reason]
