"""``status.observation``: what the operator could see of the cloud scale set, since when, and why not.

A state change is written once; while it lasts nothing moves (``since`` is the start of the state),
so a long fault writes no more than an idle ScaleSet does.
"""

from __future__ import annotations

from scaleset_operator.api.status import ObservationStatus
from scaleset_operator.planner.observation import Absent
from scaleset_operator.planner.status.view import View
from scaleset_operator.planner.timefmt import fmt


def record(view: View) -> ObservationStatus | None:
    if view.inputs.problem is not None:
        return view.previous.observation  # nothing was looked at
    failure = view.failure
    if failure is not None:
        return ObservationStatus(
            state="Unknown",
            since=fmt(failure.since),
            phase=failure.phase,
            cause=failure.cause,
            code=failure.code,
            message=failure.message,
        )
    state = "Absent" if isinstance(view.decision.observation, Absent) else "Observed"
    stored = view.previous.observation
    since = stored.since if stored is not None and stored.state == state else fmt(view.now)
    return ObservationStatus(state=state, since=since)
