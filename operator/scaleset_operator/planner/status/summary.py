"""What the ScaleSet as a whole is doing and what blocks it: the decision's ``progress`` and
``blockers`` (most important first), with a failed call put in front. ``Ready``, ``Reconciling`` and
``Stalled`` summarise these."""

from __future__ import annotations

from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.status.view import View, stale_message


def blocker(view: View) -> Reason | None:
    failure = view.failure
    if failure is not None and failure.needs_person:
        message = stale_message(failure) if failure.phase == "observe" else f"{failure.code}: {failure.message}"
        return Reason(failure.reason, message)
    blockers = view.decision.blockers
    return blockers[0] if blockers else None


def activity(view: View) -> Reason | None:
    failure = view.failure
    if failure is not None and not failure.needs_person:
        detail = stale_message(failure) if failure.phase == "observe" else f"{failure.code}: {failure.message}"
        return Reason(failure.reason, f"{detail} (retrying)")
    progress = view.decision.progress
    return progress[0] if progress else None
