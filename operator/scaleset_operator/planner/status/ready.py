"""``Ready`` (kstatus: True means current): converged, healthy, nothing in progress, nothing blocking.

Unknown while the cloud cannot be observed (the facts are stale), with the cause as reason
(``Throttled``, ``BackendUnavailable``, ``BackendUnauthorized``, ``BackendError``) and "<code>:
<message>; last observed before <time>"; False with the blocker, the activity or the unhealthy
instances; True with what "converged" means here (Manual mode says how many instances await a manual
upgrade).
"""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.status import summary
from scaleset_operator.planner.status.view import View

TYPE = "Ready"


def condition(view: View) -> Condition:
    stale = view.stale
    if stale is not None:
        return view.condition(TYPE, "Unknown", stale.reason, view.unobserved(stale))
    found = summary.blocker(view) or summary.activity(view) or view.decision.degraded
    if found is not None:
        return view.condition(TYPE, "False", found.reason, found.message)
    return view.condition(TYPE, "True", "Converged", view.decision.converged_message)
