"""Abort: stop the rollout in progress after the batch in flight (a batch still draining is not sent)
and roll the instances it changed back: a model upgrade to the revision before its own (the cloud is
pinned to it, ``revisions.py``), an OS upgrade to each instance's previous OS image. A reimage-all
cannot be undone: it only stops. Unlike ``CancelRollingUpgrade`` (Azure's: stop, keep what is done).

Running until no rollout runs any more (the aborted one and the rollback it asked for); it fails
when the rollback faulted."""

from __future__ import annotations

from scaleset_operator.api.status import ApiError, RolloutRecord
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished, running
from scaleset_operator.planner.operations.rollback import rolling_back
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]
ABORTED_CODE = "Aborted"


def step(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    if op.status.phase == "Running":
        return _follow(facts, op, record)
    if record is None:
        return OperationStep(op, finished(False, "NoRollout", "no rollout is in progress")), record, Effects()
    if record.kind == "Rollback":
        message = "a rollback cannot be aborted (use CancelRollingUpgrade to stop it)"
        return OperationStep(op, finished(False, "RollbackInProgress", message)), record, Effects()
    undo = record.kind != "ReimageAll"
    fault = ApiError(code=ABORTED_CODE, message=f"aborted by {op.name}")
    aborted = record.model_copy(update={"fault": fault, "rollbackRequested": undo, "stoppedBy": op.name})
    then = "rolling its instances back" if undo else "a reimage-all cannot be undone"
    message = f"aborting the {record.kind} rollout after the batch in flight; {then}"
    effects = Effects(events=(warning("RolloutAborting", f"{op.name}: {message}"),), requeue_after=BUSY_RESYNC_SECONDS)
    return OperationStep(op, running(message, acted=True)), aborted, effects


def _follow(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    """Running until the aborted rollout ended and the rollback it asked for is over."""
    if record is not None or rolling_back(facts, op.name):
        return OperationStep(op), record, Effects(requeue_after=BUSY_RESYNC_SECONDS)
    results = facts.status.lastRollouts
    rollback = next((r for r in results if r.kind == "Rollback" and r.operation == op.name), None)
    aborted = next((r for r in results if r.stoppedBy == op.name), None)
    if rollback is not None:
        message = f"aborted; rolled back to revision {rollback.revision}: {rollback.outcome}"
        change = finished(rollback.outcome == "Completed", rollback.outcome, message)
    elif aborted is not None and aborted.kind == "OSUpgrade":
        message = f"aborted; {aborted.rolledBack} instances restored to their previous image"
        change = finished(aborted.rollbackFailed == 0, "Aborted", f"{message} ({aborted.rollbackFailed} failed)")
    elif aborted is not None and aborted.kind == "ModelUpgrade" and facts.pinned is None:
        change = finished(True, "Aborted", "aborted; no earlier revision is kept to roll back to")
    else:
        change = finished(True, "Aborted", "aborted")
    return OperationStep(op, change), record, Effects()
