"""When an instance counts as ready, healthy, unhealthy, still deciding, or deliberately stopped.

Azure's rules: an initializing instance is waited for; unknown health counts as unhealthy, except
that a scale set with no health signal at all (no probe, no Application Health extension) cannot
report health, so there provisioning + power decide readiness. A stopped or deallocated instance
(someone powered it off: a ScaleSetOperation, the portal, the guest OS, a Spot eviction) is neither:
it is not ready, but it is a settled state, not a failure and not progress (docs/upgrades.md).
"""

from __future__ import annotations

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.observed import ObservedInstance

HEALTH_EXTENSION_PUBLISHER = "Microsoft.ManagedServices"
HEALTH_EXTENSION_TYPES = ("ApplicationHealthLinux", "ApplicationHealthWindows")


def has_health_signal(spec: ScaleSetSpec) -> bool:
    profile = spec.virtualMachineProfile
    if profile.networkProfile.healthProbe is not None:
        return True
    return any(
        ext.properties.publisher == HEALTH_EXTENSION_PUBLISHER and ext.properties.type in HEALTH_EXTENSION_TYPES
        for ext in profile.extensionProfile.extensions
    )


STOPPED_POWER_STATES = ("stopped", "deallocated")


def is_stopped(instance: ObservedInstance) -> bool:
    """Powered off or deallocated, with no operation in flight."""
    return instance.provisioning_state == "Succeeded" and instance.power_state in STOPPED_POWER_STATES


def is_running(instance: ObservedInstance) -> bool:
    return instance.provisioning_state == "Succeeded" and instance.power_state == "running"


def is_deciding(instance: ObservedInstance) -> bool:
    """Still coming up: busy, or running with health Initializing. Waited for, not judged."""
    return instance.busy or (is_running(instance) and instance.health_state == "Initializing")


def is_healthy(instance: ObservedInstance, signal: bool) -> bool:
    if not is_running(instance):
        return False
    if instance.health_state == "Healthy":
        return True
    return not signal and instance.health_state == "Unknown"


def is_unhealthy(instance: ObservedInstance, signal: bool) -> bool:
    """Settled, not stopped on purpose, and not healthy (failed provisioning, Unhealthy or Unknown health)."""
    return not is_deciding(instance) and not is_stopped(instance) and not is_healthy(instance, signal)


def in_rollouts(instance: ObservedInstance) -> bool:
    """Whether a rollout (Rolling, Automatic, OS upgrade, reimage-all) may act on the instance: not
    protected from scale set actions (Azure's instance protection) and not stopped or deallocated
    (a rollout does not start what someone stopped; it upgrades the instance once it runs again)."""
    return not instance.protect_from_scale_set_actions and not is_stopped(instance)
