"""Start, Deallocate, PowerOff, Redeploy, PerformMaintenance, SimulateEviction: Azure's instance
actions, with Azure's rules, one call per batch (per instance where Azure has no batch call).

Each action has a rule (``RULES``): the states that refuse it (Azure's ``OperationNotAllowed``:
PowerOff or Redeploy of a deallocated instance, PerformMaintenance without an offered maintenance
window, SimulateEviction of a Regular instance or a deallocated one), the state that already is its
outcome (Start of a running instance, Deallocate of a deallocated one, PowerOff of a stopped one:
skipped, nothing to do), and the outcome that ends it. A refused instance fails the whole operation
before any call, naming each instance and why (as Azure's batch call would refuse); instances
protected from scale set actions are skipped (``skippedInstances``), as for every operation.
Instances still busy with another operation are waited for before the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scaleset_operator.cloud.observed import ObservedInstance, instance_order
from scaleset_operator.planner.actions import (
    DeallocateInstances,
    PerformMaintenance,
    PowerAction,
    PowerOffInstances,
    RedeployInstances,
    SimulateEviction,
    StartInstances,
)
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import normal, warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.health import is_running
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished, running
from scaleset_operator.planner.operations.instance_actions import _wanted, _with_errors
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS

Stepped = tuple[OperationStep, Effects]
Refusal = Callable[[Facts, ObservedInstance], str | None]


def _never(facts: Facts, instance: ObservedInstance) -> str | None:
    return None


def _deallocated(verb: str, advice: str) -> Refusal:
    def refusal(facts: Facts, instance: ObservedInstance) -> str | None:
        if instance.power_state == "deallocated":
            return f"is deallocated: Azure does not allow {verb} on a deallocated VM ({advice})"
        return None

    return refusal


def _no_maintenance(facts: Facts, instance: ObservedInstance) -> str | None:
    offer = instance.maintenance
    if offer is None:
        return "has no planned maintenance (no maintenanceRedeployStatus)"
    if not offer.allowed or (offer.window_end is not None and facts.now >= offer.window_end):
        return "is outside its maintenance self-service window (isCustomerInitiatedMaintenanceAllowed is false)"
    return None


def _not_spot(facts: Facts, instance: ObservedInstance) -> str | None:
    priority = instance.priority or facts.spec.virtualMachineProfile.priority
    if priority not in ("Spot", "Low"):
        return f"is not a Spot instance (priority {priority}): only Spot instances can be evicted"
    if instance.power_state == "deallocated":
        return "is already deallocated (evicted)"
    return None


def _evicted(facts: Facts, instance: ObservedInstance | None) -> bool:
    """Gone (eviction policy Delete) or deallocated (Deallocate, Azure's default)."""
    return instance is None or instance.power_state == "deallocated"


@dataclass(frozen=True)
class Rule:
    send: Callable[[tuple[str, ...], bool], PowerAction]
    refusal: Refusal
    already: Callable[[ObservedInstance], bool]
    """The instance already is in the action's outcome: nothing to send to it."""
    done: Callable[[Facts, ObservedInstance | None], bool]
    """The action's outcome, judged once the instance has settled (None: the instance is gone)."""


def _state(power: str) -> Callable[[Facts, ObservedInstance | None], bool]:
    return lambda facts, i: i is not None and i.provisioning_state == "Succeeded" and i.power_state == power


def _powered(facts: Facts, instance: ObservedInstance | None) -> bool:
    return instance is not None and is_running(instance)


def _maintained(facts: Facts, instance: ObservedInstance | None) -> bool:
    return _powered(facts, instance) and instance is not None and instance.maintenance is None


RULES: dict[str, Rule] = {
    "Start": Rule(lambda ids, _: StartInstances(ids), _never, lambda i: i.power_state == "running", _powered),
    "Deallocate": Rule(
        lambda ids, _: DeallocateInstances(ids), _never, lambda i: i.power_state == "deallocated", _state("deallocated")
    ),
    "PowerOff": Rule(
        lambda ids, skip: PowerOffInstances(ids, skip_shutdown=skip),
        _deallocated("powerOff", "it is already off and released"),
        lambda i: i.power_state == "stopped",
        _state("stopped"),
    ),
    "Redeploy": Rule(
        lambda ids, _: RedeployInstances(ids),
        _deallocated("redeploy", "Start places it on a new node"),
        lambda i: False,
        _powered,
    ),
    "PerformMaintenance": Rule(lambda ids, _: PerformMaintenance(ids), _no_maintenance, lambda i: False, _maintained),
    "SimulateEviction": Rule(lambda ids, _: SimulateEviction(ids), _not_spot, lambda i: False, _evicted),
}


def step(facts: Facts, op: OperationView) -> Stepped:
    rule = RULES[op.spec.action]
    if op.status.phase == "Running" and op.status.acted:
        return _judge(facts, op, rule)
    if op.status.phase == "Running":
        return _resend(facts, op, rule)
    return _start(facts, op, rule)


@dataclass(frozen=True)
class Targets:
    """The listed instances, sorted by what the action can do with them."""

    protected: list[str]
    refused: list[tuple[ObservedInstance, str]]
    busy: bool
    already: list[str]
    send: tuple[str, ...]


def _targets(facts: Facts, rule: Rule, wanted: list[str]) -> Targets:
    found = [i for i in (facts.scale_set.instance(w) for w in wanted) if i is not None]
    candidates = [i for i in found if not i.protect_from_scale_set_actions]
    return Targets(
        protected=[i.instance_id for i in found if i.protect_from_scale_set_actions],
        refused=[(i, why) for i in candidates if (why := rule.refusal(facts, i)) is not None],
        busy=any(i.busy for i in candidates),
        already=[i.instance_id for i in candidates if rule.already(i)],
        send=tuple(i.instance_id for i in candidates if not rule.already(i)),
    )


def _start(facts: Facts, op: OperationView, rule: Rule) -> Stepped:
    wanted, unknown = _wanted(facts, op.spec)
    if unknown:
        existing = ", ".join(sorted((i.instance_id for i in facts.instances), key=instance_order)) or "none"
        message = f"instance IDs {', '.join(unknown)} not found in the scale set (it has: {existing})"
        return _failed(op, "InstanceNotFound", message)
    targets = _targets(facts, rule, wanted)
    if targets.refused:
        listed = "; ".join(f"instance {i.instance_id} ({i.name}) {why}" for i, why in targets.refused)
        return _failed(op, "OperationNotAllowed", f"{op.spec.action} refused, nothing was sent: {listed}")
    if targets.busy:  # Azure refuses an action on an instance busy with another (409): wait for it
        return OperationStep(op), Effects(requeue_after=BUSY_RESYNC_SECONDS)
    if targets.send:
        return _send(op, rule, targets.send, targets.protected, targets.already)
    return _nothing_sent(op, targets.protected, targets.already)


def _nothing_sent(op: OperationView, protected: list[str], already: list[str]) -> Stepped:
    if protected and not already:
        message = f"every target instance is protected from scale set actions: {', '.join(protected)}"
        return OperationStep(op, finished(False, "AllProtected", message, skipped=protected)), Effects()
    message = f"nothing to do: {op.spec.action} is already the state of instances {', '.join(already)}"
    return OperationStep(op, finished(True, "NothingToDo", message, skipped=protected + already)), Effects()


def _failed(op: OperationView, reason: str, message: str) -> Stepped:
    event = warning("OperationFailed", f"{op.name}: {message}")
    return OperationStep(op, finished(False, reason, message)), Effects(events=(event,))


def _send(op: OperationView, rule: Rule, ids: tuple[str, ...], protected: list[str], already: list[str]) -> Stepped:
    action = op.spec.action
    events = [normal("OperationStarted", f"{op.name}: {action} on instances {', '.join(ids)}")]
    if protected:
        events.append(
            normal("InstancesSkipped", f"{op.name}: protected from scale set actions: {', '.join(protected)}")
        )
    message = f"{action} sent to {len(ids)} instances" + (f"; already so: {', '.join(already)}" if already else "")
    change = running(message, affected=ids, skipped=protected + already, acted=False)
    call = rule.send(ids, op.spec.skipShutdown)
    return OperationStep(op, change, sends=True), Effects((call,), tuple(events), BUSY_RESYNC_SECONDS)


def _resend(facts: Facts, op: OperationView, rule: Rule) -> Stepped:
    """Recorded but not sent (a crash before the call): send to the affected instances still to do."""
    todo = tuple(
        i
        for i in op.status.affectedInstances
        if (found := facts.scale_set.instance(i)) is not None
        and not found.busy
        and not rule.already(found)
        and rule.refusal(facts, found) is None
    )
    if not todo:
        return OperationStep(op, running(op.status.message, acted=True)), Effects(requeue_after=BUSY_RESYNC_SECONDS)
    return OperationStep(op, sends=True), Effects((rule.send(todo, op.spec.skipShutdown),), (), BUSY_RESYNC_SECONDS)


def _judge(facts: Facts, op: OperationView, rule: Rule) -> Stepped:
    """Sent: done once every affected instance has settled in the action's outcome."""
    affected = op.status.affectedInstances
    found = {i: facts.scale_set.instance(i) for i in affected}
    if any(f is not None and (f.busy or (is_running(f) and f.health_state == "Initializing")) for f in found.values()):
        return OperationStep(op), Effects(requeue_after=BUSY_RESYNC_SECONDS)
    failed = [i for i, f in found.items() if not rule.done(facts, f)]
    action = op.spec.action
    if failed:
        message = f"{action} failed on instances {', '.join(_with_errors(facts, failed))}"
        return _failed(op, "InstancesFailed", message)
    message = f"{action} done on instances {', '.join(affected)}"
    event = normal("OperationSucceeded", f"{op.name}: {message}")
    return OperationStep(op, finished(True, "Done", message)), Effects(events=(event,))
