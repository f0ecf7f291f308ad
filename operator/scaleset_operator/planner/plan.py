"""``plan()``: one decision for one ScaleSet, from its spec, the observation and the recorded rollout.

Order of business in a pass (one phase per pass keeps every step crash-safe and observable):
1. the last backend call failed -> report it, act on nothing;
2. the scale set is missing, or its model / settings / capacity differ -> ``ApplyModel``;
3. a rollout is recorded or due (Rolling model upgrade, automatic OS upgrade, opt-in reimage-all of
   drifted disks) -> step it (``rollout.step``);
4. Automatic mode -> upgrade every stale instance at once (Azure: no ordering guarantee);
5. Manual mode -> nothing: stale instances stay ``latestModelApplied: false`` until an operation.
Then the status is assembled, conditions included, in ``status.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from scaleset_operator.api.operation import ScaleSetOperationStatus
from scaleset_operator.api.status import RolloutRecord, ScaleSetStatus
from scaleset_operator.planner import operations, rollout, rollouts
from scaleset_operator.planner.actions import Action, ApplyModel, UpgradeInstances
from scaleset_operator.planner.events import PlannedEvent, normal
from scaleset_operator.planner.inputs import PlanInputs
from scaleset_operator.planner.status import build_status

IDLE_RESYNC_SECONDS = 30.0
BUSY_RESYNC_SECONDS = 2.0


@dataclass
class Plan:
    actions: list[Action]
    status: ScaleSetStatus
    """The status to write *before* acting: it carries the intent record of the batch being sent."""
    events: list[PlannedEvent] = field(default_factory=list)
    requeue_after: float = IDLE_RESYNC_SECONDS
    operation_status: ScaleSetOperationStatus | None = None
    """The new status of ``inputs.operation`` (written before acting, like the rollout record)."""


def plan(inputs: PlanInputs) -> Plan:
    observed = inputs.observed
    record = inputs.status.rollout
    events: list[PlannedEvent] = []
    actions: list[Action] = []
    requeue = IDLE_RESYNC_SECONDS
    finished: rollout.Step | None = None
    waiting: tuple[str, str] | None = None
    progressing: tuple[str, str] | None = None

    if inputs.backend_failure is not None:
        failure = inputs.backend_failure
        delay = failure.retry_after if failure.retry_after is not None else 10.0
        waiting = ("BackendError", f"{failure.code}: {failure.message}") if record is not None else None
        status = build_status(inputs, record, None, waiting, None, events)
        return Plan(actions=[], status=status, events=[], requeue_after=delay)

    desired = inputs.desired
    if observed is None or observed.provisioning_state == "Deleting":
        actions.append(ApplyModel(capacity=inputs.capacity, reason="CreateScaleSet"))
        events.append(normal("Creating", f"creating scale set {inputs.name} with {inputs.capacity} instances"))
        progressing = ("Creating", f"creating the scale set with {inputs.capacity} instances")
        status = build_status(inputs, record, None, None, progressing, events)
        return Plan(actions=actions, status=status, events=events, requeue_after=BUSY_RESYNC_SECONDS)

    model_changed = observed.model_hash != desired.model_hash()
    # A recorded surge batch owns the capacity, sent or not (after a crash it may already be applied).
    surging = record is not None and record.batch is not None and record.batch.action == "Surge"
    capacity_differs = observed.capacity != inputs.capacity and not surging  # a surge batch owns the capacity
    if model_changed or observed.settings_hash != desired.settings_hash() or capacity_differs:
        reason = "UpdateModel" if model_changed else "Scale"
        if model_changed:
            events.append(normal("ModelUpdated", "pushing the new scale set model"))
        if observed.capacity != inputs.capacity:
            events.append(normal("Scaling", f"capacity {observed.capacity} -> {inputs.capacity}"))
        actions.append(ApplyModel(capacity=inputs.capacity, reason=reason))
        progressing = (
            "UpdatingModel" if model_changed else "Scaling",
            f"applying the model with capacity {inputs.capacity}",
        )
        status = build_status(inputs, record, None, None, progressing, events)
        return Plan(actions=actions, status=status, events=events, requeue_after=BUSY_RESYNC_SECONDS)

    operation_status: ScaleSetOperationStatus | None = None
    if inputs.operation is not None:
        op_step = operations.step(inputs.operation, inputs, record, inputs.status)
        operation_status = op_step.status
        record = op_step.record
        actions.extend(op_step.actions)
        events.extend(op_step.events)
        if op_step.actions or operation_status.phase == "Running":
            requeue = BUSY_RESYNC_SECONDS

    record, start_events = rollouts.start_or_retarget(inputs, record)
    events.extend(start_events)
    had_rollout = record is not None
    for _ in range(2):  # a rollout that ends may let the next due one start in the same pass
        if record is None:
            break
        strategy = rollouts.strategy_for(inputs, record)
        result = rollout.step(record, observed.instances, strategy, rollouts.signal(inputs), inputs.now)
        events.extend(result.events)
        actions.extend(result.actions)
        waiting = result.waiting
        if result.requeue_after is not None:
            requeue = result.requeue_after
        record = result.record
        if result.finished is None:
            break
        finished = result
        if result.outcome != "Completed":
            break  # a Faulted or Cancelled rollout is reported first; nothing else starts this pass
        chained = inputs.status.model_copy(update={"rollout": None})
        record, start_events = rollouts.start_or_retarget(replace(inputs, status=chained), None)
        events.extend(start_events)
    if not had_rollout and inputs.spec.upgradePolicy.mode == "Automatic" and not inputs.spec.paused and not actions:
        stale = tuple(
            i.instance_id
            for i in observed.instances
            if not i.latest_model_applied and not i.busy and not i.protect_from_scale_set_actions
        )
        if stale:
            actions.append(UpgradeInstances(stale))
            events.append(normal("UpgradingInstances", f"Automatic mode: upgrading {len(stale)} instances"))

    status = build_status(inputs, record, finished, waiting, None, events)
    if status.conditions and any(c.type == "Reconciling" and c.status == "True" for c in status.conditions):
        requeue = min(requeue, BUSY_RESYNC_SECONDS)
    return Plan(actions=actions, status=status, events=events, requeue_after=requeue, operation_status=operation_status)


def mark_acted(status: ScaleSetStatus) -> ScaleSetStatus:
    """After the backend accepted the planned calls: the batch in flight is never sent again."""
    if status.rollout is None:
        return status
    return status.model_copy(update={"rollout": rollout.mark_batch_acted(status.rollout)})


def mark_operation_acted(status: ScaleSetOperationStatus | None) -> ScaleSetOperationStatus | None:
    return status.model_copy(update={"acted": True}) if status is not None else None


__all__ = ["Plan", "RolloutRecord", "mark_acted", "plan"]
