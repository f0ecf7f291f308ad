"""Rollback: roll the scale set back to the previous revision (or ``toRevision``).

The cloud is pinned to the revision (``status.pinnedRevision``, ``revisions.py``): its model is pushed
and a ``Rollback`` rollout brings the instances to it under the rolling policy, crash-safe like any
rollout. A rollout in progress is stopped first (after its batch in flight). The spec is not
changed: ``Stalled`` (``RolledBack``) says the spec and the cloud differ on purpose until the spec's
model changes (a revert in Git, or a fix forward).

Phases: Running (stopping a rollout; then ``acted``: pinned) -> Succeeded when the rollback rollout
completed (or nothing needed it), Failed when it faulted.
"""

from __future__ import annotations

from scaleset_operator.api.rollout_status import RevisionRecord
from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner import revisions
from scaleset_operator.planner.decision import Effects, OperationChange, OperationStep
from scaleset_operator.planner.events import normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished, running
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS
from scaleset_operator.planner.timefmt import fmt

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]
WAIT = Effects(requeue_after=BUSY_RESYNC_SECONDS)


def step(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    if op.status.phase == "Running" and op.status.acted:
        return _follow(facts, op, record)
    target, problem = _target(facts, op)
    if target is None:
        return OperationStep(op, problem), record, Effects()
    if record is not None:
        stopping = record if record.cancelRequested else record.model_copy(update={"cancelRequested": True})
        message = f"stopping the {record.kind} rollout in progress, then rolling back to revision {target.revision}"
        return OperationStep(op, running(message, acted=False)), stopping, WAIT
    pinned = revisions.pin(target, facts.spec, "Rollback", f"requested by {op.name}", fmt(facts.now), op.name)
    message = f"rolling back to revision {target.revision} (the spec's model stays as it is)"
    effects = Effects(events=(normal("RollbackRequested", f"{op.name}: {message}"),), requeue_after=BUSY_RESYNC_SECONDS)
    return OperationStep(op, running(message, acted=True), pin=pinned), record, effects


def _target(facts: Facts, op: OperationView) -> tuple[RevisionRecord | None, OperationChange | None]:
    kept = facts.status.revisions
    current = revisions.current(facts.status, facts.spec)
    wanted = op.spec.toRevision
    if wanted is None:
        found = revisions.previous(kept, current.revision if current is not None else None)
        missing = "no revision before the current one is kept"
    else:
        found = next((r for r in kept if r.revision == wanted), None)
        missing = f"revision {wanted} is not kept (kept: {', '.join(str(r.revision) for r in kept) or 'none'})"
    if found is None:
        return None, finished(False, "RevisionNotFound", missing)
    if current is not None and found.hash == current.hash:
        return None, finished(True, "NothingToDo", f"the scale set already runs revision {found.revision}")
    return found, None


def rolling_back(facts: Facts, operation: str) -> bool:
    """The cloud is pinned for ``operation`` and its rollback has not ended yet."""
    pinned = facts.pinned
    if pinned is None or pinned.operation != operation:
        return False
    if facts.scale_set.model_hash != facts.model_hash:
        return True
    ended = any(r.kind == "Rollback" and r.operation == operation for r in facts.status.lastRollouts)
    stale = any(not i.latest_model_applied and not i.protect_from_scale_set_actions for i in facts.instances)
    return stale and not ended


def _follow(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    if record is not None or rolling_back(facts, op.name):
        return OperationStep(op), record, WAIT
    result = next((r for r in facts.status.lastRollouts if r.kind == "Rollback" and r.operation == op.name), None)
    pinned = facts.pinned.revision if facts.pinned is not None else "?"
    if result is None:
        change = finished(True, "RolledBack", f"rolled back to revision {pinned} (no instance needed an upgrade)")
    else:
        message = f"rollback to revision {result.revision}: {result.outcome} ({result.successful} instances)"
        change = finished(result.outcome == "Completed", result.outcome, message)
    return OperationStep(op, change), record, Effects()
