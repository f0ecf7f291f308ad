"""Keeping the cloud scale set's model, settings and capacity equal to the spec (``ApplyModel``).

Pushed first, before any instance is touched, one phase per pass: new instances get the model at
once, existing ones follow through the upgrade policy. A recorded maxSurge batch owns the capacity
while it runs (sent or not: after a crash it may already be applied), so it is not scaled back.
"""

from __future__ import annotations

from scaleset_operator.planner import hash_scheme
from scaleset_operator.planner.actions import ApplyModel
from scaleset_operator.planner.decision import Effects, ModelStep, Reason
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS


def create(name: str, capacity: int) -> tuple[ModelStep, Effects]:
    """The scale set does not exist (or is being deleted under us): create it."""
    step = ModelStep("Create", capacity, Reason("Creating", f"creating the scale set with {capacity} instances"))
    event = normal("Creating", f"creating scale set {name} with {capacity} instances")
    return step, Effects((ApplyModel(capacity, reason="CreateScaleSet"),), (event,), BUSY_RESYNC_SECONDS)


def step(facts: Facts) -> tuple[ModelStep, Effects] | None:
    """``ApplyModel`` when the model, the settings or the capacity differ, or the scale set's hashes
    were made under another scheme (``hash_scheme``); None when in sync."""
    observed, desired, capacity = facts.scale_set, facts.desired, facts.capacity
    record = facts.status.rollout
    surging = record is not None and record.batch is not None and record.batch.action == "Surge"
    scheme = hash_scheme.change(observed, desired)
    model_changed = observed.model_hash != facts.model_hash and not (scheme is not None and scheme.same_model)
    capacity_differs = observed.capacity != capacity and not surging
    settings_differ = observed.settings_hash != desired.settings_hash()
    if not (model_changed or scheme is not None or settings_differ or capacity_differs):
        return None
    events = _events(facts, model_changed, scheme)
    if observed.capacity != capacity:
        events.append(normal("Scaling", f"capacity {observed.capacity} -> {capacity}"))
    if model_changed:
        model = ModelStep(
            "UpdateModel", capacity, Reason("UpdatingModel", f"applying the model with capacity {capacity}")
        )
    elif scheme is not None and not (settings_differ or capacity_differs):
        model = ModelStep("Retag", capacity, Reason("UpdatingHashes", "re-tagging the scale set with keyed hashes"))
    else:
        model = ModelStep("Scale", capacity, Reason("Scaling", f"applying the model with capacity {capacity}"))
    return model, Effects((ApplyModel(capacity, reason=model.kind),), tuple(events), BUSY_RESYNC_SECONDS)


def _events(facts: Facts, model_changed: bool, scheme: hash_scheme.SchemeChange | None) -> list[PlannedEvent]:
    if scheme is not None and scheme.kind == "KeyChanged":
        message = (
            f"the scale set's hashes were made with hash key {scheme.observed}, this operator's is "
            f"{facts.desired.hash_scheme}: was the hash key Secret replaced? Pushing the model again "
            "(instances change only if the model did)"
        )
        return [warning("HashKeyChanged", message)]
    if model_changed:
        return [normal("ModelUpdated", "pushing the new scale set model")]
    if scheme is not None:
        message = "same model, legacy hash scheme: re-tagging with keyed hashes (no instance is touched)"
        return [normal("HashSchemeUpgraded", message)]
    return []
