"""The rollout in status: the intent record, how rollouts ended (``lastRollouts``), and the displays
rendered from those two (``rollingUpgrade``, ``osUpgradeHistory``, the ``UPGRADE`` column).

The intent record's batch is marked ``acted`` only once the backend accepted the batch's own call.
Displays are never read back to decide anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from scaleset_operator.api.status import (
    ImageReferenceStatus,
    OSUpgradeHistoryEntry,
    RollbackStatusInfo,
    RollingUpgradeProgress,
    RollingUpgradeRunningStatus,
    RollingUpgradeStatus,
    RolloutRecord,
    RolloutResult,
)
from scaleset_operator.planner.decision import Accepted, RolloutStep
from scaleset_operator.planner.rollout.progress import total
from scaleset_operator.planner.rollout.record import mark_batch_acted
from scaleset_operator.planner.rollout.results import result_of
from scaleset_operator.planner.status.view import View
from scaleset_operator.planner.timefmt import parse

HISTORY_LIMIT = 5
Show = Callable[[datetime], str]
"""A policy-clock time as status shows it (``View.shown``)."""


def fields(view: View) -> dict[str, Any]:
    step = view.decision.rollout
    previous = view.previous
    if step is None:  # not evaluated this pass: everything stays as stored
        return {
            "rollout": previous.rollout,
            "lastRollouts": previous.lastRollouts,
            "rollingUpgrade": previous.rollingUpgrade,
            "osUpgradeHistory": previous.osUpgradeHistory,
            "upgradeState": previous.upgradeState,
        }
    record = step.record
    if record is not None and step.sends_batch and isinstance(view.outcome, Accepted):
        record = mark_batch_acted(record)
    rolling = rolling_upgrade(step, record, view.shown) or previous.rollingUpgrade
    return {
        "rollout": record,
        "lastRollouts": list(step.results),
        "rollingUpgrade": rolling,
        "osUpgradeHistory": _history(view, step),
        "upgradeState": _upgrade_state(view, step, rolling),
    }


def rolling_upgrade(step: RolloutStep, record: RolloutRecord | None, show: Show) -> RollingUpgradeStatus | None:
    """Azure's RollingUpgradeStatusInfo: the running rollout, else how the most recent one ended
    (times from the records, which are on the policy clock, shown on the wall clock)."""
    if record is not None:
        started = _shown(record.startTime, show)
        return RollingUpgradeStatus(
            kind=record.kind,
            target=record.target,
            runningStatus=RollingUpgradeRunningStatus(
                code="RollingForward",
                startTime=started,
                lastAction="Cancel" if record.cancelRequested else "Start",
                lastActionTime=started,
            ),
            progress=step.counts or RollingUpgradeProgress(),
        )
    if not step.results:
        return None
    last = step.results[0]
    return RollingUpgradeStatus(
        kind=last.kind, target=last.target, runningStatus=_ended(last, show), progress=_progress(last), error=last.error
    )


def _shown(value: str, show: Show) -> str:
    return show(parse(value))


def _ended(result: RolloutResult, show: Show) -> RollingUpgradeRunningStatus:
    started = _shown(result.startTime, show)
    return RollingUpgradeRunningStatus(
        code=result.outcome,
        startTime=started,
        lastAction="Cancel" if result.cancelRequested else "Start",
        lastActionTime=started,
        endTime=_shown(result.endTime, show),
    )


def _progress(result: RolloutResult) -> RollingUpgradeProgress:
    return RollingUpgradeProgress(successfulInstanceCount=result.successful, failedInstanceCount=result.failed)


def _history(view: View, step: RolloutStep) -> list[OSUpgradeHistoryEntry]:
    """The last five OS upgrade attempts, newest first (an append-only log, never decided from)."""
    history = list(view.previous.osUpgradeHistory)
    spec = view.inputs.spec
    for finished in step.finished:
        if finished.record.kind != "OSUpgrade" or spec is None:
            continue
        result = result_of(finished, view.now)
        image = spec.virtualMachineProfile.storageProfile.imageReference
        entry = OSUpgradeHistoryEntry(
            runningStatus=_ended(result, view.shown),
            progress=_progress(result),
            startedBy=result.startedBy,
            targetImageReference=ImageReferenceStatus(
                publisher=image.publisher, offer=image.offer, sku=image.sku, id=image.id, version=result.target
            ),
            rollbackInfo=RollbackStatusInfo(
                successfullyRolledbackInstanceCount=result.rolledBack,
                failedRolledbackInstanceCount=result.rollbackFailed,
            ),
            error=result.error,
        )
        history = [entry, *history]
    return history[:HISTORY_LIMIT]


def _upgrade_state(view: View, step: RolloutStep, rolling: RollingUpgradeStatus | None) -> str:
    """The ``UPGRADE`` printer column."""
    scale_set = view.scale_set
    stale = sum(1 for i in scale_set.instances if not i.latest_model_applied) if scale_set is not None else 0
    if step.record is not None and rolling is not None:
        return f"RollingForward {rolling.progress.successfulInstanceCount}/{total(rolling.progress)}"
    spec = view.inputs.spec
    if stale and spec is not None and spec.upgradePolicy.mode == "Manual":
        return f"ManualPending {stale}"
    if rolling is not None and rolling.runningStatus.code in ("Faulted", "Cancelled"):
        return rolling.runningStatus.code
    return "UpToDate" if not stale else "Pending"
