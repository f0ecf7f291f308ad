"""Automatic upgrade mode: every stale instance is upgraded at once, in one call (Azure gives no
ordering guarantee and may take all instances down together). Only when no rollout runs, nothing
is paused and nothing else acts in this pass."""

from __future__ import annotations

from scaleset_operator.planner.actions import UpgradeInstances
from scaleset_operator.planner.decision import Effects
from scaleset_operator.planner.events import normal
from scaleset_operator.planner.facts import Facts


def step(facts: Facts, *, rollout_running: bool, busy: bool) -> Effects:
    if rollout_running or busy or facts.spec.upgradePolicy.mode != "Automatic" or facts.spec.paused:
        return Effects()
    stale = tuple(
        i.instance_id
        for i in facts.instances
        if not i.latest_model_applied and not i.busy and not i.protect_from_scale_set_actions
    )
    if not stale:
        return Effects()
    event = normal("UpgradingInstances", f"Automatic mode: upgrading {len(stale)} instances")
    return Effects((UpgradeInstances(stale),), (event,))
