"""Operations refused before anything is sent: a ScaleSet that only observes its scale set writes
nothing, and reimage-all does not apply to Flexible orchestration (Azure: "Not applicable").

An operation already sent is judged as usual (that only reads); in Observe mode one recorded but not
sent yet (the operator stopped between the two) is refused too."""

from __future__ import annotations

from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished


def refusal(facts: Facts, op: OperationView) -> tuple[OperationStep, Effects] | None:
    sent = op.status.phase == "Running" and op.status.acted
    if facts.spec.managementPolicy == "Observe" and not sent:
        return _refused(
            op,
            "ObserveOnly",
            f"ScaleSet {facts.name} has managementPolicy Observe: the operator writes nothing to scale set "
            f"{facts.scale_set.name}, so {op.spec.action} is not sent (set managementPolicy: Manage to run it)",
        )
    if op.status.phase == "Pending" and op.spec.action == "ReimageAll" and facts.desired.flexible:
        return _refused(
            op,
            "OperationNotAllowed",
            f"ReimageAll does not apply to Flexible orchestration (scale set {facts.scale_set.name}): Azure has no "
            "reimage-all for virtual machines; use Reimage (OS disk, data disks kept) or DeleteInstances (the "
            "scale set creates new VMs from the model)",
        )
    return None


def _refused(op: OperationView, reason: str, message: str) -> tuple[OperationStep, Effects]:
    event = warning("OperationFailed", f"{op.name}: {message}")
    return OperationStep(op, finished(False, reason, message)), Effects(events=(event,))
