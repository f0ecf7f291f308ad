"""Model drift: how the cloud scale set differs from the spec this pass, whether that was done
outside the operator, what keeps the spec from being pushed, and the Events that say so.

The comparison itself is ``model_comparison.py`` (field by field, on the observed model with the spec
over it); this module adds the capacity, the attribution and the reporting:

- a difference is *drift* (changed outside the operator: the portal, the CLI, another tool, Azure
  Policy) when the spec has not changed since the scale set last matched it
  (``status.management.syncedGeneration``); otherwise it is the spec's own change being pushed;
- drift is reported within one pass (the ``ModelDrifted`` condition names the fields, a Warning Event
  when the drifted set changes) and, in Manage mode, corrected by the model push of that pass
  (``model_sync``, under the normal rules: instances follow the upgrade policy); in Observe mode it
  is only reported;
- the capacity is compared too, unless a maxSurge batch or this ScaleSet's own DeleteInstances
  operation explains it, or something else owns it (``spec.capacityOwner`` other than Spec).
"""

from __future__ import annotations

import json
from typing import Any

from scaleset_operator.cloud.changes import FieldChange, Impact, field_change
from scaleset_operator.planner.autoscale_observation import surging
from scaleset_operator.planner.decision import ManagementStep, Reason
from scaleset_operator.planner.events import PlannedEvent, warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.revisions import model_source


def capacity_differs(facts: Facts) -> bool:
    """The capacity is the spec's to set and differs: ``facts.capacity`` is the cloud's own when another
    owner has it (``planner/capacity.py``), and a maxSurge batch holds it while it runs."""
    return facts.scale_set.capacity != facts.capacity and not surging(facts.status.rollout)


def _capacity(facts: Facts) -> FieldChange | None:
    """The capacity as a reported difference, unless this ScaleSet's own DeleteInstances operation
    explains it (Azure lowers the capacity by the instances deleted; it is then scaled back)."""
    deleting = facts.operation is not None and facts.operation.spec.action == "DeleteInstances"
    if not capacity_differs(facts) or deleting:
        return None
    return field_change("sku.capacity", facts.scale_set.capacity, facts.capacity)


def differences(facts: Facts) -> tuple[FieldChange, ...]:
    """The cloud scale set against the spec, field by field, the capacity included."""
    found = list(facts.comparison.drift) if facts.comparison is not None else []
    capacity = _capacity(facts)
    if capacity is not None:
        found.append(capacity)
    return tuple(found)


def outside(facts: Facts, found: tuple[FieldChange, ...]) -> bool:
    """Made outside the operator: the spec has not changed since the scale set last matched it, nor has
    the revision sent in its place (a rollback pin or a held change moves the model within a generation)."""
    record = facts.status.management
    if not found or record is None or record.syncedGeneration != facts.generation:
        return False
    return record.syncedRevision == model_source(facts.status, facts.spec)


def secrets_changed(facts: Facts) -> bool:
    """A Secret's value changed since it was last sent (Azure never returns them to compare)."""
    record, comparison = facts.status.management, facts.comparison
    baseline = record.secretsBaseline if record is not None else None
    return comparison is not None and baseline is not None and baseline != comparison.secrets


MAX_PUSHES = 2
"""Pushes in a row for the same fields (the spec unchanged) before the operator stops: Azure did not
keep them (a value it normalises or refuses silently), and pushing every pass would never end."""


def fields(found: tuple[FieldChange, ...]) -> list[str]:
    """The model fields among the differences (the capacity apart: a scale is not a model push)."""
    return sorted(c.path for c in found if c.path != "sku.capacity")


def not_applied(facts: Facts, found: tuple[FieldChange, ...]) -> Reason | None:
    record = facts.status.management
    last = record.lastPush if record is not None else None
    if last is None or last.generation != facts.generation or last.attempts < MAX_PUSHES:
        return None
    again = [c for c in found if c.path in last.fields]
    if not again:
        return None
    return Reason(
        "ModelNotApplied",
        f"Azure did not keep what the operator pushed {last.attempts} times: {describe(tuple(again))}; "
        "it stops pushing until the spec changes (is the value one Azure accepts for this scale set?)",
    )


def refusal(facts: Facts, found: tuple[FieldChange, ...]) -> Reason | None:
    """What keeps the model from being pushed at all: a field Azure cannot change, a cloud model that
    cannot be merged with the spec (a PUT of the spec alone would drop what it does not set), or
    fields Azure did not keep after ``MAX_PUSHES`` pushes."""
    immutable = [c for c in found if c.impact is Impact.IMMUTABLE]
    if immutable:
        listed = "; ".join(
            f"{c.path}: {_value(c.old)} in Azure, {_value(c.new)} in the spec ({c.reason})" for c in immutable
        )
        return Reason("ImmutableFieldDiffers", f"Azure cannot change {listed}: make the spec match the scale set")
    if facts.comparison is not None and facts.comparison.problem is not None:
        return Reason("ModelNotMergeable", facts.comparison.problem)
    return not_applied(facts, found)


def describe(found: tuple[FieldChange, ...], shown: int = 5) -> str:
    listed = "; ".join(f"{c.path}: {_value(c.old)} in Azure, {_value(c.new)} in the spec" for c in found[:shown])
    more = f" (and {len(found) - shown} more)" if len(found) > shown else ""
    return f"{len(found)} fields differ from the spec: {listed}{more}"


def _value(value: Any, limit: int = 60) -> str:
    text = "unset" if value is None else json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def events(facts: Facts, step: ManagementStep) -> tuple[PlannedEvent, ...]:
    """A Warning when drift is found, or the set of drifted fields changes (not on every pass)."""
    reported = step.differences if step.outside or step.observing else ()
    record = facts.status.management
    before = set(record.driftedFields) if record is not None else set()
    if not reported or {c.path for c in reported} == before:
        return ()
    then = "left alone (managementPolicy Observe)" if step.observing else "correcting them: pushing the spec"
    where = "changed outside the operator" if step.outside else "found"
    return (warning("ModelDrifted", f"{where}: {describe(reported)}; {then}"),)
