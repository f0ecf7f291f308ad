"""Long-running operations over the engine's simulated time.

Decision: an operation is ``InProgress`` until the instances it started work on have *settled*
(their operation finished: ``Succeeded``/``Failed``, or they are gone for deletes), then
``Succeeded``, or ``Failed`` if any of them ended ``Failed``. A scale set create also waits for the
scale set to leave ``Creating``; a scale set delete waits until it is gone.

Why not "Succeeded once accepted": on Azure the async operation of a reimage or manual upgrade
ends when the VMs are done, and a failure mid-batch surfaces there, with an error code, and only
there. Tying completion to the engine's instance transitions gives the SDK's pollers the same
story in simulated time: with a manual clock an operation completes exactly when the test advances
past the instances' transitions; with the sped-up clock it completes as the demo runs. The instance
state still carries the progress, so the operator never needs the poller's answer to decide.

Which instances an operation touched is read from the engine's admin view right before and after
the call (an instance whose in-flight operation changed), so no engine change is needed and
superseded work (a newer operation on the same instance) counts as settled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import NotFound
from scaleset_operator.cloud.observed import ObservedInstance, instance_order
from scaleset_operator.simulator.engine import SimulatedCloud
from scaleset_operator.simulator.rolling import RollingUpgrade

OperationStatus = Literal["InProgress", "Succeeded", "Failed"]
Mark = tuple[str | None, datetime | None]
"""An instance's (operation in flight, when it completes): identifies one piece of work."""

FAILED_CODE = "InstanceOperationFailed"
KEEP_FINISHED = 10_000
"""Finished operations kept for late pollers; older ones are forgotten (a long demo stays bounded)."""


def _error(operation: Operation, failed: list[ObservedInstance]) -> tuple[str, str]:
    """As Azure reports a failed VM operation: the instance's own error code and message."""
    ids = ", ".join(i.instance_id for i in failed)
    cause = next((i.last_error for i in failed if i.last_error is not None), None)
    where = f"{operation.name} failed on instance(s) {ids} of scale set {operation.key.name}"
    if cause is None:
        return FAILED_CODE, f"{where}: provisioning state Failed"
    return cause.code, f"{where}: {cause.message}"


def marks(cloud: SimulatedCloud, key: ScaleSetKey) -> dict[str, Mark]:
    """Every instance's current work (empty if the scale set does not exist); not counted as a call."""
    try:
        details = cloud.details(key)
    except NotFound:
        return {}
    return {d.observed.instance_id: (d.operation, d.transition_at) for d in details}


@dataclass
class Operation:
    id: str
    name: str
    key: ScaleSetKey
    location: str
    started_at: datetime
    targets: dict[str, Mark]
    whole_scale_set: Literal["create", "delete"] | None = None
    rolling: RollingUpgrade | None = None
    """A rolling upgrade the operation follows (start an OS upgrade, cancel): done when it stops."""
    status: OperationStatus = "InProgress"
    ended_at: datetime | None = None
    error: tuple[str, str] | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"name": self.id, "status": self.status, "startTime": self.started_at.isoformat()}
        if self.ended_at is not None:
            body["endTime"] = self.ended_at.isoformat()
        if self.error is not None:
            body["error"] = {"code": self.error[0], "message": self.error[1]}
        return body


@dataclass
class Operations:
    cloud: SimulatedCloud
    _operations: dict[str, Operation] = field(default_factory=dict)

    def begin(
        self,
        name: str,
        key: ScaleSetKey,
        location: str,
        before: dict[str, Mark],
        whole_scale_set: Literal["create", "delete"] | None = None,
        rolling: RollingUpgrade | None = None,
    ) -> Operation:
        """Record an accepted operation; ``before`` is ``marks()`` taken just before the engine call."""
        after = marks(self.cloud, key)
        targets = {i: mark for i, mark in after.items() if mark[0] is not None and before.get(i) != mark}
        operation = Operation(
            id=str(uuid.uuid4()),
            name=name,
            key=key,
            location=location,
            started_at=self.cloud.now(),
            targets=targets,
            whole_scale_set=whole_scale_set,
            rolling=rolling,
        )
        self._operations[operation.id] = operation
        self._forget_old()
        return self.refresh(operation)

    def _forget_old(self) -> None:
        finished = [op_id for op_id, op in self._operations.items() if op.status != "InProgress"]
        for op_id in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._operations[op_id]

    def get(self, operation_id: str) -> Operation | None:
        operation = self._operations.get(operation_id.lower())
        return self.refresh(operation) if operation is not None else None

    def __len__(self) -> int:
        return len(self._operations)

    def refresh(self, operation: Operation) -> Operation:
        if operation.status != "InProgress":
            return operation
        if operation.rolling is not None:
            return self._follow_rolling(operation, operation.rolling)
        snapshot = self.cloud.snapshot(operation.key)
        if operation.whole_scale_set == "delete":
            if snapshot is None:
                self._finish(operation, None)
            return operation
        if snapshot is None:
            self._finish(operation, ("OperationPreempted", f"scale set {operation.key.name} was deleted"))
            return operation
        if operation.whole_scale_set == "create" and snapshot.provisioning_state == "Creating":
            return operation
        now = marks(self.cloud, operation.key)
        if any(now.get(i) == mark for i, mark in operation.targets.items()):
            return operation
        failed = sorted(
            (i for i in snapshot.instances if i.instance_id in operation.targets and i.provisioning_state == "Failed"),
            key=lambda i: instance_order(i.instance_id),
        )
        self._finish(operation, _error(operation, failed) if failed else None)
        return operation

    def _follow_rolling(self, operation: Operation, rolling: RollingUpgrade) -> Operation:
        self.cloud.now()  # let the rolling upgrade's due steps run
        if not rolling.running:
            self._finish(operation, rolling.error if rolling.code == "Faulted" else None)
        return operation

    def _finish(self, operation: Operation, error: tuple[str, str] | None) -> None:
        operation.status = "Failed" if error else "Succeeded"
        operation.error = error
        operation.ended_at = self.cloud.now()
