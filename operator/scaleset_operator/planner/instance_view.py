"""The per-instance view in status: the model view and instance view side by side, and the drift
(``drift.py``) rendered as ``differsFromModel`` lines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from scaleset_operator.api.status import ApiErrorBase, DataDiskStatus, InstanceStatus
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.drift import differences
from scaleset_operator.planner.timefmt import fmt


def instance_status(
    instance: ObservedInstance, desired: DesiredModel, latest: str | None, show: Callable[[datetime], str] = fmt
) -> InstanceStatus:
    """``show`` renders the cloud's times (the simulated cloud's clock runs simulated time)."""
    error = instance.last_error
    diffs = differences(instance, desired, latest)
    return InstanceStatus(
        instanceId=instance.instance_id,
        name=instance.name,
        zone=instance.zone,
        faultDomain=instance.fault_domain,
        updateDomain=instance.update_domain,
        latestModelApplied=instance.latest_model_applied,
        imageVersion=instance.image.version,
        provisioningState=instance.provisioning_state,
        powerState=instance.power_state,
        healthState=instance.health_state,
        dataDisks=[DataDiskStatus(lun=lun, diskSizeGB=size) for lun, size in sorted(instance.data_disks.items())],
        protectFromScaleIn=instance.protect_from_scale_in,
        protectFromScaleSetActions=instance.protect_from_scale_set_actions,
        lastUpgradeTime=show(instance.last_model_update) if instance.last_model_update else None,
        lastOperationError=(
            ApiErrorBase(code=error.code, message=error.message, target=error.operation) if error is not None else None
        ),
        differsFromModel=[d.render() for d in diffs],
        requiredFixes=sorted({d.fix.value for d in diffs}),
    )
