"""Every condition's ``lastTransitionTime`` moves only when its status changes (no churn)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scaleset_operator.planner.decision import ACCEPTED, Reason
from scaleset_operator.planner.status import build_status
from tests.planner.builders import T0, inputs, view


def test_transition_times_move_only_on_a_status_change() -> None:
    first = build_status(inputs(), view().decision, ACCEPTED).scale_set
    later = replace(inputs(status=first), now=T0 + timedelta(hours=1))
    same = build_status(later, view(later).decision, ACCEPTED).scale_set
    assert same == first, "an idle pass an hour later writes the very same status"
    busy = view(later, progress=(Reason("Scaling", "3 of 5 instances exist"),)).decision
    changed = {c.type: c for c in build_status(later, busy, ACCEPTED).scale_set.conditions}
    assert changed["Reconciling"].lastTransitionTime == "2026-01-05T13:00:00Z"
    assert changed["Stalled"].lastTransitionTime == "2026-01-05T12:00:00Z"
