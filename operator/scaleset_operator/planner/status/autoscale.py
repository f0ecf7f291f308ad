"""``status.capacity`` (who owns the number of instances, the cloud's number) and
``status.autoscale`` (the setting, the profile in force, the last scale action, what comes next).

From this pass's decision when it evaluated them; kept as stored while nothing could be observed
(or the spec cannot be planned), dropped only when the cloud says the scale set is gone. A write
the cloud accepted is shown as done (``Applying`` -> ``Applied``; a deleted setting leaves status).
"""

from __future__ import annotations

from typing import Any

from scaleset_operator.api.status import AutoscaleStatus
from scaleset_operator.planner import capacity
from scaleset_operator.planner.decision import Accepted
from scaleset_operator.planner.observation import Absent
from scaleset_operator.planner.status.view import View


def fields(view: View) -> dict[str, Any]:
    decision = view.decision
    if decision.capacity is None:
        gone = view.inputs.problem is None and isinstance(decision.observation, Absent)
        previous = view.previous
        return {"capacity": None if gone else previous.capacity, "autoscale": None if gone else previous.autoscale}
    return {"capacity": capacity.record(decision.capacity), "autoscale": rendered(view)}


def rendered(view: View) -> AutoscaleStatus | None:
    """``status.autoscale`` after acting: a write or delete the cloud accepted is done."""
    step = view.decision.autoscale
    if step is None or step.status is None:
        return None
    status = step.status
    if not (step.sends and isinstance(view.outcome, Accepted)):
        return status
    if status.state == "Deleting":
        return None
    return status.model_copy(update={"state": "Applied"}) if status.state == "Applying" else status
