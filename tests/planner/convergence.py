"""Drive the pure planner against the simulator until convergence, as the reconciler would.

The harness is the reconciler's loop without Kubernetes: observe, plan, keep the planned status
(the intent record), execute the actions, mark them acted, advance the simulated clock. Tests pass
``check`` to assert invariants at every step, cluster-api style.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.desired import desired_model, scale_set_key
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.inputs import PlanInputs
from scaleset_operator.planner.operations import OperationView
from scaleset_operator.planner.plan import Plan, mark_acted, mark_operation_acted, plan
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud


@dataclass
class Run:
    cloud: SimulatedCloud
    clock: ManualClock
    name: str
    spec: ScaleSetSpec
    status: ScaleSetStatus = field(default_factory=ScaleSetStatus)
    generation: int = 1
    plans: list[Plan] = field(default_factory=list)
    actions: list[act.Action] = field(default_factory=list)
    operations: dict[str, OperationView] = field(default_factory=dict)

    def add_operation(self, name: str, **spec: Any) -> None:
        parsed = ScaleSetOperationSpec.model_validate({"scaleSetName": self.name, **spec})
        self.operations[name] = OperationView(name=name, spec=parsed, status=ScaleSetOperationStatus())

    def operation(self, name: str) -> ScaleSetOperationStatus:
        return self.operations[name].status

    def _pending_operation(self) -> OperationView | None:
        return next((op for op in self.operations.values() if op.status.phase not in ("Succeeded", "Failed")), None)

    @property
    def key(self) -> Any:
        return scale_set_key(self.spec, self.name)

    def now(self) -> datetime:
        return self.clock.now()

    def set_spec(self, spec: ScaleSetSpec) -> None:
        self.spec = spec
        self.generation += 1

    def step(self, *, crash_before_act: bool = False, crash_after_act: bool = False) -> Plan:
        """One reconcile pass. ``crash_before_act``: the process dies after writing the intent record;
        ``crash_after_act``: it dies after the backend call, before recording that it was made."""
        desired = desired_model(self.spec)
        observed = self.cloud.get(self.key)
        latest = None
        image = self.spec.virtualMachineProfile.storageProfile.imageReference
        if image.wants_latest:
            latest = self.cloud.latest_image_version(self.spec.location, image)
        inputs = PlanInputs(
            name=self.name,
            generation=self.generation,
            spec=self.spec,
            observed=observed,
            status=self.status,
            now=self.now(),
            desired=desired,
            latest_image_version=latest,
            operation=self._pending_operation(),
        )
        result = plan(inputs)
        self.plans.append(result)
        self.status = result.status  # the intent is recorded before acting
        if inputs.operation is not None and result.operation_status is not None:
            self.operations[inputs.operation.name] = replace(inputs.operation, status=result.operation_status)
        if crash_before_act:
            return result
        for action in result.actions:
            execute(self.cloud, self.key, desired, action)
            self.actions.append(action)
        if result.actions and not crash_after_act:
            self.status = mark_acted(self.status)
            if inputs.operation is not None:
                view = self.operations[inputs.operation.name]
                acted = mark_operation_acted(view.status)
                assert acted is not None
                self.operations[inputs.operation.name] = replace(view, status=acted)
        return result

    def converge(
        self,
        *,
        max_steps: int = 500,
        tick: float = 5.0,
        check: Callable[[Run, Plan], None] | None = None,
        until: Callable[[Run], bool] | None = None,
    ) -> int:
        for n in range(max_steps):
            result = self.step()
            if check is not None:
                check(self, result)
            done = until(self) if until is not None else _converged(result)
            if done:
                return n
            self.clock.advance(tick)
        raise AssertionError(f"did not converge in {max_steps} steps: {self.status.conditions}")


def _converged(result: Plan) -> bool:
    ready = {c.type: c for c in result.status.conditions}
    return (
        not result.actions
        and "Ready" in ready
        and ready["Ready"].status == "True"
        and ready["Reconciling"].status == "False"
    )


def execute(cloud: SimulatedCloud, key: Any, desired: Any, action: act.Action) -> None:
    match action:
        case act.ApplyModel(capacity=capacity):
            cloud.apply(key, desired, capacity)
        case act.UpgradeInstances(instance_ids=ids):
            cloud.upgrade_instances(key, ids)
        case act.ReimageInstances(instance_ids=ids, image_version=version):
            cloud.reimage(key, ids, image_version=version)
        case act.ReimageAllInstances(instance_ids=ids):
            cloud.reimage_all(key, ids)
        case act.RestartInstances(instance_ids=ids):
            cloud.restart(key, ids)
        case act.DeleteInstances(instance_ids=ids):
            cloud.delete_instances(key, ids)


def new_run(spec: ScaleSetSpec, name: str = "web", clock: ManualClock | None = None) -> Run:
    clock = clock or ManualClock()
    return Run(cloud=SimulatedCloud(clock), clock=clock, name=name, spec=spec)


__all__ = ["Run", "execute", "new_run", "replace"]
