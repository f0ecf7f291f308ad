"""``decide(inputs) -> Decision``: the one decision of a pass, from the spec, the observation and the
stored intent record. Pure: the same inputs always give the same decision (``now`` is an input).

Order of business (one phase per pass keeps every step crash-safe and observable):

1. the spec cannot be planned (invalid, Secret missing, or Azure would refuse the model:
   ``preflight``) -> nothing but the blocker, and no cloud write;
2. the cloud could not be observed -> nothing is planned from facts we do not have; look again
   after a capped backoff (``requeue.after_failure``);
3. the scale set is missing -> ``ApplyModel`` (create); with ``managementPolicy: Observe``, the
   ``NotFound`` blocker instead (Observe never creates);
4. whose scale set it is (``adoption``): an existing one this ScaleSet did not create and may not
   adopt -> the ``AlreadyExists`` blocker, nothing written; how it differs from the spec, field by
   field (``model_drift``); with ``managementPolicy: Observe`` -> report, write nothing;
5. a difference Azure cannot apply (an immutable field) -> the blocker, nothing written;
6. spec.instanceProtection differs from what the instances report -> ``SetProtection`` (alone, so
   the scale-in or rollout of a later pass sees it);
7. the model / settings / capacity differ -> ``ApplyModel`` (the observed model with the spec over it);
8. the pending ScaleSetOperation takes its step (it may start or cancel a rollout);
9. a rollout is recorded or due -> step it (``rollout.drive``);
10. Automatic mode -> upgrade every stale instance at once (Azure: no ordering guarantee);
11. Manual mode -> nothing: stale instances stay ``latestModelApplied: false`` until an operation.
12. who owns capacity and the autoscale setting (``autoscaling.attach``): its write goes first among
    the pass's calls (a rollout's held minimum is in place before the batch's call); reported, never
    written, on a scale set the ScaleSet observes or may not adopt.

Each concern returns its own typed step and adds, in priority order, what keeps the ScaleSet busy
(``progress``) and what needs a person (``blockers``); ``status.build_status`` renders them. A new
concern is a new module called here plus its own condition setter.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.rollout_status import ChangePreview, PinnedRevision
from scaleset_operator.cloud.changes import FieldChange
from scaleset_operator.planner import (
    adoption,
    automatic_mode,
    autoscaling,
    change_preview,
    events,
    instances,
    model_drift,
    model_sync,
    os_upgrade,
    preflight,
    requeue,
    revisions,
)
from scaleset_operator.planner import protection as protection_concern
from scaleset_operator.planner.decision import (
    Decision,
    Effects,
    ManagementStep,
    OperationStep,
    OSUpgradeCheck,
    ProtectionStep,
    Reason,
    RevisionStep,
    RolloutStep,
)
from scaleset_operator.planner.events import PlannedEvent
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import DecideInputs, SpecProblem
from scaleset_operator.planner.observation import Absent, Observed, Unknown
from scaleset_operator.planner.operations import step as operations
from scaleset_operator.planner.rollout import drive

INVALID_SPEC_RESYNC_SECONDS = 300.0
"""An invalid spec is looked at again on the next edit (which wakes the ScaleSet) or after this; a
missing Secret every idle interval (creating it does not change the ScaleSet)."""


def decide(inputs: DecideInputs) -> Decision:
    problem = inputs.problem or preflight.problem(inputs)
    if problem is not None:
        return _blocked(inputs, problem)
    observation = inputs.observation
    if isinstance(observation, Unknown):
        return _unobserved(inputs, observation)
    assert inputs.spec is not None
    observing = inputs.spec.managementPolicy == "Observe"
    if isinstance(observation, Absent):
        return _absent_observed(inputs) if observing else _create(inputs)
    if observation.scale_set.provisioning_state == "Deleting" and not observing:
        return _create(inputs)
    facts = _facts(inputs, observation)
    return autoscaling.attach(facts, _observed(inputs, facts))


def _facts(inputs: DecideInputs, observation: Observed) -> Facts:
    assert inputs.spec is not None and inputs.desired is not None
    pinned = _pinned(inputs)
    return Facts(
        name=inputs.name,
        generation=inputs.generation,
        now=inputs.now,
        spec=inputs.spec,
        desired=inputs.desired,
        status=inputs.status,
        scale_set=observation.scale_set,
        latest_image_version=inputs.latest_image_version,
        operation=inputs.operation,
        gate_measurements=inputs.gate_measurements,
        jobs=inputs.jobs,
        pinned=pinned,
        base_revision=inputs.base_revision,
        comparison=inputs.comparison,
        autoscale=inputs.autoscale,
    )


def _pinned(inputs: DecideInputs) -> PinnedRevision | None:
    """The stored rollback pin, while the spec's model is the one it was pinned against."""
    assert inputs.spec is not None
    pin = inputs.status.pinnedRevision
    return pin if revisions.pin_applies(pin, inputs.spec) else None


def _blocked(inputs: DecideInputs, problem: SpecProblem) -> Decision:
    event = events.warning(problem.reason, problem.message)
    return Decision(
        observation=inputs.observation,
        events=(event,),
        requeue_after=INVALID_SPEC_RESYNC_SECONDS if problem.reason == "InvalidSpec" else requeue.IDLE_RESYNC_SECONDS,
        blockers=(Reason(problem.reason, problem.message),),
    )


def _unobserved(inputs: DecideInputs, failure: Unknown) -> Decision:
    """Nothing is planned from facts we do not have; the status keeps the last ones, marked stale.
    Retrying is progress until ``progressDeadline`` has passed without an observation (then a
    person should look: Stalled); the pass at the deadline is planned, not left to a later event."""
    event = events.failure(failure, inputs.status.observation)
    wait = requeue.after_failure(failure, inputs.now)
    overdue: str | None = None
    if not failure.needs_person and inputs.spec is not None:
        deadline = inputs.spec.rolloutPolicy.progressDeadline
        left = requeue.seconds_left(failure.since, parse_duration(deadline), inputs.now)
        if left <= 0:
            overdue = deadline
        else:
            wait = min(wait, left)
    return Decision(
        observation=failure,
        events=(event,) if event is not None else (),
        requeue_after=wait,
        observation_overdue=overdue,
    )


def _create(inputs: DecideInputs) -> Decision:
    assert inputs.spec is not None
    model, effects = model_sync.create(inputs.name, inputs.spec.sku.capacity)
    revision = revisions.step(inputs, pinned=_pinned(inputs))
    return Decision(
        observation=inputs.observation,
        actions=effects.actions,
        events=effects.events + revision.events,
        requeue_after=requeue.BUSY_RESYNC_SECONDS,
        model=model,
        revision=revision,
        progress=(model.activity,),
        blockers=tuple(b for b in (os_upgrade.requirements_blocker(inputs.spec),) if b is not None),
        management=ManagementStep("Created"),
    )


def _absent_observed(inputs: DecideInputs) -> Decision:
    """managementPolicy Observe and no scale set: nothing to report, and nothing is created."""
    missing = adoption.not_found(inputs)
    first = inputs.status.management is None
    noticed = (events.warning(missing.reason, missing.message),) if first else ()
    return Decision(observation=inputs.observation, events=noticed, blockers=(missing,), management=ManagementStep())


def _observed(inputs: DecideInputs, facts: Facts) -> Decision:
    """Whose scale set it is, how it differs from the spec, then (Manage) what to do about it."""
    found = model_drift.differences(facts)
    owner = adoption.ownership(facts, found)
    if owner.blocker is not None:
        first = facts.status.management is None
        warned = (events.warning(owner.blocker.reason, owner.blocker.message),) if first else ()
        return _held(facts, owner.blocker, ManagementStep(differences=found, held=True), warned)
    step = ManagementStep(owner.origin, found, model_drift.outside(facts, found), adoption.observing(facts))
    noticed: tuple[PlannedEvent, ...] = model_drift.events(facts, step)
    if owner.adopted_now:
        noticed = (events.normal("Adopted", adoption.adopted_message(facts, found)), *noticed)
    if step.observing:
        return _observing(facts, step, Effects(events=noticed))
    refused = model_drift.refusal(facts, found)
    if refused is not None:
        return _held(facts, refused, step, noticed)
    return replace(_managed(inputs, facts, found, Effects(events=noticed)), management=step)


def _held(facts: Facts, blocker: Reason, step: ManagementStep, noticed: tuple[PlannedEvent, ...]) -> Decision:
    """Nothing is written: the scale set is someone else's, or the spec cannot be pushed to it."""
    return Decision(
        observation=Observed(facts.scale_set),
        events=noticed,
        blockers=(blocker,),
        management=step,
        os_upgrade=_not_managed(facts, blocker.reason, f"no OS upgrade starts: {blocker.message}"),
        **_unhealthy(facts),
    )


def _unhealthy(facts: Facts) -> dict[str, Any]:
    """Unhealthy instances, reported even when nothing is managed (Ready says so)."""
    found = instances.unhealthy(facts)
    return {"degraded": found.reason, "unhealthy_since": found.since} if found is not None else {}


def _not_managed(facts: Facts, reason: str, message: str) -> OSUpgradeCheck | None:
    return OSUpgradeCheck("NotManaged", reason, message) if os_upgrade.enabled(facts.spec) else None


def _observing(facts: Facts, step: ManagementStep, effects: Effects) -> Decision:
    """managementPolicy Observe: report everything, write nothing (operations are refused, a stored
    rollout is kept as it stands for when the ScaleSet manages again)."""
    record, operation = facts.status.rollout, None
    stepped = operations.step(facts, record)
    if stepped is not None:
        operation, record, more = stepped
        effects += Effects(events=more.events)
    return Decision(
        observation=Observed(facts.scale_set),
        events=effects.events,
        rollout=RolloutStep(record, results=tuple(facts.status.lastRollouts), moving=False),
        operation=replace(operation, sends=False) if operation is not None else None,
        converged_message=adoption.observing_message(step.differences),
        converged_reason="Observing",
        management=step,
        os_upgrade=_not_managed(facts, "Observing", "managementPolicy Observe: the operator starts no OS upgrade"),
        **_unhealthy(facts),
    )


def _managed(inputs: DecideInputs, facts: Facts, found: tuple[FieldChange, ...], noticed: Effects) -> Decision:
    protection, protecting = protection_concern.step(facts)
    preview = change_preview.step(facts)
    if protecting.actions:  # first and alone: the scale-in or rollout of a later pass sees it
        revision = revisions.step(inputs, pinned=facts.pinned, preview=preview)
        decision = _assemble(facts, noticed + protecting, drive.current(facts), None, protection.activity, revision)
        return _protected(decision, protection)
    model_step = None if _switching(inputs, preview) else model_sync.step(facts, found)
    if model_step is not None:
        model, effects = model_step
        revision = revisions.step(inputs, pinned=facts.pinned, preview=preview)
        decision = _assemble(
            facts, noticed + effects + protecting, drive.current(facts), None, model.activity, revision
        )
        return _protected(replace(decision, model=model), protection)
    record = facts.status.rollout
    operation: OperationStep | None = None
    effects = noticed + protecting
    stepped = operations.step(facts, record)
    if stepped is not None:
        operation, record, operation_effects = stepped
        effects += operation_effects
    rollout, rollout_effects = drive.step(facts, record)
    effects += rollout_effects
    effects += automatic_mode.step(facts, rollout_running=rollout.record is not None, busy=bool(effects.actions))
    revision = revisions.step(
        inputs,
        pinned=facts.pinned,
        finished=rollout.finished,
        requested=operation.pin if operation is not None else None,
        preview=preview,
        approves=operation.approves if operation is not None else None,
    )
    return _protected(_assemble(facts, effects, rollout, operation, drive.summary(rollout), revision), protection)


def _protected(decision: Decision, protection: ProtectionStep) -> Decision:
    """The decision with the protection step (and its activity among what keeps the ScaleSet busy)."""
    activity = protection.activity
    progress = decision.progress
    if activity is not None and activity not in progress:
        progress = (*progress, activity)
    return replace(decision, protection=protection, progress=progress)


def _switching(inputs: DecideInputs, preview: ChangePreview | None) -> bool:
    """This pass's preview holds (or lets through) the spec's change: the model the reconciler read for
    this pass is not the one to send, so nothing is sent until the next pass."""
    assert inputs.spec is not None
    after = inputs.status.model_copy(update={"changePreview": preview})
    return revisions.model_source(after, inputs.spec) != revisions.model_source(inputs.status, inputs.spec)


def _model_switch(facts: Facts, revision: RevisionStep) -> Reason | None:
    """This pass pinned, released, held or approved: the model sent to the cloud changes next pass."""
    after = facts.status.model_copy(update={"changePreview": revision.preview, "pinnedRevision": revision.pinned})
    if revisions.model_source(after, facts.spec) == revisions.model_source(facts.status, facts.spec):
        return None
    return Reason("UpdatingModel", "the model sent to the cloud changes (a rollback, a hold or an approval)")


def _blockers(facts: Facts, rollout: RolloutStep, revision: RevisionStep) -> tuple[Reason, ...]:
    idle = rollout.record is None  # a rollout in flight is progress: Stalled only once it is over
    found = (
        change_preview.blocker(revision.preview, facts.spec) if idle else None,
        rollout.blocked,
        revisions.blocker(revision.pinned) if idle else None,
        rollout.stuck,
        rollout.faulted,
        os_upgrade.requirements_blocker(facts.spec),
    )
    return tuple(r for r in found if r is not None)


def _settled_unhealthy(facts: Facts, unhealthy: instances.Unhealthy | None, wait: float) -> tuple[Reason | None, float]:
    """Settled with unhealthy instances (nothing in progress, nothing blocking): a blocker once that
    has lasted ``healthTimeout`` (kstatus Failed; it blocks no action), else look again then."""
    if unhealthy is None:
        return None, wait
    left = instances.grace_left(facts, unhealthy)
    if left <= 0:
        return unhealthy.reason, wait
    return None, min(wait, left)


def _assemble(
    facts: Facts,
    effects: Effects,
    rollout: RolloutStep,
    operation: OperationStep | None,
    activity: Reason | None,
    revision: RevisionStep,
) -> Decision:
    os_check = os_upgrade.check(facts, rollout.record, rollout.results)
    progress = tuple(r for r in (activity, _model_switch(facts, revision), instances.converging(facts)) if r)
    blockers = _blockers(facts, rollout, revision)
    wait = effects.requeue_after if effects.requeue_after is not None else requeue.IDLE_RESYNC_SECONDS
    moved = revision.pinned != facts.pinned or revision.preview != facts.status.changePreview
    if (progress and not blockers) or moved:
        wait = min(wait, requeue.BUSY_RESYNC_SECONDS)
    unhealthy = instances.unhealthy(facts)
    if not progress and not blockers:
        stalled, wait = _settled_unhealthy(facts, unhealthy, wait)
        blockers = (stalled,) if stalled is not None else ()
    return Decision(
        observation=Observed(facts.scale_set),
        actions=effects.actions,
        events=effects.events + revision.events,
        requeue_after=wait,
        jobs=effects.jobs,
        revision=revision,
        rollout=rollout,
        os_upgrade=os_check,
        operation=operation,
        progress=progress,
        blockers=blockers,
        degraded=unhealthy.reason if unhealthy is not None else None,
        unhealthy_since=unhealthy.since if unhealthy is not None else None,
        converged_message=instances.converged_message(facts),
    )
