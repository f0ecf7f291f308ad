"""``decide(inputs) -> Decision``: the one decision of a pass, from the spec, the observation and the
stored intent record. Pure: the same inputs always give the same decision (``now`` is an input).

Order of business (one phase per pass keeps every step crash-safe and observable):

1. the spec cannot be planned (invalid, Secret missing) -> nothing but the blocker;
2. the cloud could not be observed -> nothing is planned from facts we do not have; look again
   after a capped backoff (``requeue.after_failure``);
3. spec.instanceProtection differs from what the instances report -> ``SetProtection`` (alone, so
   the scale-in or rollout of a later pass sees it);
   the scale set is missing, or its model / settings / capacity differ -> ``ApplyModel``;
4. the pending ScaleSetOperation takes its step (it may start or cancel a rollout);
5. a rollout is recorded or due -> step it (``rollout.drive``);
6. Automatic mode -> upgrade every stale instance at once (Azure: no ordering guarantee);
7. Manual mode -> nothing: stale instances stay ``latestModelApplied: false`` until an operation.

Each concern returns its own typed step and adds, in priority order, what keeps the ScaleSet busy
(``progress``) and what needs a person (``blockers``); ``status.build_status`` renders them. A new
concern is a new module called here plus its own condition setter.
"""

from __future__ import annotations

from dataclasses import replace

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.rollout_status import ChangePreview, PinnedRevision
from scaleset_operator.planner import (
    automatic_mode,
    change_preview,
    events,
    instances,
    model_sync,
    os_upgrade,
    requeue,
    revisions,
)
from scaleset_operator.planner import protection as protection_concern
from scaleset_operator.planner.decision import (
    Decision,
    Effects,
    OperationStep,
    ProtectionStep,
    Reason,
    RevisionStep,
    RolloutStep,
)
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import DecideInputs, SpecProblem
from scaleset_operator.planner.observation import Absent, Observed, Unknown
from scaleset_operator.planner.operations import step as operations
from scaleset_operator.planner.rollout import drive

INVALID_SPEC_RESYNC_SECONDS = 300.0
"""An invalid spec is looked at again on the next edit (which wakes the ScaleSet) or after this; a
missing Secret every idle interval (creating it does not change the ScaleSet)."""


def decide(inputs: DecideInputs) -> Decision:
    if inputs.problem is not None:
        return _blocked(inputs, inputs.problem)
    observation = inputs.observation
    if isinstance(observation, Unknown):
        return _unobserved(inputs, observation)
    if isinstance(observation, Absent) or observation.scale_set.provisioning_state == "Deleting":
        return _create(inputs)
    return _observed(inputs, _facts(inputs, observation))


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
    )


def _observed(inputs: DecideInputs, facts: Facts) -> Decision:
    protection, protecting = protection_concern.step(facts)
    preview = change_preview.step(facts)
    if protecting.actions:  # first and alone: the scale-in or rollout of a later pass sees it
        revision = revisions.step(inputs, pinned=facts.pinned, preview=preview)
        decision = _assemble(facts, protecting, drive.current(facts), None, protection.activity, revision)
        return _protected(decision, protection)
    model_step = None if _switching(inputs, preview) else model_sync.step(facts)
    if model_step is not None:
        model, effects = model_step
        revision = revisions.step(inputs, pinned=facts.pinned, preview=preview)
        decision = _assemble(facts, effects + protecting, drive.current(facts), None, model.activity, revision)
        return _protected(replace(decision, model=model), protection)
    record = facts.status.rollout
    operation: OperationStep | None = None
    effects = protecting
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
