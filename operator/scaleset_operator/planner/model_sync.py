"""Keeping the cloud scale set's model, settings and capacity equal to the spec (``ApplyModel``).

Pushed first, before any instance is touched, one phase per pass: new instances get the model at
once, existing ones follow through the upgrade policy. A recorded maxSurge batch owns the capacity
while it runs (sent or not: after a crash it may already be applied), so it is not scaled back.
"""

from __future__ import annotations

from scaleset_operator.planner.actions import ApplyModel
from scaleset_operator.planner.decision import Effects, ModelStep, Reason
from scaleset_operator.planner.events import PlannedEvent, normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS


def create(name: str, capacity: int) -> tuple[ModelStep, Effects]:
    """The scale set does not exist (or is being deleted under us): create it."""
    step = ModelStep("Create", capacity, Reason("Creating", f"creating the scale set with {capacity} instances"))
    event = normal("Creating", f"creating scale set {name} with {capacity} instances")
    return step, Effects((ApplyModel(capacity, reason="CreateScaleSet"),), (event,), BUSY_RESYNC_SECONDS)


def step(facts: Facts) -> tuple[ModelStep, Effects] | None:
    """``ApplyModel`` when the model, the settings or the capacity differ; None when in sync."""
    observed, desired, capacity = facts.scale_set, facts.desired, facts.capacity
    record = facts.status.rollout
    surging = record is not None and record.batch is not None and record.batch.action == "Surge"
    model_changed = observed.model_hash != facts.model_hash
    capacity_differs = observed.capacity != capacity and not surging
    if not (model_changed or observed.settings_hash != desired.settings_hash() or capacity_differs):
        return None
    events: list[PlannedEvent] = []
    if model_changed:
        events.append(normal("ModelUpdated", "pushing the new scale set model"))
    if observed.capacity != capacity:
        events.append(normal("Scaling", f"capacity {observed.capacity} -> {capacity}"))
    activity = Reason("UpdatingModel" if model_changed else "Scaling", f"applying the model with capacity {capacity}")
    model = ModelStep("UpdateModel" if model_changed else "Scale", capacity, activity)
    action = ApplyModel(capacity, reason=model.kind)
    return model, Effects((action,), tuple(events), BUSY_RESYNC_SECONDS)
