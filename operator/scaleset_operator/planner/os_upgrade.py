"""Automatic OS image upgrades: requirements, detection and the start rule.

Azure's rules (seed docs 001/004): image ``version: latest``; a health signal (load balancer probe
or Application Health extension); on Windows ``enableAutomaticUpdates: false``. When a newer
version is published: refuse to start while more than 20% of instances are unhealthy; batches of
at most 20% (one instance for five or fewer); roll back a batch that does not become healthy
unless ``disableAutomaticRollback``; the percentages come from the rolling policy when
``useRollingUpgradePolicy`` is set. ``upgradePolicy.mode`` does not matter. A Faulted or Cancelled
attempt at a version is not retried automatically (``status.lastRollouts`` says how it ended).
"""

from __future__ import annotations

from collections.abc import Sequence

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import RolloutRecord, RolloutResult
from scaleset_operator.planner.decision import OSUpgradeCheck, Reason
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.health import has_health_signal
from scaleset_operator.planner.rolling_policy import BEFORE_BATCH_CODE, BatchPolicy, unhealthy_before_batch
from scaleset_operator.planner.timefmt import fmt

REQUIREMENTS_REASON = "AutomaticOSUpgradeRequirementsNotMet"
STARTING = OSUpgradeCheck("Starting", "UpToDate", "an upgrade is starting")


def enabled(spec: ScaleSetSpec) -> bool:
    return spec.upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade


def requirement_errors(spec: ScaleSetSpec) -> list[str]:
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


def requirements_blocker(spec: ScaleSetSpec) -> Reason | None:
    """Automatic OS upgrades are enabled but cannot work with this spec: a person must fix it."""
    errors = requirement_errors(spec) if enabled(spec) else []
    return Reason(REQUIREMENTS_REASON, "; ".join(errors)) if errors else None


def policy(spec: ScaleSetSpec) -> BatchPolicy:
    use_rolling = spec.upgradePolicy.automaticOSUpgradePolicy.useRollingUpgradePolicy
    return BatchPolicy.from_spec(spec, use_rolling_policy=use_rolling)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def older_instances(facts: Facts, target: str) -> list[str]:
    return [
        i.instance_id
        for i in facts.instances
        if not i.protect_from_scale_set_actions and _version_key(i.image.version) < _version_key(target)
    ]


def check(
    facts: Facts, record: RolloutRecord | None, results: Sequence[RolloutResult] | None = None
) -> OSUpgradeCheck | None:
    """Where automatic OS upgrades stand, given the rollout and how rollouts ended after this pass
    (``results``: ``status.lastRollouts`` as this pass leaves it; default as stored); None when disabled."""
    if not enabled(facts.spec):
        return None
    errors = requirement_errors(facts.spec)
    if errors:
        return OSUpgradeCheck("RequirementsNotMet", REQUIREMENTS_REASON, "; ".join(errors))
    if record is not None and record.kind == "OSUpgrade":
        return OSUpgradeCheck("Rolling", "RollingForward", f"upgrading to image {record.target}")
    return start_check(facts, facts.status.lastRollouts if results is None else results)


def start_check(facts: Facts, results: Sequence[RolloutResult]) -> OSUpgradeCheck:
    """Whether an automatic OS upgrade may start now (state ``Starting``), and why not."""
    latest = facts.latest_image_version
    if latest is None:
        return OSUpgradeCheck(
            "WaitingForImageCatalog", "WaitingForImageCatalog", "the latest image version is not known yet"
        )
    if not older_instances(facts, latest):
        return OSUpgradeCheck("UpToDate", "UpToDate", f"every instance runs image {latest}")
    last = next((r for r in results if r.kind == "OSUpgrade"), None)
    if last is not None and last.target == latest and last.outcome in ("Faulted", "Cancelled"):
        return OSUpgradeCheck(
            "NotRetried",
            "PreviousAttemptFailed",
            f"the upgrade to {latest} stopped; it is not retried automatically "
            "(publish a newer version or create a StartOSUpgrade operation)",
        )
    batch_policy = policy(facts.spec)
    unhealthy = unhealthy_before_batch(facts.instances, True, batch_policy)
    if unhealthy is not None:
        return OSUpgradeCheck(
            "TooManyUnhealthy",
            BEFORE_BATCH_CODE,
            f"{unhealthy} of {len(facts.instances)} instances are unhealthy "
            f"(more than {batch_policy.max_unhealthy_percent}%): the OS upgrade to {latest} does not start",
        )
    return STARTING


def new_record(
    facts: Facts,
    target: str,
    *,
    started_by: str = "Platform",
    rollback: bool | None = None,
    operation: str | None = None,
) -> RolloutRecord:
    if rollback is None:
        rollback = not facts.spec.upgradePolicy.automaticOSUpgradePolicy.disableAutomaticRollback
    return RolloutRecord(
        kind="OSUpgrade",
        target=target,
        startTime=fmt(facts.now),
        startedBy=started_by,
        rollback=rollback,
        operation=operation,
    )
