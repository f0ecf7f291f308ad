"""Instance operations (UpgradeInstances, Reimage, ...): targets, protection, the intent, the verdict."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.cloud.observed import InstanceError
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations import instance_actions
from tests.planner.builders import facts, instance, scale_set


def view(phase: str = "Pending", acted: bool = False, affected: tuple[str, ...] = (), **spec: Any) -> OperationView:
    return OperationView(
        "op",
        ScaleSetOperationSpec.model_validate({"scaleSetName": "web", **spec}),
        ScaleSetOperationStatus(phase=phase, acted=acted, affectedInstances=list(affected)),  # type: ignore[arg-type]
    )


def test_unknown_instances_fail_naming_what_exists() -> None:
    step, effects = instance_actions.step(facts(scale_set(2)), view(action="Restart", instanceIds=["7"]))
    assert step.change is not None and step.change.phase == "Failed"
    assert step.change.message == "instance IDs 7 not found in the scale set (it has: 0, 1)"
    assert not effects.actions


def test_the_call_is_recorded_before_it_is_sent_and_protected_instances_are_skipped() -> None:
    observed = replace(
        scale_set(3), instances=(instance(0, protect_from_scale_set_actions=True), instance(1), instance(2))
    )
    step, effects = instance_actions.step(facts(observed), view(action="Reimage", allInstances=True))
    assert effects.actions == (act.ReimageInstances(("1", "2")),)
    assert step.sends and step.change is not None
    assert (step.change.phase, step.change.affected, step.change.skipped, step.change.acted) == (
        "Running",
        ("1", "2"),
        ("0",),
        False,
    )


def test_a_failed_instance_fails_the_operation_with_azures_reason() -> None:
    failed = instance(1, provisioning_state="Failed", last_error=InstanceError("OSProvisioningTimedOut", "too slow"))
    observed = replace(scale_set(2), instances=(instance(0), failed))
    running = view("Running", acted=True, affected=("0", "1"), action="Reimage", allInstances=True)
    step, _ = instance_actions.step(facts(observed), running)
    assert step.change is not None and step.change.phase == "Failed"
    assert step.change.message == "Reimage failed on instances 1 (OSProvisioningTimedOut: too slow)"


def test_recorded_but_not_sent_is_sent_to_what_is_left() -> None:
    observed = replace(scale_set(2), instances=(instance(0, provisioning_state="Updating"), instance(1)))
    recorded = view("Running", acted=False, affected=("0", "1"), action="Restart", allInstances=True)
    step, effects = instance_actions.step(facts(observed), recorded)
    assert effects.actions == (act.RestartInstances(("1",)),) and step.sends
