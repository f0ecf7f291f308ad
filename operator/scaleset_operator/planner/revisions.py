"""Revisions: every model the operator rolls out is kept, so it can be rolled back to.

A revision is the spec's *model* (``MODEL_FIELDS``: the SKU size and the virtual machine profile,
Secret references only, never their values), stored by the reconciler as an ``apps/v1``
``ControllerRevision`` owned by the ScaleSet and listed in ``status.revisions`` (newest first, at
most ``rolloutPolicy.revisionHistoryLimit``). Its identity is the hash of that data: rolling a model
out again (a revert) renumbers its revision instead of adding one, as Deployments do.

The pin (``status.pinnedRevision``): a ``Rollback`` operation, an ``Abort`` of a model upgrade, or a
failed gate with ``onGateFailure: Rollback`` pins the cloud to a revision. While the spec's model is
the one it was pinned against, the model sent to the cloud is the revision's; a ``Rollback`` rollout
brings the instances to it under the rolling policy, and ``Stalled`` (reason ``RolledBack``) says
that the spec and the cloud differ on purpose. Any change of the spec's model releases the pin: a
revert in Git (nothing to do) or a fix forward (a new rollout). The spec is never written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from scaleset_operator.api.rollout_status import ChangePreview, PinnedRevision, PinReason, RevisionRecord
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import RolloutRecord, ScaleSetStatus
from scaleset_operator.cloud.changes import classify
from scaleset_operator.cloud.desired import INSTANCE_PROPERTIES
from scaleset_operator.planner.decision import FinishedRollout, Reason, RevisionStep, RevisionWrite
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.inputs import DecideInputs, RevisionData
from scaleset_operator.planner.timefmt import fmt

MODEL_FIELDS = ("sku", "virtualMachineProfile", *sorted(INSTANCE_PROPERTIES))
"""What a revision keeps and a rollback restores: what makes instances stale when it changes (the
SKU without its capacity, the VM profile, the scale-set properties Azure applies to each instance);
capacity and the scale-set-level settings stay the spec's."""
ROLLED_BACK = "RolledBack"


def model_data(spec: ScaleSetSpec) -> dict[str, Any]:
    dumped = spec.model_dump(mode="json", exclude_none=True)
    sku = {k: v for k, v in dumped["sku"].items() if k != "capacity"}
    return {"sku": sku, **{k: dumped[k] for k in MODEL_FIELDS if k != "sku" and k in dumped}}


def data_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


def spec_hash(spec: ScaleSetSpec) -> str:
    return data_hash(model_data(spec))


def with_model(spec: ScaleSetSpec, data: dict[str, Any]) -> ScaleSetSpec:
    """The spec with a revision's model (capacity, settings and the operator's knobs unchanged)."""
    dumped = spec.model_dump(mode="json", exclude_none=True)
    dumped["sku"] = {**data["sku"], "capacity": spec.sku.capacity}
    for key in MODEL_FIELDS:
        if key == "sku":
            continue
        if key in data:
            dumped[key] = data[key]
        else:
            dumped.pop(key, None)
    return ScaleSetSpec.model_validate(dumped)


def revision_name(scale_set: str, hashed: str) -> str:
    return f"{scale_set[:52].rstrip('-')}-{hashed}"


def pin_applies(pin: PinnedRevision | None, spec: ScaleSetSpec) -> bool:
    return pin is not None and pin.specHash == spec_hash(spec)


def current(status: ScaleSetStatus, spec: ScaleSetSpec) -> RevisionRecord | None:
    """The revision the cloud is meant to run now: the pinned one while the pin applies, else the spec's."""
    pin = status.pinnedRevision
    wanted = pin.hash if pin is not None and pin_applies(pin, spec) else spec_hash(spec)
    return next((r for r in status.revisions if r.hash == wanted), None)


def previous(revisions: Sequence[RevisionRecord], number: int | None) -> RevisionRecord | None:
    """The newest revision older than ``number``."""
    if number is None:
        return None
    older = [r for r in revisions if r.revision < number]
    return max(older, key=lambda r: r.revision) if older else None


def base(status: ScaleSetStatus) -> RevisionRecord | None:
    """The revision the cloud was meant to run before the spec's latest change: the pinned one (even
    if the change just released it), else the newest."""
    pin = status.pinnedRevision
    if pin is not None:
        return next((r for r in status.revisions if r.name == pin.name), None)
    return status.revisions[0] if status.revisions else None


def needs_base_data(status: ScaleSetStatus, spec: ScaleSetSpec) -> str | None:
    """The base revision's name when the spec's model differs from it: its data is then read (for
    the change preview, the new revision's summary, a held change)."""
    found = base(status)
    return found.name if found is not None and found.hash != spec_hash(spec) else None


def model_source(status: ScaleSetStatus, spec: ScaleSetSpec) -> str | None:
    """The revision whose model is sent to the cloud instead of the spec's: the pinned one while the
    pin applies; the base one while the spec's change is held (``rolloutPolicy.maxDisruption``)."""
    pin = status.pinnedRevision
    if pin is not None and pin_applies(pin, spec):
        return pin.name
    if holding(status.changePreview, spec):
        found = base(status)
        return found.name if found is not None else None
    return None


def holding(preview: ChangePreview | None, spec: ScaleSetSpec) -> bool:
    """The spec's change is held (not sent to the cloud): refused, or beyond maxDisruption and not approved."""
    if preview is None or not preview.held or preview.hash != spec_hash(spec):
        return False
    return preview.classification == "Refused" or not preview.approved


def pin(
    target: RevisionRecord, spec: ScaleSetSpec, reason: PinReason, message: str, now: str, operation: str | None
) -> PinnedRevision:
    return PinnedRevision(
        revision=target.revision,
        name=target.name,
        hash=target.hash,
        specHash=spec_hash(spec),
        reason=reason,
        message=message,
        since=now,
        operation=operation,
    )


def blocker(pinned: PinnedRevision | None) -> Reason | None:
    if pinned is None:
        return None
    message = (
        f"rolled back to revision {pinned.revision} ({pinned.reason}: {pinned.message}); the spec still asks "
        "for a newer model: change the spec (revert it, or fix forward) to release the rollback"
    )
    return Reason(ROLLED_BACK, message)


def step(
    inputs: DecideInputs,
    *,
    pinned: PinnedRevision | None,
    finished: Sequence[FinishedRollout] = (),
    requested: PinnedRevision | None = None,
    preview: ChangePreview | None = None,
    approves: int | None = None,
) -> RevisionStep:
    """``status.revisions`` and the pin after this pass, and the ControllerRevision writes.

    ``pinned``: the stored pin if it still applies; ``requested``: a pin a Rollback operation set;
    ``finished``: rollouts that ended this pass (a model upgrade stopped with ``rollbackRequested``
    pins the revision before its own); ``preview``: the spec's latest change (held: not rolled out, no
    revision), ``approves``: the generation an ApproveChange operation approved."""
    assert inputs.spec is not None
    events: list[PlannedEvent] = []
    stored = inputs.status.pinnedRevision
    if stored is not None and pinned is None:
        events.append(
            normal("RollbackReleased", f"the spec's model changed: revision {stored.revision} is no longer pinned")
        )
    pinned = requested or pinned
    if preview is not None and approves == preview.generation and preview.held:
        preview = preview.model_copy(update={"approved": True})
    held = holding(preview, inputs.spec)
    for ended in finished:
        if ended.record.rollbackRequested and ended.record.kind == "ModelUpgrade":
            pinned, said = _pin_previous(inputs, ended.record, pinned)
            events.extend(said)
    revisions, write = list(inputs.status.revisions), None
    if pinned is None and not held:  # no Event: the revision shows in status and in RollingUpgradeStarted
        revisions, write = _recorded(inputs, revisions)
    kept, pruned = _pruned(revisions, inputs.spec.rolloutPolicy.revisionHistoryLimit, pinned)
    return RevisionStep(tuple(kept), pinned, write, tuple(r.name for r in pruned), tuple(events), preview)


def _pin_previous(
    inputs: DecideInputs, record: RolloutRecord, pinned: PinnedRevision | None
) -> tuple[PinnedRevision | None, list[PlannedEvent]]:
    assert inputs.spec is not None
    target = previous(inputs.status.revisions, record.revision)
    cause = record.fault.message if record.fault is not None else "stopped"
    if target is None:
        return pinned, [warning("NoPreviousRevision", f"cannot roll back ({cause}): no earlier revision is kept")]
    reason: PinReason = "Abort" if record.stoppedBy else "GateFailed"
    made = pin(target, inputs.spec, reason, cause, fmt(inputs.now), record.stoppedBy)
    message = f"rolling back to revision {target.revision} ({reason}: {cause})"
    return made, [warning("RollingBackToRevision", message)]


def _recorded(
    inputs: DecideInputs, revisions: list[RevisionRecord]
) -> tuple[list[RevisionRecord], RevisionWrite | None]:
    """A new revision (or an old one renumbered) when the spec's model is not the newest revision."""
    assert inputs.spec is not None
    hashed = spec_hash(inputs.spec)
    if revisions and revisions[0].hash == hashed:
        return revisions, None
    number = max((r.revision for r in revisions), default=0) + 1
    data = model_data(inputs.spec)
    again = next((r for r in revisions if r.hash == hashed), None)
    if again is not None:
        record = again.model_copy(update={"revision": number, "generation": inputs.generation})
        return [record, *(r for r in revisions if r.hash != hashed)], RevisionWrite(record, data)
    record = RevisionRecord(
        revision=number,
        name=revision_name(inputs.name, hashed),
        hash=hashed,
        createdTime=fmt(inputs.now),
        generation=inputs.generation,
        summary=summary(inputs.spec, inputs.base_revision) if revisions else "the first model",
    )
    return [record, *revisions], RevisionWrite(record, data)


def _pruned(
    revisions: list[RevisionRecord], limit: int, pinned: PinnedRevision | None
) -> tuple[list[RevisionRecord], list[RevisionRecord]]:
    ordered = sorted(revisions, key=lambda r: r.revision, reverse=True)
    kept = [r for n, r in enumerate(ordered) if n < limit or (pinned is not None and r.hash == pinned.hash)]
    return kept, [r for r in ordered if r not in kept]


def summary(spec: ScaleSetSpec, before: RevisionData | None) -> str:
    """What changed from the revision before, field by field (``cloud/changes.py``)."""
    if before is None:
        return "model changed (the previous revision could not be read)"
    changes = classify(with_model(spec, before.data), spec).changes
    shown = "; ".join(f"{c.path}: {_short(c.old)} -> {_short(c.new)}" for c in changes[:5])
    more = f" (+{len(changes) - 5} more)" if len(changes) > 5 else ""
    return (shown + more) or "no change"


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."
