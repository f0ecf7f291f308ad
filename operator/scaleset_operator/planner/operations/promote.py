"""Promote: the rollout waiting at a step (baking, or held by ``pause: {}``) goes on to the next one.

It ends the step's bake time early and lifts its pause; a gate that failed is not overridden (the
rollout has stopped). Done at once; it fails when no rollout waits at a step."""

from __future__ import annotations

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS
from scaleset_operator.planner.rollout import steps

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]


def step(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    del facts
    if record is None or not steps.waiting_at(record) or record.fault is not None or record.cancelRequested:
        where = "no rollout is in progress" if record is None else "the rollout is not waiting at a step"
        return OperationStep(op, finished(False, "NothingToPromote", f"{where}: nothing to promote")), record, Effects()
    assert record.step is not None
    number = record.step.index + 1
    message = f"step {number} promoted: the rollout goes on"
    effects = Effects(events=(normal("Promoted", f"{op.name}: {message}"),), requeue_after=BUSY_RESYNC_SECONDS)
    return OperationStep(op, finished(True, "Promoted", message)), steps.promoted(record), effects
