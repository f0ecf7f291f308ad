"""UpgradeInstances, Reimage, ReimageAll, Restart, DeleteInstances: one call on the listed (or all)
instances, protected ones skipped; done once every affected instance has settled."""

from __future__ import annotations

from scaleset_operator.api.operation import ScaleSetOperationSpec
from scaleset_operator.cloud.observed import instance_order
from scaleset_operator.planner.actions import (
    Action,
    DeleteInstances,
    ReimageAllInstances,
    ReimageInstances,
    RestartInstances,
    UpgradeInstances,
)
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished, running
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

DATA_LOSS_WARNING = "ReimageAll recreates OS and data disks: data on the data disks of {ids} is lost"


def action_for(action: str, ids: tuple[str, ...]) -> Action:
    match action:
        case "UpgradeInstances":
            return UpgradeInstances(ids)
        case "Reimage":
            return ReimageInstances(ids)
        case "ReimageAll":
            return ReimageAllInstances(ids)
        case "Restart":
            return RestartInstances(ids)
        case _:
            return DeleteInstances(ids)


def step(facts: Facts, op: OperationView) -> tuple[OperationStep, Effects]:
    if op.status.phase == "Running" and op.status.acted:
        return _judge(facts, op)
    if op.status.phase == "Running":
        return _resend(facts, op)
    return _start(facts, op)


def _judge(facts: Facts, op: OperationView) -> tuple[OperationStep, Effects]:
    """Sent: done once the affected instances have settled (deleted ones: gone)."""
    observed, action, affected = facts.scale_set, op.spec.action, op.status.affectedInstances
    waiting = OperationStep(op), Effects(requeue_after=BUSY_RESYNC_SECONDS)
    if action == "DeleteInstances":
        if any(observed.instance(i) is not None for i in affected):
            return waiting
        message = f"deleted instances {', '.join(affected)}"
        done = normal("OperationSucceeded", f"{op.name}: DeleteInstances done")
        return OperationStep(op, finished(True, "Deleted", message)), Effects(events=(done,))
    found = [observed.instance(i) for i in affected]
    if any(i is not None and (i.busy or i.health_state == "Initializing") for i in found):
        return waiting
    failed = [i for i in affected if (inst := observed.instance(i)) is None or inst.provisioning_state == "Failed"]
    if failed:
        message = f"{action} failed on instances {', '.join(_with_errors(facts, failed))}"
        event = warning("OperationFailed", f"{op.name}: {message}")
        return OperationStep(op, finished(False, "InstancesFailed", message)), Effects(events=(event,))
    message = f"{action} done on instances {', '.join(affected)}"
    event = normal("OperationSucceeded", f"{op.name}: {message}")
    return OperationStep(op, finished(True, "Done", message)), Effects(events=(event,))


def _with_errors(facts: Facts, ids: list[str]) -> list[str]:
    """Instance IDs, each with Azure's own error when the cloud reported one."""
    named = []
    for instance_id in ids:
        found = facts.scale_set.instance(instance_id)
        error = found.last_error if found is not None else None
        named.append(f"{instance_id} ({error.code}: {error.message})" if error is not None else instance_id)
    return named


def _resend(facts: Facts, op: OperationView) -> tuple[OperationStep, Effects]:
    """Recorded but not sent (a crash before the call): send to the affected instances still to do."""
    upgrade = op.spec.action == "UpgradeInstances"
    targets = tuple(
        i
        for i in op.status.affectedInstances
        if (inst := facts.scale_set.instance(i)) is not None
        and not inst.busy
        and not (upgrade and inst.latest_model_applied)
    )
    if not targets:
        return OperationStep(op, running(op.status.message, acted=True)), Effects(requeue_after=BUSY_RESYNC_SECONDS)
    action = action_for(op.spec.action, targets)
    return OperationStep(op, sends=True), Effects((action,), requeue_after=BUSY_RESYNC_SECONDS)


def _wanted(facts: Facts, spec: ScaleSetOperationSpec) -> tuple[list[str], list[str]]:
    """(listed instance IDs, those the scale set does not have)."""
    if spec.allInstances:
        return [i.instance_id for i in facts.instances], []
    wanted = list(spec.instanceIds or [])
    return wanted, [i for i in wanted if facts.scale_set.instance(i) is None]


def _protected(facts: Facts, instance_id: str) -> bool:
    found = facts.scale_set.instance(instance_id)
    return found is not None and found.protect_from_scale_set_actions


def _start(facts: Facts, op: OperationView) -> tuple[OperationStep, Effects]:
    wanted, unknown = _wanted(facts, op.spec)
    if unknown:
        existing = ", ".join(sorted((i.instance_id for i in facts.instances), key=instance_order)) or "none"
        message = f"instance IDs {', '.join(unknown)} not found in the scale set (it has: {existing})"
        event = warning("OperationFailed", f"{op.name}: {message}")
        return OperationStep(op, finished(False, "InstanceNotFound", message)), Effects(events=(event,))
    protected = [
        i for i in wanted if (inst := facts.scale_set.instance(i)) is not None and inst.protect_from_scale_set_actions
    ]
    targets = [i for i in wanted if i not in protected]
    if op.spec.action == "UpgradeInstances":
        targets = [i for i in targets if not facts.scale_set.instance(i).latest_model_applied]  # type: ignore[union-attr]
    if not targets:
        if protected:
            message = f"every target instance is protected from scale set actions: {', '.join(protected)}"
            return OperationStep(op, finished(False, "AllProtected", message, skipped=protected)), Effects()
        message = "every target instance already runs the latest model"
        return OperationStep(op, finished(True, "NothingToDo", message, skipped=protected)), Effects()
    return _send(op, tuple(targets), protected)


def _send(op: OperationView, ids: tuple[str, ...], protected: list[str]) -> tuple[OperationStep, Effects]:
    action = op.spec.action
    events: list[PlannedEvent] = [normal("OperationStarted", f"{op.name}: {action} on instances {', '.join(ids)}")]
    if action == "ReimageAll":
        events.append(warning("DataDisksErased", DATA_LOSS_WARNING.format(ids=", ".join(ids))))
    if protected:
        events.append(
            normal("InstancesSkipped", f"{op.name}: protected from scale set actions: {', '.join(protected)}")
        )
    change = running(f"{action} sent to {len(ids)} instances", affected=ids, skipped=protected, acted=False)
    return OperationStep(op, change, sends=True), Effects(
        (action_for(action, ids),), tuple(events), BUSY_RESYNC_SECONDS
    )
