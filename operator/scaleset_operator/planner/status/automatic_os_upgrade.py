"""``AutomaticOSUpgrade`` (only when enabled): True while up to date or rolling; False with the
reason no upgrade starts (requirements not met, too many unhealthy instances, a previous attempt
at this version failed, the catalog not read yet)."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner import os_upgrade
from scaleset_operator.planner.status.view import View

TYPE = "AutomaticOSUpgrade"


def condition(view: View) -> Condition | None:
    spec = view.inputs.spec
    if spec is None:
        had = any(c.type == TYPE for c in view.previous.conditions)
        missing = view.missing()
        return view.condition(TYPE, "Unknown", missing.reason, missing.message) if had and missing else None
    if not os_upgrade.enabled(spec):
        return None
    blocker = os_upgrade.requirements_blocker(spec)
    if blocker is not None:
        return view.condition(TYPE, "False", blocker.reason, blocker.message)
    missing = view.missing()
    if missing is not None:
        return view.condition(TYPE, "Unknown", missing.reason, missing.message)
    check = view.decision.os_upgrade
    if check is None:
        return view.condition(TYPE, "Unknown", "NoInstances", "no instance observed yet")
    return view.condition(TYPE, "True" if check.ok else "False", check.reason, check.message)
