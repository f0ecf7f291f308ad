"""ApproveChange: let the held change of one generation through (``rolloutPolicy.maxDisruption``).

Done at once: the change preview of that generation is marked approved and the next pass sends the
model to the cloud (the rollout follows the upgrade policy as usual). It fails when that generation
has no held change (approve what you saw: a newer edit needs its own approval) or the change is
refused (a field Azure cannot change)."""

from __future__ import annotations

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]


def step(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    preview = facts.status.changePreview
    wanted = op.spec.generation
    if preview is None or preview.generation != wanted:
        latest = f"the latest change is generation {preview.generation}" if preview is not None else "no change"
        message = f"generation {wanted} has no held change ({latest})"
        return OperationStep(op, finished(False, "NotHeld", message)), record, Effects()
    if preview.classification == "Refused":
        message = f"generation {wanted} is refused, not held: {preview.message}"
        return OperationStep(op, finished(False, "Refused", message)), record, Effects()
    if not preview.held or preview.approved:
        message = f"generation {wanted} is not held ({preview.classification}, disruption {preview.disruption})"
        return OperationStep(op, finished(True, "NothingToApprove", message)), record, Effects()
    message = f"generation {wanted} approved: {preview.message}"
    effects = Effects(events=(normal("ChangeApproved", f"{op.name}: {message}"),), requeue_after=BUSY_RESYNC_SECONDS)
    return OperationStep(op, finished(True, "Approved", message), approves=wanted), record, effects
