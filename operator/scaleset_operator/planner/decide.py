"""``decide(inputs) -> Decision``: the one decision of a pass, from the spec, the observation and the
stored intent record. Pure: the same inputs always give the same decision (``now`` is an input).

Order of business (one phase per pass keeps every step crash-safe and observable):

1. the spec cannot be planned (invalid, Secret missing) -> nothing but the blocker;
2. the cloud could not be observed -> nothing is planned from facts we do not have; look again
   after a capped backoff (``requeue.after_failure``);
3. the scale set is missing, or its model / settings / capacity differ -> ``ApplyModel``;
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
from scaleset_operator.planner import automatic_mode, events, instances, model_sync, os_upgrade, requeue
from scaleset_operator.planner.decision import Decision, Effects, OperationStep, Reason, RolloutStep
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
    return _observed(_facts(inputs, observation))


def _facts(inputs: DecideInputs, observation: Observed) -> Facts:
    assert inputs.spec is not None and inputs.desired is not None
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
    )


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
    return Decision(
        observation=inputs.observation,
        actions=effects.actions,
        events=effects.events,
        requeue_after=requeue.BUSY_RESYNC_SECONDS,
        model=model,
        progress=(model.activity,),
        blockers=tuple(b for b in (os_upgrade.requirements_blocker(inputs.spec),) if b is not None),
    )


def _observed(facts: Facts) -> Decision:
    model_step = model_sync.step(facts)
    if model_step is not None:
        model, effects = model_step
        return replace(_assemble(facts, effects, drive.current(facts), None, model.activity), model=model)
    record = facts.status.rollout
    operation: OperationStep | None = None
    effects = Effects()
    stepped = operations.step(facts, record)
    if stepped is not None:
        operation, record, effects = stepped
    rollout, rollout_effects = drive.step(facts, record)
    effects += rollout_effects
    effects += automatic_mode.step(facts, rollout_running=rollout.record is not None, busy=bool(effects.actions))
    return _assemble(facts, effects, rollout, operation, drive.summary(rollout))


def _blockers(facts: Facts, rollout: RolloutStep) -> tuple[Reason, ...]:
    found = (rollout.stuck, rollout.faulted, os_upgrade.requirements_blocker(facts.spec))
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
    facts: Facts, effects: Effects, rollout: RolloutStep, operation: OperationStep | None, activity: Reason | None
) -> Decision:
    os_check = os_upgrade.check(facts, rollout.record, rollout.results)
    progress = tuple(r for r in (activity, instances.converging(facts)) if r is not None)
    blockers = _blockers(facts, rollout)
    wait = effects.requeue_after if effects.requeue_after is not None else requeue.IDLE_RESYNC_SECONDS
    if progress and not blockers:
        wait = min(wait, requeue.BUSY_RESYNC_SECONDS)
    unhealthy = instances.unhealthy(facts)
    if not progress and not blockers:
        stalled, wait = _settled_unhealthy(facts, unhealthy, wait)
        blockers = (stalled,) if stalled is not None else ()
    return Decision(
        observation=Observed(facts.scale_set),
        actions=effects.actions,
        events=effects.events,
        requeue_after=wait,
        rollout=rollout,
        os_upgrade=os_check,
        operation=operation,
        progress=progress,
        blockers=blockers,
        degraded=unhealthy.reason if unhealthy is not None else None,
        unhealthy_since=unhealthy.since if unhealthy is not None else None,
        converged_message=instances.converged_message(facts),
    )
