"""``ScaleSetOperation``: one-shot requests, carried out by the target ScaleSet's own reconcile pass.

Routing operations through the ScaleSet's pass keeps one writer per ScaleSet status (a
StartOSUpgrade or CancelRollingUpgrade changes the rollout record) and lets the same intent rule
apply: the operation's status (phase Running, affected instances, ``acted: false``) is written before
the backend call and ``acted`` after it, so the call is never made twice.

Phases: Pending -> Running (call recorded, then sent) -> Succeeded / Failed once the affected
instances have settled (or the rollout it started or cancelled has ended).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.status import Condition, RolloutRecord, ScaleSetStatus
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner import os_upgrade
from scaleset_operator.planner.actions import (
    Action,
    DeleteInstances,
    ReimageAllInstances,
    ReimageInstances,
    RestartInstances,
    UpgradeInstances,
)
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.inputs import PlanInputs
from scaleset_operator.planner.timefmt import fmt

DATA_LOSS_WARNING = "ReimageAll recreates OS and data disks: data on the data disks of {ids} is lost"


@dataclass(frozen=True)
class OperationView:
    """The operation as the reconciler read it (status possibly from the reconciler's own memory)."""

    name: str
    spec: ScaleSetOperationSpec
    status: ScaleSetOperationStatus
    generation: int = 1


@dataclass
class OperationStep:
    status: ScaleSetOperationStatus
    record: RolloutRecord | None
    actions: list[Action] = field(default_factory=list)
    events: list[PlannedEvent] = field(default_factory=list)


def _condition(kind: str, ok: bool, reason: str, message: str, prev: list[Condition], now: datetime) -> Condition:
    status = "True" if ok else "False"
    old = next((c for c in prev if c.type == kind), None)
    since = old.lastTransitionTime if old is not None and old.status == status else fmt(now)
    return Condition(type=kind, status=status, reason=reason, message=message, lastTransitionTime=since)


def _finish(
    op: OperationView, now: datetime, ok: bool, reason: str, message: str, **extra: object
) -> ScaleSetOperationStatus:
    status = op.status
    return status.model_copy(
        update={
            "observedGeneration": op.generation,
            "phase": "Succeeded" if ok else "Failed",
            "message": message,
            "startTime": status.startTime or fmt(now),
            "completionTime": fmt(now),
            "conditions": _conditions("Succeeded" if ok else "Failed", reason, message, status.conditions, now),
            **extra,
        }
    )


def _conditions(phase: str, reason: str, message: str, prev: list[Condition], now: datetime) -> list[Condition]:
    """Job-style ``Complete``/``Failed`` for people and scripts, and kstatus' ``Ready``/``Reconciling``/
    ``Stalled`` so Flux waits for a running operation and reports a failed one."""
    done, failed = phase == "Succeeded", phase == "Failed"
    running = not done and not failed
    return [
        _condition("Complete", done, reason, message, prev, now),
        _condition("Failed", failed, reason, message, prev, now),
        _condition("Ready", done, reason, message, prev, now),
        _condition("Reconciling", running, reason, message, prev, now),
        _condition("Stalled", failed, reason, message, prev, now),
    ]


def failed_status(
    status: ScaleSetOperationStatus, generation: int, reason: str, message: str, now: datetime
) -> ScaleSetOperationStatus:
    """An operation that cannot run at all (e.g. its ScaleSet does not exist)."""
    view = OperationView(name="", spec=None, status=status, generation=generation)  # type: ignore[arg-type]
    return _finish(view, now, False, reason, message)


def _running(op: OperationView, now: datetime, message: str, **extra: object) -> ScaleSetOperationStatus:
    status = op.status
    return status.model_copy(
        update={
            "observedGeneration": op.generation,
            "phase": "Running",
            "message": message,
            "startTime": status.startTime or fmt(now),
            "conditions": _conditions("Running", "Running", message, status.conditions, now),
            **extra,
        }
    )


def _instance_action(action: str, ids: tuple[str, ...]) -> Action:
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


def step(
    op: OperationView, inputs: PlanInputs, record: RolloutRecord | None, previous: ScaleSetStatus
) -> OperationStep:
    now = inputs.now
    observed = inputs.observed
    if op.status.phase in ("Succeeded", "Failed"):
        return OperationStep(status=op.status, record=record)
    if observed is None:
        return OperationStep(status=op.status, record=record)
    action = op.spec.action
    if action == "StartOSUpgrade":
        return _start_os_upgrade(op, inputs, record, previous)
    if action == "CancelRollingUpgrade":
        return _cancel(op, inputs, record, previous)
    return _instances(op, observed, record, now)


def _instances(
    op: OperationView, observed: ObservedScaleSet, record: RolloutRecord | None, now: datetime
) -> OperationStep:
    action = op.spec.action
    if op.status.phase == "Running" and op.status.acted:
        affected = [observed.instance(i) for i in op.status.affectedInstances]
        if action == "DeleteInstances":
            left = [i for i in op.status.affectedInstances if observed.instance(i) is not None]
            if left:
                return OperationStep(status=op.status, record=record)
            return OperationStep(
                status=_finish(op, now, True, "Deleted", f"deleted instances {', '.join(op.status.affectedInstances)}"),
                record=record,
                events=[normal("OperationSucceeded", f"{op.name}: DeleteInstances done")],
            )
        if any(i is not None and (i.busy or i.health_state == "Initializing") for i in affected):
            return OperationStep(status=op.status, record=record)
        failed = [
            instance_id
            for instance_id in op.status.affectedInstances
            if (found := observed.instance(instance_id)) is None or found.provisioning_state == "Failed"
        ]
        if failed:
            message = f"{action} failed on instances {', '.join(failed)}"
            return OperationStep(
                status=_finish(op, now, False, "InstancesFailed", message),
                record=record,
                events=[warning("OperationFailed", f"{op.name}: {message}")],
            )
        message = f"{action} done on instances {', '.join(op.status.affectedInstances)}"
        return OperationStep(
            status=_finish(op, now, True, "Done", message),
            record=record,
            events=[normal("OperationSucceeded", f"{op.name}: {message}")],
        )
    if op.spec.allInstances:
        wanted = [i.instance_id for i in observed.instances]
    else:
        wanted = list(op.spec.instanceIds or [])
        unknown = [i for i in wanted if observed.instance(i) is None]
        if unknown:
            existing = ", ".join(sorted((i.instance_id for i in observed.instances), key=int)) or "none"
            message = f"instance IDs {', '.join(unknown)} not found in the scale set (it has: {existing})"
            return OperationStep(
                status=_finish(op, now, False, "InstanceNotFound", message),
                record=record,
                events=[warning("OperationFailed", f"{op.name}: {message}")],
            )
    protected = [
        i for i in wanted if (inst := observed.instance(i)) is not None and inst.protect_from_scale_set_actions
    ]
    targets = [i for i in wanted if i not in protected]
    if action == "UpgradeInstances" and op.status.phase == "Pending":
        targets = [i for i in targets if not observed.instance(i).latest_model_applied]  # type: ignore[union-attr]
    if not targets:
        reason = "AllProtected" if protected else "NothingToDo"
        message = (
            f"every target instance is protected from scale set actions: {', '.join(protected)}"
            if protected
            else "every target instance already runs the latest model"
        )
        return OperationStep(
            status=_finish(op, now, not protected, reason, message, skippedInstances=protected), record=record
        )
    if op.status.phase == "Running":  # recorded but not sent (crash before the call): resend to the rest
        targets = [
            i
            for i in op.status.affectedInstances
            if (inst := observed.instance(i)) is not None
            and not inst.busy
            and not (action == "UpgradeInstances" and inst.latest_model_applied)
        ]
        if not targets:
            return OperationStep(status=op.status.model_copy(update={"acted": True}), record=record)
        return OperationStep(status=op.status, record=record, actions=[_instance_action(action, tuple(targets))])
    ids = tuple(targets)
    events = [normal("OperationStarted", f"{op.name}: {action} on instances {', '.join(ids)}")]
    if action == "ReimageAll":
        events.append(warning("DataDisksErased", DATA_LOSS_WARNING.format(ids=", ".join(ids))))
    if protected:
        events.append(
            normal("InstancesSkipped", f"{op.name}: protected from scale set actions: {', '.join(protected)}")
        )
    status = _running(
        op,
        now,
        f"{action} sent to {len(ids)} instances",
        affectedInstances=list(ids),
        skippedInstances=protected,
        acted=False,
    )
    return OperationStep(status=status, record=record, actions=[_instance_action(action, ids)], events=events)


def _start_os_upgrade(
    op: OperationView, inputs: PlanInputs, record: RolloutRecord | None, previous: ScaleSetStatus
) -> OperationStep:
    now = inputs.now
    if op.status.phase == "Running":
        if record is not None and record.operation == op.name:
            return OperationStep(status=op.status, record=record)
        last = previous.osUpgradeHistory[0] if previous.osUpgradeHistory else None
        ok = last is not None and last.runningStatus.code == "Completed"
        code = last.runningStatus.code if last else "Unknown"
        return OperationStep(status=_finish(op, now, ok, code, f"OS upgrade ended: {code}"), record=record)
    if not inputs.desired.image.wants_latest:
        message = "StartOSUpgrade needs the scale set's image to use version 'latest'; no instance uses it"
        return OperationStep(status=_finish(op, now, False, "NoInstanceUsesLatest", message), record=record)
    if record is not None:
        message = f"a {record.kind} rollout is already in progress; cancel it first or wait"
        return OperationStep(status=_finish(op, now, False, "RolloutInProgress", message), record=record)
    latest = inputs.latest_image_version
    targets = os_upgrade.older_instances(inputs, latest) if latest else []
    if latest is None or not targets:
        message = f"no unprotected instance runs an image older than {latest or 'the latest version'}"
        return OperationStep(status=_finish(op, now, True, "UpToDate", message), record=record)
    started = os_upgrade.new_record(inputs, latest, started_by="User", rollback=False, operation=op.name)
    message = f"OS upgrade to {latest} started on {len(targets)} instances (started by User, no automatic rollback)"
    return OperationStep(
        status=_running(op, now, message, affectedInstances=targets, acted=True),
        record=started,
        events=[normal("OSUpgradeStarted", f"{op.name}: {message}")],
    )


def _cancel(
    op: OperationView, inputs: PlanInputs, record: RolloutRecord | None, previous: ScaleSetStatus
) -> OperationStep:
    now = inputs.now
    if op.status.phase == "Running":
        if record is not None:
            return OperationStep(status=op.status, record=record)
        rolling = previous.rollingUpgrade
        code = rolling.runningStatus.code if rolling else "Unknown"
        return OperationStep(
            status=_finish(op, now, True, code, f"rollout ended: {code}"),
            record=record,
        )
    if record is None:
        return OperationStep(
            status=_finish(op, now, False, "NoRollingUpgrade", "no rolling upgrade is in progress"), record=record
        )
    cancelled = record.model_copy(update={"cancelRequested": True})
    message = "cancelling: the rollout stops after the batch in flight"
    return OperationStep(
        status=_running(op, now, message, acted=True),
        record=cancelled,
        events=[normal("RolloutCancelling", f"{op.name}: {message}")],
    )
