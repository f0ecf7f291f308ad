"""Assemble ``ScaleSet.status`` in one place: counts, instances, rollout progress, history, conditions.

Nothing here depends on the wall clock except transition times and the end of a rollout, so an
idle, converged ScaleSet produces the very same status on every pass (no writes).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.status import (
    ImageReferenceStatus,
    OSUpgradeHistoryEntry,
    RollbackStatusInfo,
    RollingUpgradeProgress,
    RollingUpgradeRunningStatus,
    RollingUpgradeStatus,
    RolloutRecord,
    ScaleSetStatus,
)
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner import conditions, os_upgrade, rollouts
from scaleset_operator.planner.conditions import Situation
from scaleset_operator.planner.events import PlannedEvent
from scaleset_operator.planner.health import is_healthy, is_running, is_unhealthy
from scaleset_operator.planner.inputs import PlanInputs
from scaleset_operator.planner.instance_view import instance_status, needs_reimage
from scaleset_operator.planner.rollout import Step, pending_instances, progress_deadline_exceeded
from scaleset_operator.planner.timefmt import fmt

HISTORY_LIMIT = 5
SELECTOR_LABEL = "scaleset.dev/name"


def _progress(record: RolloutRecord, inputs: PlanInputs) -> RollingUpgradeProgress:
    in_flight = record.batch.instanceIds if record.batch and record.batch.action != "Rollback" else []
    pending = 0
    if inputs.observed is not None and record.fault is None and not record.cancelRequested:
        strategy = rollouts.strategy_for(inputs, record)
        pending = len(pending_instances(record, inputs.observed.instances, strategy))
    return RollingUpgradeProgress(
        successfulInstanceCount=len(record.done),
        failedInstanceCount=len(record.failed),
        inProgressInstanceCount=len(in_flight),
        pendingInstanceCount=pending,
    )


def _ended(record: RolloutRecord, outcome: str | None, inputs: PlanInputs) -> RollingUpgradeRunningStatus:
    return RollingUpgradeRunningStatus(
        code=outcome,
        startTime=record.startTime,
        lastAction="Cancel" if record.cancelRequested else "Start",
        lastActionTime=record.startTime,
        endTime=fmt(inputs.now),
    )


def _rolling_status(
    inputs: PlanInputs, record: RolloutRecord | None, finished: Step | None
) -> RollingUpgradeStatus | None:
    if record is not None:
        return RollingUpgradeStatus(
            kind=record.kind,
            target=record.target,
            runningStatus=RollingUpgradeRunningStatus(
                code="RollingForward",
                startTime=record.startTime,
                lastAction="Cancel" if record.cancelRequested else "Start",
                lastActionTime=record.startTime,
            ),
            progress=_progress(record, inputs),
        )
    if finished is not None and finished.finished is not None:
        done = finished.finished
        return RollingUpgradeStatus(
            kind=done.kind,
            target=done.target,
            runningStatus=_ended(done, finished.outcome, inputs),
            progress=_progress(done, inputs).model_copy(update={"pendingInstanceCount": 0}),
            error=done.fault,
        )
    return inputs.status.rollingUpgrade


def _history(inputs: PlanInputs, finished: Step | None) -> list[OSUpgradeHistoryEntry]:
    history = list(inputs.status.osUpgradeHistory)
    if finished is None or finished.finished is None or finished.finished.kind != "OSUpgrade":
        return history
    done = finished.finished
    image = inputs.spec.virtualMachineProfile.storageProfile.imageReference
    entry = OSUpgradeHistoryEntry(
        runningStatus=_ended(done, finished.outcome, inputs),
        progress=_progress(done, inputs).model_copy(update={"pendingInstanceCount": 0}),
        startedBy=done.startedBy,
        targetImageReference=ImageReferenceStatus(
            publisher=image.publisher, offer=image.offer, sku=image.sku, id=image.id, version=done.target
        ),
        rollbackInfo=RollbackStatusInfo(
            successfullyRolledbackInstanceCount=len(done.rolledBack),
            failedRolledbackInstanceCount=len(done.rollbackFailed),
        ),
        error=done.fault,
    )
    return [entry, *history][:HISTORY_LIMIT]


def _current_image(observed: ObservedScaleSet | None, inputs: PlanInputs) -> str:
    if observed is not None and observed.instances:
        counts = Counter(i.image.display() for i in observed.instances)
        return counts.most_common(1)[0][0]
    image = inputs.desired.image
    return f"{image.offer}:{image.sku}:{image.version}" if not image.is_gallery else (image.id or "").rsplit("/", 1)[-1]


def _upgrade_state(rolling: RollingUpgradeStatus | None, record: RolloutRecord | None, stale: int, mode: str) -> str:
    if record is not None and rolling is not None:
        p = rolling.progress
        total = p.successfulInstanceCount + p.failedInstanceCount + p.inProgressInstanceCount + p.pendingInstanceCount
        return f"RollingForward {p.successfulInstanceCount}/{total}"
    if stale and mode == "Manual":
        return f"ManualPending {stale}"
    if rolling is not None and rolling.runningStatus.code in ("Faulted", "Cancelled"):
        return rolling.runningStatus.code
    return "UpToDate" if not stale else "Pending"


def _situation(
    inputs: PlanInputs,
    record: RolloutRecord | None,
    rolling: RollingUpgradeStatus | None,
    waiting: tuple[str, str] | None,
    progressing: tuple[str, str] | None,
) -> Situation:
    observed = inputs.observed
    signal = rollouts.signal(inputs)
    stalled: tuple[str, str] | None = None
    failure = inputs.backend_failure
    if failure is not None:
        if failure.kind == "unauthorized":
            stalled = ("BackendUnauthorized", f"{failure.code}: {failure.message}")
        elif failure.retryable:
            kind = "Throttled" if failure.kind == "throttled" else "BackendRetrying"
            progressing = (kind, f"{failure.code}: {failure.message} (retrying)")
        else:
            stalled = ("BackendError", f"{failure.code}: {failure.message}")
    rollout_info: tuple[bool, str, str] | None = None
    stale = [i for i in observed.instances if not i.latest_model_applied] if observed else []
    if record is not None:
        deadline = inputs.spec.rolloutPolicy.progressDeadline
        if waiting is not None and progress_deadline_exceeded(
            record, inputs.now, parse_duration(deadline).total_seconds()
        ):
            stalled = stalled or (
                "ProgressDeadlineExceeded",
                f"no rollout progress within {deadline}: {waiting[1]}",
            )
        p = rolling.progress if rolling else None
        done = p.successfulInstanceCount if p else 0
        total = (done + p.failedInstanceCount + p.inProgressInstanceCount + p.pendingInstanceCount) if p else 0
        batch = record.batch
        message = f"{record.kind} {done}/{total} done"
        if batch is not None:
            message += f"; batch {batch.number} ({batch.action}): {', '.join(batch.instanceIds)}"
        if waiting is not None:
            rollout_info = (waiting[0] == "WaitingForBatch", waiting[0], waiting[1])
            progressing = progressing or (waiting[0], f"{message}; {waiting[1]}")
        else:
            rollout_info = (True, "RollingForward", message)
            progressing = progressing or ("RollingForward", message)
    elif rolling is not None and rolling.runningStatus.code == "Faulted" and rolling.error is not None:
        still_relevant = (
            rolling.kind == "ModelUpgrade" and rolling.target == inputs.desired.model_hash() and stale
        ) or (rolling.kind == "OSUpgrade" and rolling.target == inputs.latest_image_version)
        if still_relevant:
            rollout_info = (False, rolling.error.code, rolling.error.message)
            stalled = stalled or (rolling.error.code, rolling.error.message)
    os_info: tuple[bool, str, str] | None = None
    if os_upgrade.enabled(inputs):
        errors = os_upgrade.requirement_errors(inputs)
        if errors:
            os_info = (False, os_upgrade.REQUIREMENTS_REASON, "; ".join(errors))
            stalled = stalled or (os_upgrade.REQUIREMENTS_REASON, "; ".join(errors))
        elif record is not None and record.kind == "OSUpgrade":
            os_info = (True, "RollingForward", f"upgrading to image {record.target}")
        else:
            check = os_upgrade.start_check(inputs)
            if check is None or check[0] == "UpToDate":
                os_info = (True, "UpToDate", check[1] if check else "an upgrade is starting")
            else:
                os_info = (False, check[0], check[1])
    if observed is not None and progressing is None and stalled is None:
        not_ready = [i for i in observed.instances if not is_healthy(i, signal)]
        if len(observed.instances) != inputs.capacity:
            progressing = ("Scaling", f"{len(observed.instances)} of {inputs.capacity} instances exist")
        elif any(i.busy or not is_running(i) or i.health_state == "Initializing" for i in not_ready):
            names = ", ".join(i.name for i in not_ready[:3])
            progressing = (
                "WaitingForInstances",
                f"{len(observed.instances) - len(not_ready)}/{inputs.capacity} ready; waiting for {names}",
            )
        elif inputs.spec.upgradePolicy.mode == "Automatic" and stale and not inputs.spec.paused:
            progressing = (
                "UpgradingInstances",
                f"{len(stale)} instances are being brought to the latest model",
            )
    drifted = []
    if observed is not None:
        drifted = [
            i.name
            for i in observed.instances
            if needs_reimage(instance_status(i, inputs.desired, inputs.latest_image_version).differsFromModel)
        ]
    reimage = (
        len(drifted),
        f"{len(drifted)} instances need a reimage to match the model: {', '.join(drifted[:10])}",
    )
    ready_message = "the scale set matches the model"
    if stale and inputs.spec.upgradePolicy.mode == "Manual":
        ready_message = (
            f"{len(stale)} instances await a manual upgrade (Manual mode: use an UpgradeInstances operation)"
        )
    degraded: tuple[str, str] | None = None
    if observed is not None:
        unhealthy = [i.name for i in observed.instances if is_unhealthy(i, signal)]
        if unhealthy:
            degraded = ("InstancesUnhealthy", f"{len(unhealthy)} instances are unhealthy: {', '.join(unhealthy[:5])}")
    return Situation(
        generation=inputs.generation,
        progressing=progressing,
        stalled=stalled,
        rollout=rollout_info,
        reimage_required=reimage,
        os_upgrade=os_info,
        ready_message=ready_message,
        degraded=degraded,
    )


def build_status(
    inputs: PlanInputs,
    record: RolloutRecord | None,
    finished: Step | None,
    waiting: tuple[str, str] | None,
    progressing: tuple[str, str] | None,
    events: list[PlannedEvent],
) -> ScaleSetStatus:
    del events  # events are posted by the reconciler; status never embeds them
    observed = inputs.observed
    signal = rollouts.signal(inputs)
    instances = sorted(observed.instances, key=lambda i: int(i.instance_id)) if observed else []
    views = [instance_status(i, inputs.desired, inputs.latest_image_version) for i in instances]
    rolling = _rolling_status(inputs, record, finished)
    situation = _situation(inputs, record, rolling, waiting, progressing)
    stale = sum(1 for i in instances if not i.latest_model_applied)
    return ScaleSetStatus(
        observedGeneration=inputs.generation,
        conditions=conditions.all_conditions(situation, inputs.status.conditions, inputs.now),
        replicas=len(instances),
        readyReplicas=sum(1 for i in instances if is_healthy(i, signal)),
        updatedReplicas=sum(1 for i in instances if i.latest_model_applied),
        selector=f"{SELECTOR_LABEL}={inputs.name}",
        currentImage=_current_image(observed, inputs),
        upgradeState=_upgrade_state(rolling, record, stale, inputs.spec.upgradePolicy.mode),
        modelHash=inputs.desired.model_hash(),
        latestImageVersion=inputs.latest_image_version or inputs.status.latestImageVersion,
        instances=views,
        rollingUpgrade=rolling,
        osUpgradeHistory=_history(inputs, finished),
        rollout=record,
    )


def stalled_status(
    previous: ScaleSetStatus, generation: int, reason: str, message: str, now: datetime
) -> ScaleSetStatus:
    """Status when the operator cannot even plan (invalid spec, missing Secret): say why, keep the rest."""
    situation = Situation(generation=generation, stalled=(reason, message))
    return previous.model_copy(
        update={
            "observedGeneration": generation,
            "conditions": conditions.all_conditions(situation, previous.conditions, now),
        }
    )
