"""``ModelDrifted`` (abnormal-true, like ``ReimageRequired``): the cloud scale set differs from the
spec in fields changed outside the operator (the portal, the CLI, another tool, Azure Policy), or,
with ``managementPolicy: Observe``, in any field. The message names the fields with both values;
in Manage mode it says they are being corrected, in Observe mode that they are left alone.

False while the scale set matches the spec (``InSync``) or while it only differs because the spec
changed and is being pushed (``SpecChanged``); Unknown when the facts are missing or the scale set is
not this ScaleSet's (``AlreadyExists``). Absent when the backend cannot say what model it holds."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.model_drift import describe
from scaleset_operator.planner.status.view import View

TYPE = "ModelDrifted"


def condition(view: View) -> Condition | None:
    missing = view.missing()
    if missing is not None:
        return view.condition(TYPE, "Unknown", missing.reason, missing.message)
    step = view.decision.management
    if step is None or view.inputs.comparison is None:
        return None
    if step.held:
        return view.condition(TYPE, "Unknown", "NotManaged", "the scale set is not managed by this ScaleSet")
    found = step.differences
    if not found:
        return view.condition(TYPE, "False", "InSync", "the scale set matches the spec field by field")
    if step.observing:
        return view.condition(TYPE, "True", "FieldsDiffer", f"{describe(found)}; left alone (managementPolicy Observe)")
    if step.outside:
        message = f"changed outside the operator: {describe(found)}; correcting them by pushing the spec"
        return view.condition(TYPE, "True", "ChangedOutside", message)
    return view.condition(TYPE, "False", "SpecChanged", f"pushing the spec's changes: {describe(found)}")
