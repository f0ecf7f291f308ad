"""The instances as a whole: whether they are still converging, whether settled ones are unhealthy,
and what ``Ready`` says once everything matches (these only matter when nothing else is going on)."""

from __future__ import annotations

from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.health import is_healthy, is_running, is_unhealthy

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


def degraded(facts: Facts) -> Reason | None:
    unhealthy = [i.name for i in facts.instances if is_unhealthy(i, facts.signal)]
    if not unhealthy:
        return None
    return Reason("InstancesUnhealthy", f"{len(unhealthy)} instances are unhealthy: {', '.join(unhealthy[:5])}")


def converged_message(facts: Facts) -> str:
    stale = [i for i in facts.instances if not i.latest_model_applied]
    if stale and facts.spec.upgradePolicy.mode == "Manual":
        return f"{len(stale)} instances await a manual upgrade (Manual mode: use an UpgradeInstances operation)"
    return CONVERGED
