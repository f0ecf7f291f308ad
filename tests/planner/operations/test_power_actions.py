"""Start, Deallocate, PowerOff, Redeploy, PerformMaintenance, SimulateEviction: Azure's rules per
power state, protection, the intent, the verdict (table tests of ``power_actions.step``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.cloud.observed import MaintenanceStatus, ObservedInstance
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations import power_actions
from tests.planner.builders import T0, facts, instance, scale_set
from tests.planner.specs import make_spec

OFFERED = MaintenanceStatus(allowed=True, window_start=T0 - timedelta(hours=1), window_end=T0 + timedelta(hours=1))
CLOSED = replace(OFFERED, window_end=T0 - timedelta(minutes=1))
SPOT = make_spec(**{"virtualMachineProfile.priority": "Spot", "virtualMachineProfile.evictionPolicy": "Deallocate"})


def view(phase: str = "Pending", acted: bool = False, affected: tuple[str, ...] = (), **spec: Any) -> OperationView:
    return OperationView(
        "op",
        ScaleSetOperationSpec.model_validate({"scaleSetName": "web", **spec}),
        ScaleSetOperationStatus(phase=phase, acted=acted, affectedInstances=list(affected)),  # type: ignore[arg-type]
    )


def observed(*instances: ObservedInstance) -> Any:
    return replace(scale_set(len(instances)), instances=instances)


def off(iid: int, power: str = "deallocated", **overrides: Any) -> ObservedInstance:
    return instance(iid, power_state=power, health_state="Unknown", **overrides)


SENT: list[tuple[str, tuple[ObservedInstance, ...], dict[str, Any], act.Action]] = [
    ("start the stopped ones", (off(0), off(1, "stopped"), instance(2)), {}, act.StartInstances(("0", "1"))),
    ("deallocate running and stopped", (instance(0), off(1, "stopped")), {}, act.DeallocateInstances(("0", "1"))),
    (
        "power off without shutdown",
        (instance(0), instance(1)),
        {"skipShutdown": True},
        act.PowerOffInstances(("0", "1"), True),
    ),
    ("redeploy a stopped one", (off(0, "stopped"), instance(1)), {}, act.RedeployInstances(("0", "1"))),
    ("maintenance in its window", (instance(0, maintenance=OFFERED),), {}, act.PerformMaintenance(("0",))),
]
ACTIONS = {
    "start the stopped ones": "Start",
    "deallocate running and stopped": "Deallocate",
    "power off without shutdown": "PowerOff",
    "redeploy a stopped one": "Redeploy",
    "maintenance in its window": "PerformMaintenance",
}


@pytest.mark.parametrize(("name", "instances", "extra", "call"), SENT, ids=[row[0] for row in SENT])
def test_the_call_goes_to_the_batch_and_is_recorded_first(
    name: str, instances: tuple[ObservedInstance, ...], extra: dict[str, Any], call: act.Action
) -> None:
    step, effects = power_actions.step(
        facts(observed(*instances)), view(action=ACTIONS[name], allInstances=True, **extra)
    )
    assert effects.actions == (call,)
    assert step.sends and step.change is not None and (step.change.phase, step.change.acted) == ("Running", False)


REFUSED: list[tuple[str, str, ObservedInstance, Any, str]] = [
    ("power off deallocated", "PowerOff", off(0), None, "is deallocated: Azure does not allow powerOff"),
    ("redeploy deallocated", "Redeploy", off(0), None, "Start places it on a new node"),
    ("maintenance not planned", "PerformMaintenance", instance(0), None, "has no planned maintenance"),
    ("maintenance window over", "PerformMaintenance", instance(0, maintenance=CLOSED), None, "outside its maintenance"),
    ("evict a regular instance", "SimulateEviction", instance(0), None, "is not a Spot instance (priority Regular)"),
    ("evict a deallocated spot", "SimulateEviction", off(0), SPOT, "is already deallocated"),
    ("evict a regular vm of a spot mix", "SimulateEviction", instance(0, priority="Regular"), SPOT, "priority Regular"),
]


@pytest.mark.parametrize(("name", "action", "target", "spec", "why"), REFUSED, ids=[row[0] for row in REFUSED])
def test_a_state_azure_refuses_fails_the_operation_without_a_call(
    name: str, action: str, target: ObservedInstance, spec: Any, why: str
) -> None:
    inputs = facts(observed(target), spec=spec) if spec is not None else facts(observed(target))
    step, effects = power_actions.step(inputs, view(action=action, instanceIds=["0"]))
    assert not effects.actions
    assert step.change is not None and (step.change.phase, step.change.reason) == ("Failed", "OperationNotAllowed")
    assert "refused, nothing was sent: instance 0 (web000000) " in step.change.message and why in step.change.message
    assert effects.events[0].reason == "OperationFailed"


def test_a_spot_instance_is_evicted() -> None:
    step, effects = power_actions.step(
        facts(observed(instance(0)), spec=SPOT), view(action="SimulateEviction", instanceIds=["0"])
    )
    assert effects.actions == (act.SimulateEviction(("0",)),) and step.sends


def test_instances_already_in_the_outcome_are_skipped_and_nothing_left_succeeds() -> None:
    step, effects = power_actions.step(
        facts(observed(instance(0), instance(1))), view(action="Start", allInstances=True)
    )
    assert not effects.actions and step.change is not None
    assert (step.change.phase, step.change.reason, step.change.skipped) == ("Succeeded", "NothingToDo", ("0", "1"))


def test_protected_instances_are_skipped_and_all_protected_fails() -> None:
    guarded = instance(0, protect_from_scale_set_actions=True, protect_from_scale_in=True)
    step, effects = power_actions.step(
        facts(observed(guarded, instance(1))), view(action="Deallocate", allInstances=True)
    )
    assert effects.actions == (act.DeallocateInstances(("1",)),)
    assert step.change is not None and step.change.skipped == ("0",)
    step, effects = power_actions.step(facts(observed(guarded)), view(action="Deallocate", instanceIds=["0"]))
    assert not effects.actions and step.change is not None and step.change.reason == "AllProtected"


def test_a_busy_instance_is_waited_for_before_the_call() -> None:
    busy = instance(0, provisioning_state="Updating")
    step, effects = power_actions.step(facts(observed(busy)), view(action="Deallocate", instanceIds=["0"]))
    assert step.change is None and not effects.actions and effects.requeue_after is not None


def test_recorded_but_not_sent_is_sent_again_only_where_still_needed() -> None:
    instances = observed(off(0), instance(1), instance(2, provisioning_state="Updating"))
    recorded = view("Running", acted=False, affected=("0", "1", "2"), action="Deallocate", allInstances=True)
    step, effects = power_actions.step(facts(instances), recorded)
    assert effects.actions == (act.DeallocateInstances(("1",)),) and step.sends


VERDICTS: list[tuple[str, str, ObservedInstance | None, str]] = [
    ("deallocated", "Deallocate", off(0), "Succeeded"),
    ("still running after deallocate", "Deallocate", instance(0), "Failed"),
    ("failed provisioning", "Start", instance(0, provisioning_state="Failed"), "Failed"),
    ("stopped", "PowerOff", off(0, "stopped"), "Succeeded"),
    ("maintenance done", "PerformMaintenance", instance(0), "Succeeded"),
    ("maintenance still planned", "PerformMaintenance", instance(0, maintenance=OFFERED), "Failed"),
    ("evicted and deleted", "SimulateEviction", None, "Succeeded"),
    ("a started instance still initializing", "Start", instance(0, health_state="Initializing"), "Running"),
]


@pytest.mark.parametrize(("name", "action", "target", "phase"), VERDICTS, ids=[row[0] for row in VERDICTS])
def test_the_verdict_once_the_instances_settled(
    name: str, action: str, target: ObservedInstance | None, phase: str
) -> None:
    instances = observed(target) if target is not None else observed(instance(1))
    sent = view("Running", acted=True, affected=("0",), action=action, instanceIds=["0"])
    step, _ = power_actions.step(facts(instances, spec=SPOT), sent)
    assert (step.change.phase if step.change is not None else "Running") == phase
