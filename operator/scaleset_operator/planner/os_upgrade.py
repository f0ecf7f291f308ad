"""Automatic OS image upgrades: requirements, detection and the start rule.

Azure's rules (seed docs 001/004): image ``version: latest``; a health signal (load balancer probe
or Application Health extension); on Windows ``enableAutomaticUpdates: false``. When a newer
version is published: refuse to start while more than 20% of instances are unhealthy; batches of
at most 20% (one instance for five or fewer); roll back a batch that does not become healthy
unless ``disableAutomaticRollback``; the percentages come from the rolling policy when
``useRollingUpgradePolicy`` is set. ``upgradePolicy.mode`` does not matter.
"""

from __future__ import annotations

from scaleset_operator.api.status import RolloutRecord, ScaleSetStatus
from scaleset_operator.planner.health import has_health_signal
from scaleset_operator.planner.inputs import PlanInputs
from scaleset_operator.planner.rolling_upgrade import BEFORE_BATCH_CODE, BatchPolicy, unhealthy_before_batch
from scaleset_operator.planner.timefmt import fmt

REQUIREMENTS_REASON = "AutomaticOSUpgradeRequirementsNotMet"


def enabled(inputs: PlanInputs) -> bool:
    return inputs.spec.upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade


def requirement_errors(inputs: PlanInputs) -> list[str]:
    spec = inputs.spec
    errors: list[str] = []
    if not spec.virtualMachineProfile.storageProfile.imageReference.wants_latest:
        errors.append("storageProfile.imageReference must use version 'latest' (gallery: an id without /versions/)")
    if not has_health_signal(spec):
        errors.append(
            "a health signal is required: set networkProfile.healthProbe or add an Application Health extension "
            "(publisher Microsoft.ManagedServices, type ApplicationHealthLinux/ApplicationHealthWindows)"
        )
    windows = spec.virtualMachineProfile.osProfile.windowsConfiguration
    if spec.is_windows and (windows is None or windows.enableAutomaticUpdates):
        errors.append("on Windows, osProfile.windowsConfiguration.enableAutomaticUpdates must be false")
    return errors


def policy(inputs: PlanInputs) -> BatchPolicy:
    use_rolling = inputs.spec.upgradePolicy.automaticOSUpgradePolicy.useRollingUpgradePolicy
    return BatchPolicy.from_spec(inputs.spec, use_rolling_policy=use_rolling)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def older_instances(inputs: PlanInputs, target: str) -> list[str]:
    observed = inputs.observed
    if observed is None:
        return []
    return [
        i.instance_id
        for i in observed.instances
        if not i.protect_from_scale_set_actions and _version_key(i.image.version) < _version_key(target)
    ]


def _already_tried(status: ScaleSetStatus, target: str) -> bool:
    """A Faulted or Cancelled attempt at this version is not retried automatically."""
    return any(
        h.targetImageReference.version == target and h.runningStatus.code in ("Faulted", "Cancelled")
        for h in status.osUpgradeHistory[:1]
    )


def start_check(inputs: PlanInputs) -> tuple[str, str] | None:
    """Why no automatic OS upgrade starts now (reason, message); None when one may start."""
    latest = inputs.latest_image_version
    if latest is None or inputs.observed is None:
        return ("WaitingForImageCatalog", "the latest image version is not known yet")
    if not older_instances(inputs, latest):
        return ("UpToDate", f"every instance runs image {latest}")
    if _already_tried(inputs.status, latest):
        return (
            "PreviousAttemptFailed",
            f"the upgrade to {latest} stopped; it is not retried automatically "
            "(publish a newer version or create a StartOSUpgrade operation)",
        )
    unhealthy = unhealthy_before_batch(inputs.observed.instances, True, policy(inputs))
    if unhealthy is not None:
        return (
            BEFORE_BATCH_CODE,
            f"{unhealthy} of {len(inputs.observed.instances)} instances are unhealthy "
            f"(more than {policy(inputs).max_unhealthy_percent}%): the OS upgrade to {latest} does not start",
        )
    return None


def new_record(
    inputs: PlanInputs,
    target: str,
    *,
    started_by: str = "Platform",
    rollback: bool | None = None,
    operation: str | None = None,
) -> RolloutRecord:
    if rollback is None:
        rollback = not inputs.spec.upgradePolicy.automaticOSUpgradePolicy.disableAutomaticRollback
    return RolloutRecord(
        kind="OSUpgrade",
        target=target,
        startTime=fmt(inputs.now),
        startedBy=started_by,
        rollback=rollback,
        operation=operation,
    )
