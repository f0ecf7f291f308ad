"""Instance protection as declared state: ``spec.instanceProtection`` set on the instances.

Azure keeps protection on each instance's own model (``protectionPolicy``), set by a VM update per
instance. Each pass compares what the spec declares with what the instances report, and sends one
``SetProtection`` (a VM update per instance that differs) before anything else touches the scale
set, so a scale-in or a rollout decided in a later pass already sees the protection.

Ownership: the operator removes only protection it set. ``status.instanceProtection`` is its record
(each entry's instance, flags and state); an instance that was in it and is no longer named by the
spec is unprotected (state ``Removing``) and leaves the record once it reports no protection.
Protection someone else set (the portal, another tool) on an instance the spec does not name is
left alone. An entry that names no instance is reported (``InstanceNotFound``, one Warning Event),
never retried in a loop: it is applied if such an instance appears.
"""

from __future__ import annotations

from typing import Literal

from scaleset_operator.api.scaleset import InstanceProtection
from scaleset_operator.api.status import InstanceProtectionStatus
from scaleset_operator.cloud.observed import ObservedInstance, instance_order
from scaleset_operator.cloud.protection import ProtectionPolicy
from scaleset_operator.planner.actions import SetProtection
from scaleset_operator.planner.decision import Effects, ProtectionStep, Reason
from scaleset_operator.planner.events import PlannedEvent, warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

Flags = tuple[bool, bool]
UNPROTECTED: Flags = (False, False)


def find(facts: Facts, name: str) -> ObservedInstance | None:
    """The instance an entry names: its ID, or its computer name (case-insensitive), not being deleted."""
    for instance in facts.instances:
        if instance.provisioning_state == "Deleting":
            continue
        if instance.instance_id == name or instance.name.lower() == name.lower():
            return instance
    return None


def _flags(instance: ObservedInstance) -> Flags:
    return instance.protect_from_scale_in, instance.protect_from_scale_set_actions


def _wanted(facts: Facts) -> tuple[dict[str, Flags], list[InstanceProtection]]:
    """Instance ID -> the flags the spec declares (entries naming the same instance add up), and the
    entries that name no instance."""
    wanted: dict[str, Flags] = {}
    missing: list[InstanceProtection] = []
    for entry in facts.spec.instanceProtection:
        found = find(facts, entry.instance)
        if found is None:
            missing.append(entry)
            continue
        scale_in, actions = entry.flags()
        before = wanted.get(found.instance_id, UNPROTECTED)
        wanted[found.instance_id] = (before[0] or scale_in, before[1] or actions)
    return wanted, missing


ProtectionState = Literal["Applied", "Applying", "Removing", "InstanceNotFound"]


def _entry(name: str, instance: ObservedInstance, flags: Flags, state: ProtectionState) -> InstanceProtectionStatus:
    return InstanceProtectionStatus(
        instance=name,
        instanceId=instance.instance_id,
        protectFromScaleIn=flags[0],
        protectFromScaleSetActions=flags[1],
        state=state,
    )


def step(facts: Facts) -> tuple[ProtectionStep, Effects]:
    wanted, missing = _wanted(facts)
    removals = _removals(facts, wanted)
    entries: list[InstanceProtectionStatus] = []
    sent: list[ProtectionPolicy] = []
    for entry in facts.spec.instanceProtection:
        found = find(facts, entry.instance)
        if found is None:
            entries.append(InstanceProtectionStatus(instance=entry.instance, state="InstanceNotFound"))
            continue
        flags = wanted[found.instance_id]
        if _flags(found) == flags:
            entries.append(_entry(entry.instance, found, flags, "Applied"))
            continue
        entries.append(_entry(entry.instance, found, flags, "Applying"))
        if not found.busy and found.instance_id not in {p.instance_id for p in sent}:
            sent.append(ProtectionPolicy(found.instance_id, *flags))
    for found in removals:
        entries.append(_entry(found.instance_id, found, UNPROTECTED, "Removing"))
        if not found.busy:
            sent.append(ProtectionPolicy(found.instance_id, *UNPROTECTED))
    return _step(facts, tuple(entries), tuple(sent), missing)


def _removals(facts: Facts, wanted: dict[str, Flags]) -> list[ObservedInstance]:
    """Instances the operator protected (its record) that the spec no longer names and that still
    report protection; the others leave the record."""
    named = {e.instance for e in facts.spec.instanceProtection}
    found: list[ObservedInstance] = []
    for recorded in facts.status.instanceProtection:
        if recorded.instanceId is None or recorded.instanceId in wanted or recorded.instance in named:
            continue
        instance = facts.scale_set.instance(recorded.instanceId)
        if instance is not None and instance.provisioning_state != "Deleting" and _flags(instance) != UNPROTECTED:
            found.append(instance)
    return sorted(found, key=lambda i: instance_order(i.instance_id))


def _step(
    facts: Facts,
    entries: tuple[InstanceProtectionStatus, ...],
    sent: tuple[ProtectionPolicy, ...],
    missing: list[InstanceProtection],
) -> tuple[ProtectionStep, Effects]:
    pending = [e.instanceId or e.instance for e in entries if e.state in ("Applying", "Removing")]
    activity = None
    if pending:
        activity = Reason("ApplyingProtection", f"setting the protection of instances {', '.join(pending)}")
    not_found = None
    events: tuple[PlannedEvent, ...] = ()
    if missing:
        names = ", ".join(e.instance for e in missing)
        existing = ", ".join(sorted((i.instance_id for i in facts.instances), key=instance_order)) or "none"
        message = f"spec.instanceProtection names no instance of the scale set: {names} (it has: {existing})"
        not_found = Reason("InstanceNotFound", message)
        before = {e.instance for e in facts.status.instanceProtection if e.state == "InstanceNotFound"}
        scaling_out = len(facts.instances) < facts.capacity  # the instance may be on its way
        if not scaling_out and any(e.instance not in before for e in missing):
            events = (warning("ProtectedInstanceNotFound", message),)
    actions = (SetProtection(sent),) if sent else ()
    effects = Effects(actions, events, BUSY_RESYNC_SECONDS if pending else None)
    return ProtectionStep(entries, activity, not_found), effects
