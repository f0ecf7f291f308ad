"""Azure Scheduled Events (``virtualMachineProfile.scheduledEventsProfile``): with
``terminateNotificationProfile.enable``, Azure posts a Terminate event to a VM being deleted (surge
replacements, DeleteInstances, scale-in) and deletes it once ``notBeforeTimeout`` (PT5M-PT15M,
default PT5M) has passed or the VM approved the event. The operator cannot see the event (it is
served to the VM); it shows the wait from when it asked for the delete, and counts it in the
rollout's ``drainSeconds``. The simulator models the delay."""

from __future__ import annotations

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.scaleset import ScaleSetSpec

DEFAULT_NOT_BEFORE = "PT5M"


def terminate_notice(spec: ScaleSetSpec) -> float:
    """Seconds a deleted VM keeps running after its Terminate Scheduled Event (0: not enabled)."""
    events = spec.virtualMachineProfile.scheduledEventsProfile
    profile = events.terminateNotificationProfile if events is not None else None
    if profile is None or not profile.enable:
        return 0.0
    return parse_duration(profile.notBeforeTimeout or DEFAULT_NOT_BEFORE).total_seconds()
