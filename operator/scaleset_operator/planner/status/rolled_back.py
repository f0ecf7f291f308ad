"""``RolledBack``: the cloud is held at an older revision on purpose (a Rollback operation, an Abort,
a failed gate with ``onGateFailure: Rollback``) while the spec asks for a newer model. True with the
cause as reason until the spec's model changes (then the condition goes away); absent otherwise.
``Stalled`` says the same as long as it lasts, so GitOps tools show that the spec is not applied."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.status.view import View

TYPE = "RolledBack"


def condition(view: View) -> Condition | None:
    step = view.decision.revision
    pinned = step.pinned if step is not None else view.previous.pinnedRevision
    if pinned is None:
        return None
    message = (
        f"the cloud runs revision {pinned.revision} ({pinned.message}); the spec asks for a newer model: "
        "change the spec's model (revert it, or fix forward) to release it"
    )
    return view.condition(TYPE, "True", pinned.reason, message)
