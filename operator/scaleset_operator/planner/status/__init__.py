"""Status, in one place: ``build_status(inputs, decision, outcome)`` renders the ScaleSet status and
the pending ScaleSetOperation's status from one ``Decision`` and the outcome of acting on it.

cluster-api style (``machinedeployment_status.go``): one small setter per condition, each in the
module named after it, each reporting ``Unknown`` with a reason when the facts it needs are missing;
the fields (counts, instances, rollout, observation) have their own modules. ``lastTransitionTime``
only moves when a condition's status changes, and nothing depends on the clock otherwise, so an
idle converged ScaleSet produces the very same status on every pass (no writes). Times are shown on
the wall clock; with the simulator the policy clock's own are kept beside them
(``planner/simulated_time.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from scaleset_operator.api.operation import ScaleSetOperationStatus
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.planner import simulated_time
from scaleset_operator.planner.decision import Decision, Outcome
from scaleset_operator.planner.inputs import DecideInputs
from scaleset_operator.planner.status import (
    automatic_os_upgrade,
    counts,
    observation,
    ready,
    reconciling,
    reimage_required,
    rollout,
    rollout_progressing,
    stalled,
)
from scaleset_operator.planner.status.operation import operation_status
from scaleset_operator.planner.status.view import View

CONDITION_SETTERS = (
    ready.condition,
    reconciling.condition,
    stalled.condition,
    reimage_required.condition,
    rollout_progressing.condition,
    automatic_os_upgrade.condition,
)
"""In the order they are listed in status."""


@dataclass(frozen=True)
class Report:
    scale_set: ScaleSetStatus
    operation: ScaleSetOperationStatus | None = None
    """The new status of the pass's ScaleSetOperation, if one took a step."""


def build_status(inputs: DecideInputs, decision: Decision, outcome: Outcome) -> Report:
    view = View(inputs, decision, outcome)
    conditions = [c for c in (setter(view) for setter in CONDITION_SETTERS) if c is not None]
    scale_set = ScaleSetStatus(
        observedGeneration=inputs.generation,
        conditions=conditions,
        **counts.fields(view),
        **rollout.fields(view),
        observation=observation.record(view),
    )
    step = decision.operation
    operation = operation_status(step, outcome, view.wall_now) if step is not None else None
    return Report(simulated_time.displayed(scale_set, inputs.clock), operation)


__all__ = ["CONDITION_SETTERS", "Report", "View", "build_status"]
