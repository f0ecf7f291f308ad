"""What the ScaleSet as a whole is doing and what blocks it: the decision's ``progress`` and
``blockers`` (most important first), with a failed call put in front. ``Ready``, ``Reconciling`` and
``Stalled`` summarise these.

A failed call is progress while retrying fixes it (``Throttled``, ``BackendUnavailable``: kstatus
InProgress), and a blocker when it needs a person (``BackendUnauthorized``, ``BackendError``), or
when the scale set has gone unobserved for longer than ``rolloutPolicy.progressDeadline``.
"""

from __future__ import annotations

from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.status.view import View


def blocker(view: View) -> Reason | None:
    failure = view.failure
    if failure is not None and failure.needs_person:
        return Reason(failure.reason, _detail(view))
    overdue = view.decision.observation_overdue
    if failure is not None and overdue is not None:
        message = f"the scale set has not been observed for longer than {overdue} (rolloutPolicy.progressDeadline)"
        return Reason(failure.reason, f"{message}: {_detail(view)}")
    blockers = view.decision.blockers
    return blockers[0] if blockers else None


def activity(view: View) -> Reason | None:
    failure = view.failure
    if failure is not None and not failure.needs_person:
        return Reason(failure.reason, f"{_detail(view)} (retrying)")
    progress = view.decision.progress
    return progress[0] if progress else None


def _detail(view: View) -> str:
    failure = view.failure
    assert failure is not None
    return view.unobserved(failure) if failure.phase == "observe" else failure.detail
