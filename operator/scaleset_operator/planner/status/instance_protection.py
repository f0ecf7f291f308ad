"""``InstanceProtection``: whether spec.instanceProtection is in place on the instances, and
``status.instanceProtection`` (each entry, its instance and state; also the operator's record of the
protection it set). Absent when the spec declares none and nothing is being unprotected.

True ``Applied``; False ``Applying`` while VM updates are on their way; False ``InstanceNotFound``
naming the entries that match no instance (reported, not retried in a loop: an instance that appears
under that name later gets the protection). Not a blocker: ``Ready`` does not depend on it.
"""

from __future__ import annotations

from typing import Any

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.status.view import View

TYPE = "InstanceProtection"


def fields(view: View) -> dict[str, Any]:
    step = view.decision.protection
    if step is None:
        return {"instanceProtection": view.previous.instanceProtection}
    return {"instanceProtection": list(step.entries)}


def condition(view: View) -> Condition | None:
    step = view.decision.protection
    declared = view.inputs.spec is not None and bool(view.inputs.spec.instanceProtection)
    if step is None:
        missing = view.missing()
        if missing is None or not (declared or view.previous.instanceProtection):
            return None
        return view.condition(TYPE, "Unknown", missing.reason, missing.message)
    if not step.entries:
        return None
    if step.not_found is not None:
        return view.condition(TYPE, "False", step.not_found.reason, step.not_found.message)
    if step.activity is not None:
        return view.condition(TYPE, "False", "Applying", step.activity.message)
    applied = [e for e in step.entries if e.state == "Applied"]
    described = ", ".join(
        f"{e.instanceId} ({'scale-in and scale set actions' if e.protectFromScaleSetActions else 'scale-in'})"
        for e in applied
    )
    return view.condition(TYPE, "True", "Applied", f"protected: {described}")
