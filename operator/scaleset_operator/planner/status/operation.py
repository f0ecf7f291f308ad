"""A ScaleSetOperation's status: phase, times, instances, and its conditions.

Job-style ``Complete``/``Failed`` for people and scripts, and kstatus' ``Ready``/``Reconciling``/
``Stalled`` so Flux waits for a running operation and reports a failed one: one small setter each,
all from the operation's phase. ``acted`` is set once the backend accepted the operation's call.
"""

from __future__ import annotations

from collections.abc import Callable

from scaleset_operator.api.operation import Phase, ScaleSetOperationStatus
from scaleset_operator.api.status import Condition, ConditionStatus
from scaleset_operator.planner.decision import Accepted, OperationChange, OperationStep, Outcome

TERMINAL: tuple[Phase, ...] = ("Succeeded", "Failed")


def operation_status(step: OperationStep, outcome: Outcome, at: str) -> ScaleSetOperationStatus:
    """``at``: this pass's time as status shows it (wall-clock UTC; ``View.wall_now``)."""
    status = step.view.status
    acted = isinstance(outcome, Accepted) if step.sends else None
    change = step.change
    if change is None:
        return status if acted is None else status.model_copy(update={"acted": acted})
    update: dict[str, object] = {
        "observedGeneration": step.view.generation,
        "phase": change.phase,
        "message": change.message,
        "startTime": status.startTime or at,
        "conditions": conditions(change, status.conditions, at),
    }
    if change.phase in TERMINAL:
        update["completionTime"] = at
    if change.affected is not None:
        update["affectedInstances"] = list(change.affected)
    if change.skipped is not None:
        update["skippedInstances"] = list(change.skipped)
    if acted is not None or change.acted is not None:
        update["acted"] = acted if acted is not None else change.acted
    return status.model_copy(update=update)


def complete(phase: Phase) -> ConditionStatus:
    return "True" if phase == "Succeeded" else "False"


def failed(phase: Phase) -> ConditionStatus:
    return "True" if phase == "Failed" else "False"


def ready(phase: Phase) -> ConditionStatus:
    return "True" if phase == "Succeeded" else "False"


def reconciling(phase: Phase) -> ConditionStatus:
    return "True" if phase not in TERMINAL else "False"


def stalled(phase: Phase) -> ConditionStatus:
    return "True" if phase == "Failed" else "False"


SETTERS: tuple[tuple[str, Callable[[Phase], ConditionStatus]], ...] = (
    ("Complete", complete),
    ("Failed", failed),
    ("Ready", ready),
    ("Reconciling", reconciling),
    ("Stalled", stalled),
)


def conditions(change: OperationChange, previous: list[Condition], at: str) -> list[Condition]:
    found = []
    for kind, setter in SETTERS:
        status = setter(change.phase)
        old = next((c for c in previous if c.type == kind), None)
        since = old.lastTransitionTime if old is not None and old.status == status else at
        found.append(
            Condition(type=kind, status=status, reason=change.reason, message=change.message, lastTransitionTime=since)
        )
    return found
