"""Adoption, observe-only and drift, decided from one pass's inputs: whose scale set it is, what is
written (nothing, when the spec matches or only observes), what is reported and when."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.status import ManagementStatus, ScaleSetStatus
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD
from scaleset_operator.cloud.wire import cloud_model
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.autoscale_observation import AutoscaleObservation
from scaleset_operator.planner.decide import decide
from scaleset_operator.planner.decision import ACCEPTED, Decision
from scaleset_operator.planner.inputs import DecideInputs, OperationView
from scaleset_operator.planner.model_comparison import secrets_fingerprint
from scaleset_operator.planner.observation import Absent, Observed
from scaleset_operator.planner.status import build_status
from tests.keys import TEST_KEY
from tests.planner.autoscale_specs import owned
from tests.planner.builders import T0, scale_set
from tests.planner.specs import changed, make_spec

SPEC = make_spec(**{"upgradePolicy.mode": "Manual"})
MODEL = desired_model(SPEC)
MANAGED = ManagementStatus(origin="Created", syncedGeneration=2, secretsBaseline=secrets_fingerprint(MODEL))


def cloud(spec: Any = SPEC, *, tagged: bool = False, capacity: int = 5, **model: Any) -> ObservedScaleSet:
    """The scale set as a backend reports it: made from ``spec`` (fields of its model overridden by
    ``model``), untagged unless the operator wrote it."""
    document = {**cloud_model(desired_model(spec)), **model}
    observed = replace(scale_set(5), capacity=capacity, model=document)
    return (
        replace(observed, hash_scheme=TEST_KEY.scheme)
        if tagged
        else replace(observed, model_hash=None, settings_hash=None)
    )


def run(
    observed: ObservedScaleSet | None,
    spec: Any = SPEC,
    status: ScaleSetStatus | None = None,
    generation: int = 2,
    **extra: Any,
) -> tuple[DecideInputs, Decision, ScaleSetStatus]:
    inputs = DecideInputs(
        name="web",
        generation=generation,
        now=T0,
        status=status or ScaleSetStatus(),
        spec=spec,
        observation=Observed(observed) if observed is not None else Absent(),
        **extra,
    )
    decision = decide(inputs)
    return inputs, decision, build_status(inputs, decision, ACCEPTED).scale_set


def condition(status: ScaleSetStatus, kind: str) -> tuple[str, str, str]:
    found = next(c for c in status.conditions if c.type == kind)
    return found.status, found.reason, found.message


def events(decision: Decision) -> list[tuple[str, str]]:
    return [(e.type, e.reason) for e in decision.events]


def test_an_existing_scale_set_is_not_touched_unless_adopted() -> None:
    _, decision, status = run(
        cloud(**{"doNotRunExtensionsOnOverprovisionedVMs": True}), spec=changed(SPEC, **{"sku.name": "Standard_D4s_v5"})
    )
    assert decision.actions == ()
    state, reason, message = condition(status, "Stalled")
    assert (state, reason) == ("True", "AlreadyExists")
    assert "scale set web already exists in resource group rg" in message and "spec.adopt: true" in message
    assert "adopting it would change 1 fields to the spec's (sku.name)" in message
    assert events(decision) == [("Warning", "AlreadyExists")]
    _, again, _ = run(cloud(), status=status)
    assert again.events == (), "warned once, not on every pass"


def test_adopting_a_matching_scale_set_writes_nothing_and_keeps_what_the_spec_omits() -> None:
    observed = cloud(tags={"costCenter": "42"})
    inputs, decision, status = run(observed, spec=changed(SPEC, adopt=True))
    assert decision.actions == ()
    assert events(decision) == [("Normal", "Adopted")]
    assert inputs.desired is not None and inputs.desired.properties.tags == {"costCenter": "42"}
    assert status.management is not None
    assert (status.management.origin, status.management.syncedGeneration) == ("Adopted", 2)
    assert status.management.secretsBaseline == secrets_fingerprint(inputs.desired), "assumed, never compared"
    assert condition(status, "ModelDrifted")[:2] == ("False", "InSync")
    assert condition(status, "Ready")[:2] == ("True", "Converged")


def test_adopting_a_different_scale_set_pushes_the_spec_over_it() -> None:
    inputs, decision, status = run(
        cloud(tags={"costCenter": "42"}, doNotRunExtensionsOnOverprovisionedVMs=True),
        spec=changed(SPEC, adopt=True, doNotRunExtensionsOnOverprovisionedVMs=False),
    )
    assert decision.actions == (act.ApplyModel(5, "Scale"),)
    assert inputs.desired is not None and inputs.desired.properties.tags == {"costCenter": "42"}
    assert condition(status, "ModelDrifted")[:2] == ("False", "SpecChanged"), "adopting is not drift"


def test_a_scale_set_the_operator_wrote_is_managed_without_adopt() -> None:
    _, fresh, status = run(cloud(tagged=True))
    assert fresh.actions == () and events(fresh) == [("Normal", "Adopted")]
    assert status.management is not None and status.management.origin == "Adopted"
    legacy = ScaleSetStatus(observedGeneration=1)
    _, upgraded, status = run(cloud(tagged=True), status=legacy)
    assert upgraded.events == () and status.management is not None and status.management.origin == "Created"


def test_observe_only_reports_the_differences_and_writes_nothing() -> None:
    observe = changed(SPEC, managementPolicy="Observe", **{"sku.capacity": 3, "sku.name": "Standard_D4s_v5"})
    _, decision, status = run(cloud(), spec=observe)
    assert decision.actions == ()
    state, reason, message = condition(status, "ModelDrifted")
    assert (state, reason) == ("True", "FieldsDiffer")
    assert "sku.name: Standard_D2s_v5 in Azure, Standard_D4s_v5 in the spec" in message
    assert "sku.capacity: 5 in Azure, 3 in the spec" in message and "left alone" in message
    assert condition(status, "Ready")[:2] == ("True", "Observing")
    assert events(decision) == [("Warning", "ModelDrifted")]
    _, again, _ = run(cloud(), spec=observe, status=status)
    assert again.events == (), "the same drift is not announced again"


def test_observe_only_never_creates_and_refuses_operations() -> None:
    observe = changed(SPEC, managementPolicy="Observe")
    _, missing, status = run(None, spec=observe)
    assert missing.actions == () and condition(status, "Stalled")[:2] == ("True", "NotFound")
    operation = OperationView(
        "restart",
        ScaleSetOperationSpec(scaleSetName="web", action="Restart", allInstances=True),
        ScaleSetOperationStatus(),
    )
    _, decision, _ = run(cloud(), spec=observe, operation=operation)
    assert decision.actions == ()
    assert decision.operation is not None and decision.operation.change is not None
    assert (decision.operation.change.phase, decision.operation.change.reason) == ("Failed", "ObserveOnly")


def test_a_change_made_outside_the_operator_is_drift_and_corrected() -> None:
    managed = ScaleSetStatus(management=MANAGED)
    _, decision, status = run(cloud(tagged=True, sku={"name": "Standard_D4s_v5", "tier": "Standard"}), status=managed)
    assert decision.actions == (act.ApplyModel(5, "UpdateModel"),)
    state, reason, message = condition(status, "ModelDrifted")
    assert (state, reason) == ("True", "ChangedOutside") and "sku.name: Standard_D4s_v5 in Azure" in message
    assert ("Warning", "ModelDrifted") in events(decision)
    assert status.management is not None and status.management.driftedFields == ["sku.name"]
    _, spec_change, status = run(
        cloud(tagged=True), spec=changed(SPEC, **{"sku.name": "Standard_D4s_v5"}), status=managed, generation=3
    )
    assert spec_change.actions == (act.ApplyModel(5, "UpdateModel"),)
    assert condition(status, "ModelDrifted")[:2] == ("False", "SpecChanged")
    assert ("Warning", "ModelDrifted") not in events(spec_change)


def test_capacity_changed_outside_converges_back_unless_the_operator_deleted_instances() -> None:
    managed = ScaleSetStatus(management=MANAGED)
    _, decision, status = run(cloud(tagged=True, capacity=4), status=managed)
    assert decision.actions == (act.ApplyModel(5, "Scale"),)
    assert "sku.capacity: 4 in Azure, 5 in the spec" in condition(status, "ModelDrifted")[2]
    delete = OperationView(
        "delete",
        ScaleSetOperationSpec(scaleSetName="web", action="DeleteInstances", instanceIds=["4"]),
        ScaleSetOperationStatus(phase="Running", acted=True, affectedInstances=["4"]),
    )
    _, own, status = run(cloud(tagged=True, capacity=4), status=managed, operation=delete)
    assert own.actions == (act.ApplyModel(5, "Scale"),), "the capacity is still the spec's"
    assert condition(status, "ModelDrifted")[:2] == ("False", "InSync")


def test_a_field_azure_cannot_change_stalls_naming_it_and_writes_nothing() -> None:
    _, decision, status = run(cloud(tagged=True, platformFaultDomainCount=1), status=ScaleSetStatus(management=MANAGED))
    assert decision.actions == ()
    state, reason, message = condition(status, "Stalled")
    assert (state, reason) == ("True", "ImmutableFieldDiffers")
    assert "platformFaultDomainCount: 1 in Azure, 5 in the spec" in message


def test_a_changed_secret_is_pushed_though_azure_never_returns_it() -> None:
    spec = make_spec(
        **{
            "upgradePolicy.mode": "Manual",
            "virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "s", "key": "p"},
        }
    )
    old = desired_model(spec, secrets={ADMIN_PASSWORD: "Old-Passw0rd!"}, fingerprints=TEST_KEY)
    record = ManagementStatus(origin="Created", syncedGeneration=2, secretsBaseline=secrets_fingerprint(old))
    observed = cloud(spec, tagged=True)
    same = run(observed, spec=spec, status=ScaleSetStatus(management=record), desired=old)
    assert same[1].actions == ()
    rotated = desired_model(spec, secrets={ADMIN_PASSWORD: "New-Passw0rd!"}, fingerprints=TEST_KEY)
    _, decision, status = run(observed, spec=spec, status=ScaleSetStatus(management=record), desired=rotated)
    assert decision.actions == (act.ApplyModel(5, "UpdateModel"),)
    assert status.management is not None and status.management.secretsBaseline == secrets_fingerprint(rotated)


def test_fields_azure_does_not_keep_are_pushed_twice_then_reported() -> None:
    """A value Azure normalises or drops: pushing it every pass would never end (no churn)."""
    observed = cloud(tagged=True, doNotRunExtensionsOnOverprovisionedVMs=True)
    spec = changed(SPEC, doNotRunExtensionsOnOverprovisionedVMs=False)
    status = ScaleSetStatus(management=MANAGED)
    for attempt in (1, 2):
        inputs = DecideInputs(
            name="web", generation=2, now=T0, status=status, spec=spec, observation=Observed(observed)
        )
        decision = decide(inputs)
        assert decision.actions == (act.ApplyModel(5, "Scale"),), f"push {attempt}"
        status = build_status(inputs, decision, ACCEPTED).scale_set
        assert status.management is not None and status.management.lastPush is not None
        assert (status.management.lastPush.fields, status.management.lastPush.attempts) == (
            ["doNotRunExtensionsOnOverprovisionedVMs"],
            attempt,
        )
    _, stopped, status = run(observed, spec=spec, status=status)
    assert stopped.actions == ()
    state, reason, message = condition(status, "Stalled")
    assert (state, reason) == (
        "True",
        "ModelNotApplied",
    ) and "doNotRunExtensionsOnOverprovisionedVMs: true in Azure, false in the spec" in message
    _, again, _ = run(
        observed,
        spec=changed(spec, doNotRunExtensionsOnOverprovisionedVMs=False, tags={"a": "b"}),
        status=status,
        generation=3,
    )
    assert again.actions, "a new spec is pushed again"


def test_an_observed_scale_set_gets_no_autoscale_setting_written() -> None:
    """Observe reports the autoscale setting it finds (none here) and never creates spec.autoscale's."""
    spec = changed(SPEC, managementPolicy="Observe", **owned(maximum=5))
    created = ScaleSetStatus(management=MANAGED)
    _, decision, _ = run(cloud(spec, tagged=True), spec=spec, status=created, autoscale=AutoscaleObservation(None))
    assert decision.actions == ()
    assert not [e for e in decision.events if e.reason == "ApplyingAutoscale"]
    assert decision.autoscale is not None and decision.autoscale.activity is None
    managed = changed(SPEC, **owned(maximum=5))
    _, writing, _ = run(cloud(managed, tagged=True), spec=managed, status=created, autoscale=AutoscaleObservation(None))
    assert [type(a).__name__ for a in writing.actions] == ["ApplyAutoscale"], "the same spec, managed, writes it"
