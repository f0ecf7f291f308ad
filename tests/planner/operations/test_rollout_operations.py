"""Promote, Abort, Rollback and ApproveChange: what each does to the rollout, the pin and the preview."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.rollout_status import ChangePreview, PinnedRevision, RevisionRecord, StepProgress
from scaleset_operator.api.status import RolloutRecord, RolloutResult, ScaleSetStatus
from scaleset_operator.planner import revisions
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations import abort, approve_change, promote, rollback
from tests.planner.builders import SPEC, facts, scale_set
from tests.planner.specs import changed

V1 = changed(SPEC, **{"sku.name": "Standard_D2s_v5"})
V2 = changed(SPEC, **{"sku.name": "Standard_D4s_v5"})
V3 = changed(SPEC, **{"sku.name": "Standard_D8s_v5"})
REVISIONS = [
    RevisionRecord(revision=n, name=f"web-{n}", hash=revisions.spec_hash(s), createdTime="t")
    for n, s in ((3, V3), (2, V2), (1, V1))
]


def view(phase: str = "Pending", acted: bool = False, **spec: Any) -> OperationView:
    return OperationView(
        "op",
        ScaleSetOperationSpec.model_validate({"scaleSetName": "web", **spec}),
        ScaleSetOperationStatus(phase=phase, acted=acted),  # type: ignore[arg-type]
    )


def rollout(kind: str = "ModelUpgrade", **update: Any) -> RolloutRecord:
    return RolloutRecord.model_validate({"kind": kind, "target": "m", "startTime": "t", **update})


def on(spec: Any = V3, **status: Any) -> Facts:
    return facts(scale_set(5), spec=spec, status=ScaleSetStatus(revisions=REVISIONS, **status))


# -- Promote ----------------------------------------------------------------------------------------


def test_promote_lets_the_waiting_step_go_on() -> None:
    waiting = rollout(step=StepProgress(index=1, reachedTime="2026-01-05T11:00:00Z"))
    step, record, _ = promote.step(on(), view(action="Promote"), waiting)
    assert step.change is not None and (step.change.phase, step.change.reason) == ("Succeeded", "Promoted")
    assert record is not None and record.step is not None and record.step.promoted


@pytest.mark.parametrize(
    "record",
    [None, rollout(), rollout(step=StepProgress(index=1))],
    ids=["no rollout", "no steps", "between checkpoints"],
)
def test_promote_fails_when_nothing_waits(record: RolloutRecord | None) -> None:
    step, after, _ = promote.step(on(), view(action="Promote"), record)
    assert step.change is not None and (step.change.phase, step.change.reason) == ("Failed", "NothingToPromote")
    assert after == record


# -- Abort ------------------------------------------------------------------------------------------


def test_abort_stops_the_rollout_and_asks_for_its_rollback() -> None:
    step, record, effects = abort.step(on(), view(action="Abort"), rollout(revision=3))
    assert record is not None and record.fault is not None and record.fault.code == "Aborted"
    assert (record.rollbackRequested, record.stoppedBy) == (True, "op")
    assert step.change is not None and step.change.phase == "Running"
    assert [e.reason for e in effects.events] == ["RolloutAborting"]


def test_abort_of_a_reimage_all_only_stops_it() -> None:
    _, record, _ = abort.step(on(), view(action="Abort"), rollout("ReimageAll"))
    assert record is not None and record.fault is not None and not record.rollbackRequested


@pytest.mark.parametrize(
    ("record", "reason"), [(None, "NoRollout"), (rollout("Rollback"), "RollbackInProgress")], ids=["none", "rollback"]
)
def test_abort_fails_without_a_rollout_to_abort(record: RolloutRecord | None, reason: str) -> None:
    step, _, _ = abort.step(on(), view(action="Abort"), record)
    assert step.change is not None and (step.change.phase, step.change.reason) == ("Failed", reason)


def test_abort_ends_with_how_the_rollback_ended() -> None:
    result = RolloutResult(
        kind="Rollback", target="m", outcome="Completed", startTime="t", endTime="t", revision=2, operation="op"
    )
    step, _, _ = abort.step(on(lastRollouts=[result]), view("Running", acted=True, action="Abort"), None)
    assert step.change is not None and step.change.phase == "Succeeded"
    assert step.change.message == "aborted; rolled back to revision 2: Completed"


# -- Rollback ---------------------------------------------------------------------------------------


def test_rollback_pins_the_previous_revision() -> None:
    step, record, _ = rollback.step(on(), view(action="Rollback"), None)
    assert step.pin is not None and (step.pin.revision, step.pin.reason, step.pin.operation) == (2, "Rollback", "op")
    assert step.pin.specHash == revisions.spec_hash(V3)
    assert step.change is not None and (step.change.phase, step.change.acted) == ("Running", True)
    assert record is None


def test_rollback_to_a_named_revision() -> None:
    step, _, _ = rollback.step(on(), view(action="Rollback", toRevision=1), None)
    assert step.pin is not None and step.pin.revision == 1


def test_rollback_from_a_pinned_revision_goes_one_further_back() -> None:
    pin = PinnedRevision(
        revision=2,
        name="web-2",
        hash=REVISIONS[1].hash,
        specHash=revisions.spec_hash(V3),
        reason="Rollback",
        message="m",
        since="t",
    )
    step, _, _ = rollback.step(replace(on(pinnedRevision=pin), pinned=pin), view(action="Rollback"), None)
    assert step.pin is not None and step.pin.revision == 1


@pytest.mark.parametrize(
    ("spec", "to", "reason", "phase"),
    [
        (V3, 7, "RevisionNotFound", "Failed"),
        (V1, None, "RevisionNotFound", "Failed"),
        (V3, 3, "NothingToDo", "Succeeded"),
    ],
    ids=["not kept", "no earlier revision", "already there"],
)
def test_rollback_refuses_what_it_cannot_do(spec: Any, to: int | None, reason: str, phase: str) -> None:
    extra = {"toRevision": to} if to else {}
    step, _, _ = rollback.step(on(spec), view(action="Rollback", **extra), None)
    assert step.pin is None and step.change is not None and (step.change.phase, step.change.reason) == (phase, reason)


def test_rollback_stops_a_rollout_in_progress_first() -> None:
    step, record, _ = rollback.step(on(), view(action="Rollback"), rollout())
    assert record is not None and record.cancelRequested and step.pin is None
    assert step.change is not None and (step.change.phase, step.change.acted) == ("Running", False)


# -- ApproveChange ----------------------------------------------------------------------------------


def held(**update: Any) -> ChangePreview:
    base = {"generation": 4, "hash": "h", "classification": "ModelUpgrade", "disruption": "Reimage", "message": "m"}
    return ChangePreview.model_validate({**base, "held": True, **update})


@pytest.mark.parametrize(
    ("preview", "generation", "expected"),
    [
        (held(), 4, ("Succeeded", "Approved", 4)),
        (held(), 3, ("Failed", "NotHeld", None)),
        (None, 4, ("Failed", "NotHeld", None)),
        (held(held=False), 4, ("Succeeded", "NothingToApprove", None)),
        (held(classification="Refused"), 4, ("Failed", "Refused", None)),
    ],
    ids=["held", "another generation", "no preview", "not held", "refused"],
)
def test_approve_change(preview: ChangePreview | None, generation: int, expected: tuple[str, str, int | None]) -> None:
    step, _, _ = approve_change.step(
        on(changePreview=preview), view(action="ApproveChange", generation=generation), None
    )
    assert step.change is not None and (step.change.phase, step.change.reason, step.approves) == expected
