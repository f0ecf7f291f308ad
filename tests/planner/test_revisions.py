"""``revisions``: what a revision keeps, when one is recorded or renumbered, pruning, and the pin."""

from __future__ import annotations

from scaleset_operator.api.rollout_status import ChangePreview, PinnedRevision, RevisionRecord
from scaleset_operator.api.status import ApiError, RolloutRecord, ScaleSetStatus
from scaleset_operator.planner import revisions
from scaleset_operator.planner.decision import FinishedRollout
from scaleset_operator.planner.inputs import RevisionData
from tests.planner.builders import inputs
from tests.planner.specs import changed, make_spec

V1 = make_spec(**{"virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "admin", "key": "password"}})
V2 = changed(V1, **{"sku.name": "Standard_D4s_v5"})
V3 = changed(V1, **{"sku.name": "Standard_D8s_v5"})


def rev(number: int, spec: object) -> RevisionRecord:
    hashed = revisions.spec_hash(spec)  # type: ignore[arg-type]
    return RevisionRecord(revision=number, name=f"web-{hashed}", hash=hashed, createdTime="2026-01-01T00:00:00Z")


def test_a_revision_keeps_the_model_and_secret_references_only() -> None:
    data = revisions.model_data(changed(V1, **{"sku.capacity": 7, "rolloutPolicy.revisionHistoryLimit": 3}))
    assert set(data) == {"sku", "virtualMachineProfile"}
    assert data["sku"] == {"name": "Standard_D2s_v5", "tier": "Standard"}  # capacity is not the model
    assert data["virtualMachineProfile"]["osProfile"]["adminPasswordSecretRef"] == {"name": "admin", "key": "password"}
    assert revisions.spec_hash(changed(V1, **{"sku.capacity": 9})) == revisions.spec_hash(V1)


def test_with_model_restores_the_model_and_keeps_capacity_and_knobs() -> None:
    current = changed(V2, **{"sku.capacity": 12, "paused": True})
    back = revisions.with_model(current, revisions.model_data(V1))
    assert back.sku.name == "Standard_D2s_v5" and back.sku.capacity == 12 and back.paused
    assert revisions.spec_hash(back) == revisions.spec_hash(V1)


def test_the_first_model_is_revision_1() -> None:
    step = revisions.step(inputs(spec=V1), pinned=None)
    assert [r.revision for r in step.revisions] == [1]
    assert step.write is not None and step.write.data == revisions.model_data(V1)
    assert step.revisions[0].summary == "the first model"


def test_a_new_model_is_recorded_with_what_changed() -> None:
    before = ScaleSetStatus(revisions=[rev(1, V1)])
    base = RevisionData(rev(1, V1).name, revisions.model_data(V1))
    step = revisions.step(inputs(spec=V2, status=before, base_revision=base), pinned=None)
    assert [r.revision for r in step.revisions] == [2, 1]
    assert step.revisions[0].summary == "sku.name: Standard_D2s_v5 -> Standard_D4s_v5"
    assert step.revisions[0].generation == 2


def test_the_same_model_records_nothing() -> None:
    before = ScaleSetStatus(revisions=[rev(1, V1)])
    step = revisions.step(inputs(spec=changed(V1, **{"sku.capacity": 8}), status=before), pinned=None)
    assert step.write is None and step.revisions == (rev(1, V1),)


def test_a_revert_renumbers_the_old_revision() -> None:
    before = ScaleSetStatus(revisions=[rev(2, V2), rev(1, V1)])
    step = revisions.step(inputs(spec=V1, status=before), pinned=None)
    assert [(r.revision, r.hash) for r in step.revisions] == [(3, rev(1, V1).hash), (2, rev(2, V2).hash)]
    assert step.write is not None and step.write.data == revisions.model_data(V1)  # written anew, renumbered


def test_history_beyond_the_limit_is_pruned_but_never_the_pinned_revision() -> None:
    spec = changed(V3, **{"rolloutPolicy.revisionHistoryLimit": 1})
    pin = PinnedRevision(
        revision=1, name=rev(1, V1).name, hash=rev(1, V1).hash, specHash="x", reason="Rollback", message="m", since="t"
    )
    before = ScaleSetStatus(revisions=[rev(2, V2), rev(1, V1)])
    step = revisions.step(inputs(spec=spec, status=before), pinned=None)
    assert [r.revision for r in step.revisions] == [3]
    assert set(step.pruned) == {rev(2, V2).name, rev(1, V1).name}
    kept = revisions.step(inputs(spec=V2, status=before.model_copy(update={"pinnedRevision": pin})), pinned=pin)
    assert rev(1, V1).name not in kept.pruned


def test_a_model_upgrade_stopped_for_rollback_pins_the_revision_before_its_own() -> None:
    before = ScaleSetStatus(revisions=[rev(2, V2), rev(1, V1)])
    fault = ApiError(code="GateFailed", message="step 1/2: gate errors: 0.2 is not < 0.05")
    record = RolloutRecord(
        kind="ModelUpgrade", target="m", startTime="t", revision=2, rollbackRequested=True, fault=fault
    )
    step = revisions.step(inputs(spec=V2, status=before), pinned=None, finished=(FinishedRollout(record, "Faulted"),))
    assert step.pinned is not None
    assert (step.pinned.revision, step.pinned.reason, step.pinned.message) == (1, "GateFailed", fault.message)
    assert step.pinned.specHash == revisions.spec_hash(V2)
    assert [e.reason for e in step.events] == ["RollingBackToRevision"]
    assert step.write is None, "a pinned scale set records no revision"


def test_the_pin_applies_until_the_spec_model_changes() -> None:
    pin = PinnedRevision(
        revision=1, name="web-1", hash="h1", specHash=revisions.spec_hash(V2), reason="Rollback", message="m", since="t"
    )
    assert revisions.pin_applies(pin, changed(V2, **{"sku.capacity": 20}))
    assert not revisions.pin_applies(pin, V3)
    status = ScaleSetStatus(revisions=[rev(2, V2), rev(1, V1)], pinnedRevision=pin)
    released = revisions.step(inputs(spec=V1, status=status), pinned=None)
    assert released.pinned is None and [e.reason for e in released.events] == ["RollbackReleased"]


def test_model_source_the_pin_or_a_held_change() -> None:
    status = ScaleSetStatus(revisions=[rev(1, V1)])
    assert revisions.model_source(status, V2) is None
    held = ChangePreview(
        generation=2,
        hash=revisions.spec_hash(V2),
        classification="ModelUpgrade",
        disruption="Restart",
        message="m",
        held=True,
    )
    assert revisions.model_source(status.model_copy(update={"changePreview": held}), V2) == rev(1, V1).name
    approved = held.model_copy(update={"approved": True})
    assert revisions.model_source(status.model_copy(update={"changePreview": approved}), V2) is None
    assert revisions.model_source(status.model_copy(update={"changePreview": held}), V3) is None  # edited again
