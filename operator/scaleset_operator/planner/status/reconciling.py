"""``Reconciling`` (kstatus: True means in progress): what the operator is doing or waiting for,
unless something blocks it (then ``Stalled`` says so and this is False)."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.status import summary
from scaleset_operator.planner.status.view import View

TYPE = "Reconciling"


def condition(view: View) -> Condition:
    activity = summary.activity(view)
    if activity is not None and summary.blocker(view) is None:
        return view.condition(TYPE, "True", activity.reason, activity.message)
    return view.condition(TYPE, "False", "Idle", "nothing to do")
