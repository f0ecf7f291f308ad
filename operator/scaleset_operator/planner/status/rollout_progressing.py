"""``RolloutProgressing``: whether the rollout moves, and what it waits for; False with Azure's code
when the last rollout Faulted and still applies. Absent when no rollout runs or matters."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.status.view import View

TYPE = "RolloutProgressing"


def condition(view: View) -> Condition | None:
    step = view.decision.rollout
    record = step.record if step is not None else view.previous.rollout
    missing = view.missing()
    if missing is not None:
        return view.condition(TYPE, "Unknown", missing.reason, missing.message) if record is not None else None
    failure = view.failure
    if failure is not None and record is not None:
        return view.condition(TYPE, "False", failure.reason, f"{failure.code}: {failure.message}")
    if step is None:
        return None
    if step.record is not None and step.activity is not None:
        return view.condition(TYPE, "True" if step.moving else "False", step.activity.reason, step.activity.message)
    if step.faulted is not None:
        return view.condition(TYPE, "False", step.faulted.reason, step.faulted.message)
    return None
