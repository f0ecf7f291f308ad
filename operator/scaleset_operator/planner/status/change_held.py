"""``ChangeHeld``: whether the spec's latest change is held back from the cloud.

True while it is refused (a field Azure cannot change) or exceeds ``rolloutPolicy.maxDisruption``
without an ApproveChange; False, with the change's classification as reason and what it does as
message, otherwise. Absent until a change has been previewed (the first model has nothing to
compare with)."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner import revisions
from scaleset_operator.planner.status.view import View

TYPE = "ChangeHeld"


def condition(view: View) -> Condition | None:
    step = view.decision.revision
    preview = step.preview if step is not None else view.previous.changePreview
    spec = view.inputs.spec
    if preview is None or spec is None:
        return None
    message = f"generation {preview.generation}: {preview.message}"
    if revisions.holding(preview, spec):
        reason = "Refused" if preview.classification == "Refused" else "ExceedsMaxDisruption"
        return view.condition(TYPE, "True", reason, message)
    if preview.approved:
        return view.condition(TYPE, "False", "Approved", message)
    return view.condition(TYPE, "False", preview.classification, message)
