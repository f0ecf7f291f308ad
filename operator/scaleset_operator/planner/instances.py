"""The instances as a whole: whether they are still converging, whether settled ones are unhealthy
(and since when), and what ``Ready`` says once everything matches (these only matter when nothing
else is going on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.planner import requeue
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.health import is_healthy, is_running, is_unhealthy
from scaleset_operator.planner.timefmt import parse

CONVERGED = "the scale set matches the model"


def converging(facts: Facts) -> Reason | None:
    """Instances still coming: too few or too many, booting, or (Automatic mode) being upgraded."""
    instances = facts.instances
    if len(instances) != facts.capacity:
        return Reason("Scaling", f"{len(instances)} of {facts.capacity} instances exist")
    not_ready = [i for i in instances if not is_healthy(i, facts.signal)]
    if any(i.busy or not is_running(i) or i.health_state == "Initializing" for i in not_ready):
        names = ", ".join(i.name for i in not_ready[:3])
        ready = len(instances) - len(not_ready)
        return Reason("WaitingForInstances", f"{ready}/{facts.capacity} ready; waiting for {names}")
    stale = [i for i in instances if not i.latest_model_applied]
    if facts.spec.upgradePolicy.mode == "Automatic" and stale and not facts.spec.paused:
        return Reason("UpgradingInstances", f"{len(stale)} instances are being brought to the latest model")
    return None


@dataclass(frozen=True)
class Unhealthy:
    """Settled instances that are not healthy, and since when some have been (``status.unhealthySince``)."""

    reason: Reason
    since: datetime


def unhealthy(facts: Facts) -> Unhealthy | None:
    names = [i.name for i in facts.instances if is_unhealthy(i, facts.signal)]
    if not names:
        return None
    stored = facts.status.unhealthySince
    reason = Reason("InstancesUnhealthy", f"{len(names)} instances are unhealthy: {', '.join(names[:5])}")
    return Unhealthy(reason, parse(stored) if stored is not None else facts.now)


def grace_left(facts: Facts, found: Unhealthy) -> float:
    """Seconds until settled unhealthy instances count as stalled: ``rolloutPolicy.healthTimeout``, the
    time a batch gets to become healthy, so a health-probe blip or a reboot fails no GitOps sync."""
    return requeue.seconds_left(found.since, parse_duration(facts.spec.rolloutPolicy.healthTimeout), facts.now)


def converged_message(facts: Facts) -> str:
    stale = [i for i in facts.instances if not i.latest_model_applied]
    if stale and facts.spec.upgradePolicy.mode == "Manual":
        return f"{len(stale)} instances await a manual upgrade (Manual mode: use an UpgradeInstances operation)"
    return CONVERGED
