"""Whose scale set it is, and what a ScaleSet that only observes reports.

A ScaleSet manages the cloud scale set its ``spec.azure`` names when:

- it created it (``status.management.origin: Created``, recorded with the create's intent, so a
  crash right after the create call still finds it its own);
- it adopted it (``origin: Adopted``): the scale set existed and either ``spec.adopt`` is true, or it
  carries the operator's hash tags (an operator wrote it: this ScaleSet before the operator was
  upgraded, or the same ScaleSet re-applied after a ``deletionPolicy: Orphan`` delete or in another
  cluster). Adopting writes nothing by itself: the first push happens only if the spec differs.

Any other existing scale set (created in the portal, by the CLI, Terraform, another tool) is not
touched: the ScaleSet stalls with ``AlreadyExists``, naming the scale set, saying how it differs from
the spec and how to adopt it. With ``managementPolicy: Observe`` nothing is claimed at all: the
operator reads the scale set (it may belong to anyone) and reports it; a missing one stalls with
``NotFound`` (Observe never creates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scaleset_operator.cloud.changes import FieldChange
from scaleset_operator.cloud.desired import scale_set_key
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import DecideInputs

Origin = Literal["Created", "Adopted"]
SHOWN = 5


@dataclass(frozen=True)
class Ownership:
    origin: Origin | None
    adopted_now: bool = False
    blocker: Reason | None = None


def observing(facts: Facts) -> bool:
    return facts.spec.managementPolicy == "Observe"


def ownership(facts: Facts, differences: tuple[FieldChange, ...]) -> Ownership:
    record = facts.status.management
    if record is not None and record.origin is not None:
        return Ownership(record.origin)
    if observing(facts):
        return Ownership(None)
    tagged = facts.scale_set.model_hash is not None
    if tagged and facts.status.observedGeneration is not None and record is None:
        return Ownership("Created")  # managed by this ScaleSet before the upgrade
    if tagged or facts.spec.adopt:
        return Ownership("Adopted", adopted_now=True)
    return Ownership(None, blocker=Reason("AlreadyExists", already_exists(facts, differences)))


def already_exists(facts: Facts, differences: tuple[FieldChange, ...]) -> str:
    key = scale_set_key(facts.spec, facts.name)
    where = (
        f"scale set {key.name} already exists in resource group {key.resource_group} "
        f"(subscription {key.subscription_id})"
    )
    if differences:
        shown = ", ".join(c.path for c in differences[:SHOWN]) + (" ..." if len(differences) > SHOWN else "")
        diff = f"adopting it would change {len(differences)} fields to the spec's ({shown})"
    else:
        diff = "it matches the spec: adopting it writes nothing"
    return (
        f"{where} and was not created by the operator: set spec.adopt: true to manage it (properties the spec "
        f"does not set are kept; {diff}), or spec.managementPolicy: Observe to only report it; "
        "`scaleset-operator import` writes a ScaleSet that matches it"
    )


def adopted_message(facts: Facts, differences: tuple[FieldChange, ...]) -> str:
    key = scale_set_key(facts.spec, facts.name)
    tagged = facts.scale_set.model_hash is not None
    how = "it carries the operator's hash tags" if tagged and not facts.spec.adopt else "spec.adopt is true"
    then = f"pushing the spec's {len(differences)} differing fields" if differences else "it matches the spec"
    return f"adopted the existing scale set {key.name} ({how}); properties the spec does not set are kept; {then}"


def not_found(inputs: DecideInputs) -> Reason:
    """managementPolicy Observe, and the scale set does not exist: nothing to observe, nothing created."""
    assert inputs.spec is not None
    key = scale_set_key(inputs.spec, inputs.name)
    return Reason(
        "NotFound",
        f"managementPolicy Observe: scale set {key.name} does not exist in resource group {key.resource_group} "
        f"(subscription {key.subscription_id}); the operator does not create it in Observe mode "
        "(set managementPolicy: Manage to create it)",
    )


def observing_message(differences: tuple[FieldChange, ...]) -> str:
    state = (
        f"{len(differences)} fields differ from the spec (see ModelDrifted)" if differences else "it matches the spec"
    )
    return f"managementPolicy Observe: the operator reports the scale set and writes nothing to it; {state}"
