"""``Stalled`` (kstatus: True means failed): something only a person can fix, with the reason
(an invalid spec, a missing Secret, credentials the cloud refuses, a Faulted rollout, no rollout
progress within the deadline, unmet automatic OS upgrade requirements)."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.status import summary
from scaleset_operator.planner.status.view import View

TYPE = "Stalled"


def condition(view: View) -> Condition:
    blocker = summary.blocker(view)
    if blocker is not None:
        return view.condition(TYPE, "True", blocker.reason, blocker.message)
    return view.condition(TYPE, "False", "Progressing", "no blocker")
