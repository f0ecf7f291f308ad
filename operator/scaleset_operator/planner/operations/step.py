"""Carrying out the pending operation of a ScaleSet in its pass."""

from __future__ import annotations

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations import cancel_rollout, instance_actions, start_os_upgrade
from scaleset_operator.planner.operations.changes import finished

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]


def step(facts: Facts, record: RolloutRecord | None) -> Stepped | None:
    """The operation's step, the rollout record after it, and its effects; None without an operation."""
    op = facts.operation
    if op is None:
        return None
    if op.status.phase in ("Succeeded", "Failed"):
        return OperationStep(op), record, Effects()
    if op.spec.action == "StartOSUpgrade":
        return start_os_upgrade.step(facts, op, record)
    if op.spec.action == "CancelRollingUpgrade":
        return cancel_rollout.step(facts, op, record)
    operation, effects = instance_actions.step(facts, op)
    return operation, record, effects


def orphaned(view: OperationView, message: str) -> tuple[OperationStep, Effects]:
    """An operation whose ScaleSet does not exist fails with a clear message."""
    step = OperationStep(view, finished(False, "ScaleSetNotFound", message))
    return step, Effects(events=(warning("ScaleSetNotFound", message),))
