"""``Autoscaling``: whether the autoscale setting decides the capacity now. Absent when no setting
matters to this ScaleSet.

True (``Active``) once the cloud holds the enabled setting, or ``HeldForRollout`` while a rollout's
batch holds its minimum, or ``External`` for an enabled setting made elsewhere; False while it is
written or deleted, when it is disabled, and on ``Conflict`` (another setting targets the scale
set, which ``Stalled`` also reports); Unknown when the facts are missing.
"""

from __future__ import annotations

from scaleset_operator.api.status import AutoscaleStatus, Condition, ConditionStatus
from scaleset_operator.planner.status.autoscale import rendered
from scaleset_operator.planner.status.view import View
from scaleset_operator.planner.timefmt import parse

TYPE = "Autoscaling"


def condition(view: View) -> Condition | None:
    missing = view.missing()
    if missing is not None:
        had = view.previous.autoscale is not None or any(c.type == TYPE for c in view.previous.conditions)
        return view.condition(TYPE, "Unknown", missing.reason, missing.message) if had else None
    status = rendered(view)
    if status is None:
        return None
    step = view.decision.autoscale
    failure = view.failure
    if failure is not None and step is not None and step.sends:
        return view.condition(TYPE, "False", failure.reason, f"{failure.code}: {failure.message}")
    return view.condition(TYPE, *_state(view, status))


def _state(view: View, status: AutoscaleStatus) -> tuple[ConditionStatus, str, str]:
    name = status.name
    if status.state == "Applying":
        return "False", "Applying", f"writing autoscale setting {name}"
    if status.state == "Deleting":
        return "False", "Deleting", f"deleting autoscale setting {name}"
    if status.state == "Conflict":
        return "False", "Conflict", f"autoscale setting {name} made elsewhere targets the scale set; left alone"
    if not status.enabled:
        return "False", "Disabled", f"autoscale setting {name} is disabled: the capacity stays as it is"
    summary = _summary(view, status)
    if status.heldMinimum is not None:
        return "True", "HeldForRollout", f"{summary}; minimum held at {status.heldMinimum} while a rollout batch runs"
    return "True", "External" if status.state == "External" else "Active", summary


def _summary(view: View, status: AutoscaleStatus) -> str:
    parts = [f"autoscale setting {status.name}"]
    if status.profile is not None:
        parts.append(f"profile {status.profile} ({status.minimum}-{status.maximum}) in force")
    last = status.lastScaleAction
    if last is not None:
        parts.append(f"last change {last.message}")
    if status.nextActionTime is not None:
        parts.append(f"next action allowed at {view.shown(parse(status.nextActionTime))}")
    return "; ".join(parts)
