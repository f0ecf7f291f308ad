"""Keeping the cloud scale set's model, settings and capacity equal to the spec (``ApplyModel``).

Pushed first, before any instance is touched, one phase per pass: new instances get the model at
once, existing ones follow through the upgrade policy. A recorded maxSurge batch owns the capacity
while it runs (sent or not: after a crash it may already be applied), so it is not scaled back.

Whether to push is decided field by field (``model_drift.differences``: the observed model against
the spec, whatever changed it, the spec or someone outside), plus the Secrets, which Azure never
returns: their fingerprints against the baseline recorded at the last push. The model pushed is the
observed one with the spec over it (``model_comparison``), so nothing the spec does not set is lost.
The hash tags the operator writes are not read back for this: an adopted scale set has none, and a
scale set that matches the spec is never written just to tag it. Only when the backend cannot say
what model the scale set holds are the hash tags compared, as before.

When the spec does not own capacity (``planner/capacity.py``) the push carries the cloud's own
number, and only if the scale set is still as observed (``etag``): never a stale capacity.
"""

from __future__ import annotations

from scaleset_operator.cloud.changes import FieldChange, Impact
from scaleset_operator.planner import hash_scheme
from scaleset_operator.planner.actions import ApplyModel
from scaleset_operator.planner.decision import Effects, ModelStep, Reason
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.model_drift import capacity_differs, secrets_changed
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

SETTINGS = (Impact.NO_INSTANCE_IMPACT, Impact.SCALE)


def create(name: str, capacity: int) -> tuple[ModelStep, Effects]:
    """The scale set does not exist (or is being deleted under us): create it."""
    step = ModelStep("Create", capacity, Reason("Creating", f"creating the scale set with {capacity} instances"))
    event = normal("Creating", f"creating scale set {name} with {capacity} instances")
    return step, Effects((ApplyModel(capacity, reason="CreateScaleSet"),), (event,), BUSY_RESYNC_SECONDS)


def step(facts: Facts, found: tuple[FieldChange, ...] = ()) -> tuple[ModelStep, Effects] | None:
    """``ApplyModel`` when the model, the settings or the capacity differ, or the scale set's hashes
    were made under another scheme (``hash_scheme``); None when in sync. ``found``: the differences
    of this pass (``model_drift.differences``)."""
    scheme = hash_scheme.change(facts.scale_set, facts.desired)
    if facts.comparison is None:
        return _by_hashes(facts, scheme)
    secrets = secrets_changed(facts)
    fields = [c for c in found if c.path != "sku.capacity"]
    if not (fields or secrets or capacity_differs(facts) or scheme is not None):
        return None
    model_changed = secrets or any(c.impact not in SETTINGS for c in fields)
    what = [c.path for c in fields] + (["Secret values"] if secrets else [])
    return _push(facts, model_changed, what, scheme)


def _by_hashes(facts: Facts, scheme: hash_scheme.SchemeChange | None) -> tuple[ModelStep, Effects] | None:
    """The backend did not say what model the scale set holds: compare the operator's hash tags."""
    observed, desired = facts.scale_set, facts.desired
    model_changed = observed.model_hash != facts.model_hash and not (scheme is not None and scheme.same_model)
    settings = observed.settings_hash != desired.settings_hash()
    if not (model_changed or settings or capacity_differs(facts) or scheme is not None):
        return None
    return _push(facts, model_changed, ["settings"] if settings else [], scheme)


def _push(
    facts: Facts, model_changed: bool, what: list[str], scheme: hash_scheme.SchemeChange | None
) -> tuple[ModelStep, Effects]:
    observed, capacity = facts.scale_set, facts.capacity
    events = _events(facts, model_changed, what, scheme)
    if observed.capacity != capacity:
        events.append(normal("Scaling", f"capacity {observed.capacity} -> {capacity}"))
    if model_changed:
        activity = Reason("UpdatingModel", f"applying the model with capacity {capacity}")
        model = ModelStep("UpdateModel", capacity, activity)
    elif scheme is not None and not what and observed.capacity == capacity:
        model = ModelStep("Retag", capacity, Reason("UpdatingHashes", "re-tagging the scale set with keyed hashes"))
    else:
        model = ModelStep("Scale", capacity, Reason("Scaling", f"applying the model with capacity {capacity}"))
    owned = facts.capacity_owner
    action = ApplyModel(capacity, reason=model.kind, etag=None if owned.from_spec else observed.etag)
    return model, Effects((action,), tuple(events), BUSY_RESYNC_SECONDS)


def _events(
    facts: Facts, model_changed: bool, what: list[str], scheme: hash_scheme.SchemeChange | None
) -> list[PlannedEvent]:
    fields = f": {', '.join(what[:5])}{' ...' if len(what) > 5 else ''}" if what else ""
    if scheme is not None and scheme.kind == "KeyChanged":
        message = (
            f"the scale set's hashes were made with hash key {scheme.observed}, this operator's is "
            f"{facts.desired.hash_scheme}: was the hash key Secret replaced? Pushing the model again "
            "(instances change only if the model did)"
        )
        return [warning("HashKeyChanged", message)]
    if model_changed:
        return [normal("ModelUpdated", f"pushing the new scale set model{fields}")]
    if what:
        return [normal("SettingsUpdated", f"pushing the scale set's settings{fields}")]
    if scheme is not None:
        message = "same model, legacy hash scheme: re-tagging with keyed hashes (no instance is touched)"
        return [normal("HashSchemeUpgraded", message)]
    return []
