"""CancelRollingUpgrade: the rollout in progress stops after the batch in flight; done when it ended."""

from __future__ import annotations

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished, running
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]


def step(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    if op.status.phase == "Running":
        if record is not None:
            return OperationStep(op), record, Effects(requeue_after=BUSY_RESYNC_SECONDS)
        last = facts.status.lastRollouts[0] if facts.status.lastRollouts else None
        outcome = last.outcome if last is not None else "Unknown"
        return OperationStep(op, finished(True, outcome, f"rollout ended: {outcome}")), record, Effects()
    if record is None:
        return (
            OperationStep(op, finished(False, "NoRollingUpgrade", "no rolling upgrade is in progress")),
            record,
            Effects(),
        )
    cancelled = record.model_copy(update={"cancelRequested": True})
    message = "cancelling: the rollout stops after the batch in flight"
    effects = Effects(events=(normal("RolloutCancelling", f"{op.name}: {message}"),), requeue_after=BUSY_RESYNC_SECONDS)
    return OperationStep(op, running(message, acted=True)), cancelled, effects
