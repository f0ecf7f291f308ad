"""Azure's ``osRollingUpgradeDeferral`` on the operator's own automatic OS upgrades.

Azure: "Deferred OS upgrades will send advanced notifications on a per-VM basis that an OS upgrade
from rolling upgrades is incoming ... The upgrade then defers until the upgrade is approved via an
ApproveRollingUpgrade call." The operator runs automatic OS upgrades itself (the cloud scale set stays
in Manual mode, so Azure never has one pending), so the deferral is the operator's: with
``automaticOSUpgradePolicy.osRollingUpgradeDeferral: true`` a Platform-started OS upgrade takes into
its batches only the instances an ``ApproveRollingUpgrade`` operation approved
(``status.rollout.approvedInstances``); the others wait, named by ``RolloutProgressing``
(``WaitingForApproval``), and the rollout holds (not counted against ``progressDeadline``).
"""

from __future__ import annotations

from collections.abc import Callable

from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.facts import Facts

WAITING_FOR_APPROVAL = "WaitingForApproval"


def applies(facts: Facts, record: RolloutRecord) -> bool:
    """The rollout is an automatic (Platform-started) OS upgrade of a scale set that defers them."""
    policy = facts.spec.upgradePolicy.automaticOSUpgradePolicy
    return record.kind == "OSUpgrade" and record.startedBy == "Platform" and bool(policy.osRollingUpgradeDeferral)


def deferred(facts: Facts, record: RolloutRecord) -> Callable[[ObservedInstance], bool] | None:
    """Which pending instances wait for an approval (None: the rollout defers none)."""
    if not applies(facts, record):
        return None
    approved = frozenset(record.approvedInstances)
    return lambda instance: instance.instance_id not in approved
