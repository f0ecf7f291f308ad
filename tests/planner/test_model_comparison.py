"""The observed model against the spec: what is drift, what is kept, what is released, and the model
that is sent (the observed one with the spec over it)."""

from __future__ import annotations

import copy
from typing import Any

from scaleset_operator.api.status import ManagementStatus
from scaleset_operator.cloud.changes import Impact
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD
from scaleset_operator.cloud.wire import cloud_model
from scaleset_operator.planner.model_comparison import compare, secrets_fingerprint
from tests.keys import TEST_KEY
from tests.planner.specs import changed, make_spec

SPEC = make_spec(tags={"env": "prod"})
MODEL = desired_model(SPEC)
AGENT = {
    "name": "monitor",
    "properties": {
        "publisher": "Microsoft.Azure.Monitor",
        "type": "AzureMonitorLinuxAgent",
        "typeHandlerVersion": "1.0",
    },
}


def cloud(**changes: Any) -> dict[str, Any]:
    """The model a cloud holding ``SPEC`` returns, with ``changes`` made to it (dotted paths)."""
    model = cloud_model(MODEL)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = model
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return model


def paths(found: Any) -> list[tuple[str, Any, Any, Impact]]:
    return [(c.path, c.old, c.new, c.impact) for c in found.drift]


def test_a_scale_set_made_from_the_spec_matches_it_and_keeps_its_hash() -> None:
    found = compare(SPEC, MODEL, cloud(), None)
    assert found.drift == () and found.problem is None
    assert found.desired.model_hash() == MODEL.model_hash()


def test_what_the_spec_does_not_set_is_kept_and_not_drift() -> None:
    """A tag and an extension someone else added, boot diagnostics set in the portal: kept by the
    model sent, and not reported (they are someone else's)."""
    observed = cloud(**{"tags": {"env": "prod", "costCenter": "42"}})
    observed["virtualMachineProfile"]["extensionProfile"] = {"extensions": [AGENT]}
    observed["virtualMachineProfile"]["diagnosticsProfile"] = {"bootDiagnostics": {"enabled": True}}
    found = compare(SPEC, MODEL, observed, None)
    assert found.drift == ()
    sent = found.desired
    assert sent.properties.tags == {"env": "prod", "costCenter": "42"}
    assert [e.name for e in sent.profile.extensionProfile.extensions] == ["monitor"]
    assert sent.profile.diagnosticsProfile is not None and sent.profile.diagnosticsProfile.bootDiagnostics is not None


def test_a_field_the_spec_sets_and_azure_changed_is_drift_classified() -> None:
    found = compare(SPEC, MODEL, cloud(**{"sku.name": "Standard_D4s_v5", "zoneBalance": True}), None)
    assert paths(found) == [("sku.name", "Standard_D4s_v5", "Standard_D2s_v5", Impact.MODEL_UPGRADE)]
    assert found.desired.sku_name == "Standard_D2s_v5" and found.desired.properties.zoneBalance is True


def test_an_entry_the_spec_declared_and_dropped_is_released() -> None:
    record = ManagementStatus(managedEntries=["tags[env]", "tags[team]"])
    found = compare(changed(SPEC, tags={}), MODEL, cloud(**{"tags": {"env": "prod", "other": "x"}}), record)
    assert found.released == frozenset({"tags[env]"}), "team is not on the scale set any more"
    assert paths(found) == [("tags[env]", "prod", None, Impact.NO_INSTANCE_IMPACT)]
    assert found.desired.properties.tags == {"other": "x"}


def test_the_cloud_in_another_upgrade_mode_is_drift() -> None:
    found = compare(SPEC, MODEL, cloud(**{"upgradePolicy": {"mode": "Rolling"}}), None)
    assert paths(found) == [("upgradePolicy.mode", "Rolling", "Manual", Impact.NO_INSTANCE_IMPACT)]


def test_a_field_azure_cannot_change_is_refused_drift() -> None:
    found = compare(SPEC, MODEL, cloud(**{"platformFaultDomainCount": 1}), None)
    assert paths(found) == [("platformFaultDomainCount", 1, 5, Impact.IMMUTABLE)]


def test_secrets_are_never_compared_but_fingerprinted() -> None:
    spec = make_spec(**{"virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "s", "key": "p"}})
    one = desired_model(spec, secrets={ADMIN_PASSWORD: "one"}, fingerprints=TEST_KEY)
    found = compare(spec, one, cloud_model(one), None)
    assert found.drift == () and found.secrets == secrets_fingerprint(one)
    assert found.desired.admin_password == "one", "the model sent carries the Secret's value"
    two = desired_model(spec, secrets={ADMIN_PASSWORD: "two"}, fingerprints=TEST_KEY)
    assert compare(spec, two, cloud_model(one), None).secrets != found.secrets


def test_a_cloud_model_the_spec_cannot_be_merged_with_is_a_problem_not_a_guess() -> None:
    observed = copy.deepcopy(cloud())
    observed["virtualMachineProfile"]["storageProfile"]["diskControllerType"] = "SomethingNew"
    found = compare(SPEC, MODEL, observed, None)
    assert found.problem is not None and "diskControllerType" in found.problem
    assert found.desired is MODEL
