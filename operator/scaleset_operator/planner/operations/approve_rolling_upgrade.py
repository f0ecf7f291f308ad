"""ApproveRollingUpgrade: let a deferred automatic OS upgrade proceed on the listed (or all) instances.

Azure's ``approveRollingUpgrade`` approves OS upgrades deferred by ``osRollingUpgradeDeferral``. The
operator runs those upgrades itself and keeps the cloud scale set in Manual mode, so no upgrade is
ever pending with Azure: the approval is recorded in the operator's own rollout
(``status.rollout.approvedInstances``, planner/rollout/deferral.py) and the next batches take those
instances. Done once recorded; the rollout reports the upgrade itself.
"""

from __future__ import annotations

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.cloud.observed import instance_order
from scaleset_operator.planner.decision import Effects, OperationStep
from scaleset_operator.planner.events import normal
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.operations.changes import finished
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS
from scaleset_operator.planner.rollout import deferral

Stepped = tuple[OperationStep, RolloutRecord | None, Effects]


def step(facts: Facts, op: OperationView, record: RolloutRecord | None) -> Stepped:
    if record is None or not deferral.applies(facts, record):
        message = (
            "no automatic OS upgrade waits for approval (it needs "
            "upgradePolicy.automaticOSUpgradePolicy.osRollingUpgradeDeferral: true and a rollout in progress)"
        )
        return OperationStep(op, finished(False, "NoDeferredUpgrade", message)), record, Effects()
    existing = facts.scale_set.ids
    wanted = sorted(existing if op.spec.allInstances else set(op.spec.instanceIds or ()), key=instance_order)
    unknown = [i for i in wanted if i not in existing]
    if unknown:
        listed = ", ".join(sorted(existing, key=instance_order)) or "none"
        message = f"instance IDs {', '.join(unknown)} not found in the scale set (it has: {listed})"
        return OperationStep(op, finished(False, "InstanceNotFound", message)), record, Effects()
    approved = sorted(set(record.approvedInstances) | set(wanted), key=instance_order)
    message = f"approved the OS upgrade to {record.target} of instances {', '.join(wanted)}"
    event = normal("RollingUpgradeApproved", f"{op.name}: {message}")
    updated = record.model_copy(update={"approvedInstances": approved})
    change = finished(True, "Approved", message)
    return OperationStep(op, change), updated, Effects(events=(event,), requeue_after=BUSY_RESYNC_SECONDS)
