"""StartOSUpgrade: roll the latest OS image out now (started by User, no automatic rollback), the
manual form of Azure's automatic OS upgrade; done when that rollout ends."""

from __future__ import annotations

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner import os_upgrade
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished, running
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]


def step(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    if op.status.phase == "Running":
        return _follow(facts, op, record)
    if not facts.desired.image.wants_latest:
        message = "StartOSUpgrade needs the scale set's image to use version 'latest'; no instance uses it"
        return OperationStep(op, finished(False, "NoInstanceUsesLatest", message)), record, Effects()
    if record is not None:
        message = f"a {record.kind} rollout is already in progress; cancel it first or wait"
        return OperationStep(op, finished(False, "RolloutInProgress", message)), record, Effects()
    latest = facts.latest_image_version
    targets = os_upgrade.older_instances(facts, latest) if latest else []
    if latest is None or not targets:
        message = f"no unprotected instance runs an image older than {latest or 'the latest version'}"
        return OperationStep(op, finished(True, "UpToDate", message)), record, Effects()
    started = os_upgrade.new_record(facts, latest, started_by="User", rollback=False, operation=op.name)
    message = f"OS upgrade to {latest} started on {len(targets)} instances (started by User, no automatic rollback)"
    change = running(message, affected=targets, acted=True)
    effects = Effects(events=(normal("OSUpgradeStarted", f"{op.name}: {message}"),), requeue_after=BUSY_RESYNC_SECONDS)
    return OperationStep(op, change), started, effects


def _follow(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    """Running: the rollout it started goes on, or it ended (``status.lastRollouts`` says how)."""
    if record is not None and record.operation == op.name:
        return OperationStep(op), record, Effects(requeue_after=BUSY_RESYNC_SECONDS)
    last = facts.last_rollout("OSUpgrade")
    outcome = last.outcome if last is not None and last.operation == op.name else "Unknown"
    change = finished(outcome == "Completed", outcome, f"OS upgrade ended: {outcome}")
    return OperationStep(op, change), record, Effects()
