"""Change preview: what a spec change will do, decided before it is acted on, and
``rolloutPolicy.maxDisruption``: a change that would do more to existing instances is held until a
``ApproveChange`` operation names its generation.

The comparison is field by field (``cloud/changes.py``, the same code ``scaleset-operator diff``
uses for a manifest not applied yet): the spec's model against the base revision (what the cloud
was meant to run before the change), the capacity against the cloud's. Classification, most
important first:

- ``Refused``: a field Azure cannot change on an existing scale set; never sent (Stalled);
- ``ReimageRequired``: the upgrade marks instances up to date, but the change reaches their disks
  only by a reimage (OS disk) or a reimage-all (data disks): which instances, and why;
- ``ModelUpgrade``: instances become stale and are upgraded under the upgrade policy;
- ``NewInstancesOnly``, ``NoInstanceImpact``, ``CapacityOnly``, ``NoChange``.

Disruption (what the operator itself will do to existing instances; docs/rollouts.md): ``None``
(nothing: Manual mode, settings, capacity), ``Restart`` (an in-place upgrade), ``Reimage`` (the
upgrade rebuilds the OS disk: a new image), ``Replace`` (maxSurge replaces instances; a reimage-all
of drifted data disks recreates them).
"""

from __future__ import annotations

from dataclasses import dataclass

from scaleset_operator.api.rollout_status import ChangePreview, Disruption, FieldChangeStatus, PreviewKind
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.changes import ChangeSet, FieldChange, Impact, classify
from scaleset_operator.planner import revisions
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.facts import Facts

RANK: dict[Disruption, int] = {"None": 0, "Restart": 1, "Reimage": 2, "Replace": 3}
KIND: dict[Impact, PreviewKind] = {
    Impact.NO_INSTANCE_IMPACT: "NoInstanceImpact",
    Impact.SCALE: "CapacityOnly",
    Impact.NEW_INSTANCES_ONLY: "NewInstancesOnly",
    Impact.MODEL_UPGRADE: "ModelUpgrade",
    Impact.REIMAGE_NEEDED: "ReimageRequired",
    Impact.IMMUTABLE: "Refused",
}
SHOWN = 20
IMAGE = "virtualMachineProfile.storageProfile.imageReference"
DATA_DISKS = "virtualMachineProfile.storageProfile.dataDisks"


@dataclass(frozen=True)
class Classified:
    """A change set judged for one spec: what it is, what it does, and the message people read."""

    kind: PreviewKind
    disruption: Disruption
    message: str
    changes: tuple[FieldChange, ...]


SETTINGS = FieldChange("(scale-set settings)", None, None, Impact.NO_INSTANCE_IMPACT, "no instance changes")
"""In the cluster the base revision has the model only: a settings change is seen by its hash."""


def judge(
    spec: ScaleSetSpec, changes: ChangeSet, capacity_before: int | None, *, settings_changed: bool = False
) -> Classified:
    """The classification of ``changes`` (model and settings) plus a capacity change."""
    found = [c for c in changes.changes if c.path != "sku.capacity"]
    if capacity_before is not None and capacity_before != spec.sku.capacity:
        found.append(FieldChange("sku.capacity", capacity_before, spec.sku.capacity, Impact.SCALE, "scale"))
    if settings_changed:
        found.append(SETTINGS)
    worst = max((c.impact for c in found), default=None)
    if worst is None:
        return Classified("NoChange", "None", "no change", ())
    kind = KIND[worst]
    disruption = disruption_of(spec, tuple(found))
    return Classified(kind, disruption, _message(spec, kind, disruption, found), tuple(found))


def disruption_of(spec: ScaleSetSpec, changes: tuple[FieldChange, ...]) -> Disruption:
    """What the operator itself will do to existing instances for these changes."""
    upgrades = [c for c in changes if Impact.MODEL_UPGRADE <= c.impact <= Impact.REIMAGE_NEEDED]
    if not upgrades or spec.upgradePolicy.mode == "Manual":
        return "None"
    disks = any(c.path.startswith(DATA_DISKS) and c.impact is Impact.REIMAGE_NEEDED for c in upgrades)
    if spec.upgradePolicy.rollingUpgradePolicy.maxSurge or (disks and spec.rolloutPolicy.reimageAllOnDiskDrift):
        return "Replace"
    return "Reimage" if any(c.path.startswith(IMAGE) for c in upgrades) else "Restart"


def _message(spec: ScaleSetSpec, kind: PreviewKind, disruption: Disruption, changes: list[FieldChange]) -> str:
    worst = [c for c in changes if KIND[c.impact] == kind]
    fields = "; ".join(f"{c.path}: {c.reason}" for c in worst[:3])
    mode = spec.upgradePolicy.mode
    doing = {
        "Refused": "refused",
        "ReimageRequired": f"reimage required ({mode} upgrade, then a reimage to apply it)",
        "ModelUpgrade": f"model upgrade under the {mode} policy",
        "NewInstancesOnly": "new and reimaged instances only",
        "NoInstanceImpact": "no instance impact",
        "CapacityOnly": "capacity only",
        "NoChange": "no change",
    }[kind]
    return f"{doing} (disruption {disruption}): {fields}"


def step(facts: Facts) -> ChangePreview | None:
    """The preview of the spec's latest change: computed once per generation, kept until the next."""
    stored = facts.status.changePreview
    if stored is not None and stored.generation == facts.generation:
        return stored
    base = revisions.base(facts.status)
    if base is None:
        return stored  # the first model: nothing to compare with
    data = facts.base_revision
    before = revisions.with_model(facts.spec, data.data) if data is not None else facts.spec
    settings = facts.scale_set.settings_hash != facts.desired.settings_hash()
    judged = judge(facts.spec, classify(before, facts.spec), facts.scale_set.capacity, settings_changed=settings)
    if stored is None and judged.kind == "NoChange":
        return None  # nothing changed since the first model: nothing to preview
    limit = facts.spec.rolloutPolicy.maxDisruption
    return ChangePreview(
        generation=facts.generation,
        hash=revisions.spec_hash(facts.spec),
        baseRevision=base.revision,
        classification=judged.kind,
        disruption=judged.disruption,
        message=judged.message,
        changes=[FieldChangeStatus(path=c.path, impact=c.impact.label, reason=c.reason) for c in judged.changes][
            :SHOWN
        ],
        reimageInstances=_reimage(facts, judged),
        held=judged.kind == "Refused" or RANK[judged.disruption] > RANK[limit],
    )


def _reimage(facts: Facts, judged: Classified) -> list[str]:
    if not any(c.impact is Impact.REIMAGE_NEEDED for c in judged.changes):
        return []
    return [i.name for i in facts.instances if not i.protect_from_scale_set_actions][:100]


def blocker(preview: ChangePreview | None, spec: ScaleSetSpec) -> Reason | None:
    if preview is None or not revisions.holding(preview, spec):
        return None
    if preview.classification == "Refused":
        return Reason("ChangeRefused", f"generation {preview.generation}: {preview.message}")
    message = (
        f"generation {preview.generation} is held: {preview.message}; it exceeds rolloutPolicy.maxDisruption "
        f"{spec.rolloutPolicy.maxDisruption}: approve it with a ScaleSetOperation (action ApproveChange, "
        f"generation {preview.generation}), or change the spec"
    )
    return Reason("ChangeHeld", message)
