"""Every phase a GitOps tool judges, and what Argo CD and kstatus must conclude in each.

One table, read by the Argo CD tests (three Lua runtimes), the kstatus test and docs/gitops.md's
table (tests/gitops/test_docs_table.py keeps the two equal).

*Recorded* phases are objects the real operator wrote (``gitops_objects`` in conftest.py).
*Derived* phases are recorded objects with their conditions edited into a state that is too slow
to record in a test (a grace period of minutes) or that the operator reports only once a planned
change lands; each derivation names the conditions it stands for (docs/gitops.md says who sets them).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Object = dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    argocd: str
    """Argo CD health status."""
    kstatus: str
    """sigs.k8s.io/cli-utils kstatus status (Flux, kubectl-wait style tools)."""
    fragments: tuple[str, ...] = ()
    """Substrings of the Argo CD message."""


def with_conditions(obj: Mapping[str, Any], **changes: tuple[str, str, str]) -> Object:
    """A copy of ``obj`` whose conditions ``type=(status, reason, message)`` are set (added if absent)."""
    result: Object = copy.deepcopy(dict(obj))
    conditions: list[Object] = result["status"].setdefault("conditions", [])
    for kind, (status, reason, message) in changes.items():
        found = next((c for c in conditions if c["type"] == kind), None)
        if found is None:
            found = {"type": kind, "lastTransitionTime": "2026-01-01T00:00:00Z"}
            conditions.append(found)
        found.update(status=status, reason=reason, message=message)
    return result


def with_spec(obj: Mapping[str, Any], **spec: Any) -> Object:
    result: Object = copy.deepcopy(dict(obj))
    result["spec"].update(spec)
    return result


THROTTLED = "TooManyRequests: the request was throttled (HighCostGetVMScaleSet30Min); retrying in 30s"
UNAVAILABLE = "ServiceUnavailable: the service is temporarily unavailable; retrying in 20s"
UNAUTHORIZED = "AuthorizationFailed: the client does not have authorization to perform action read"


def _unhealthy_message(o: Mapping[str, Any]) -> str:
    ready = next(c for c in o["status"]["conditions"] if c["type"] == "Ready")
    return str(ready["message"])


# phase -> how it is derived from the recorded objects
DERIVED: dict[str, Callable[[Mapping[str, Object]], Object]] = {
    # The planner's two hold reasons (planner.rollout.strategies.hold_reason): the window case needs a
    # configured window and a clock outside it; the recorded paused rollout, unpaused and re-reasoned.
    "outside-window": lambda o: with_conditions(
        with_spec(o["paused"], paused=False),
        RolloutProgressing=("False", "OutsideMaintenanceWindow", "no batch starts outside the maintenance window"),
    ),
    "paused-idle": lambda o: with_spec(o["ready"], paused=True),
    # A canary step held until a Promote operation (docs/rollouts.md).
    "waiting-for-promotion": lambda o: with_conditions(
        o["converging"],
        RolloutProgressing=("False", "WaitingForPromotion", "step 2/3 (50%): held until a Promote operation"),
    ),
    "stalled-and-paused": lambda o: with_spec(o["stalled"], paused=True),
    # Settled and unhealthy for longer than rolloutPolicy.healthTimeout: Stalled=True (planner change).
    "unhealthy-past-grace": lambda o: with_conditions(
        o["settled-unhealthy"], Stalled=("True", "InstancesUnhealthy", _unhealthy_message(o["settled-unhealthy"]))
    ),
    # The backend cannot be observed (issue 10): Ready=Unknown with the cause, the last counts kept.
    "throttled-mid-rollout": lambda o: with_conditions(
        o["converging"], Ready=("Unknown", "Throttled", THROTTLED), Reconciling=("True", "Throttled", THROTTLED)
    ),
    "backend-unavailable": lambda o: with_conditions(
        o["ready"],
        Ready=("Unknown", "BackendUnavailable", UNAVAILABLE),
        Reconciling=("True", "BackendUnavailable", UNAVAILABLE),
    ),
    "backend-unavailable-idle": lambda o: with_conditions(
        o["ready"], Ready=("Unknown", "BackendUnavailable", UNAVAILABLE)
    ),
    "backend-unauthorized": lambda o: with_conditions(
        o["ready"],
        Ready=("Unknown", "BackendUnauthorized", UNAUTHORIZED),
        Stalled=("True", "BackendUnauthorized", UNAUTHORIZED),
    ),
    "backend-unavailable-past-deadline": lambda o: with_conditions(
        o["ready"],
        Ready=("Unknown", "BackendUnavailable", UNAVAILABLE),
        Reconciling=("False", "BackendUnavailable", UNAVAILABLE),
        Stalled=("True", "BackendUnavailable", "the scale set could not be observed for 30m0s: " + UNAVAILABLE),
    ),
}

SCALESET: dict[str, Verdict] = {
    # recorded
    "no-status": Verdict("Progressing", "Current", ("Waiting for the operator to report status",)),
    "creating": Verdict("Progressing", "InProgress"),
    "converging": Verdict("Progressing", "InProgress", ("ModelUpgrade",)),
    "paused": Verdict("Suspended", "InProgress", ("Paused", "spec.paused is true")),
    "ready": Verdict("Healthy", "Current", ("2/2 ready", "Converged")),
    "settled-unhealthy": Verdict("Degraded", "InProgress", ("0/1 ready", "InstancesUnhealthy", "sick000000")),
    "stalled": Verdict("Degraded", "Failed", ("SecretNotFound", "missing-admin-password")),
    "stale-generation": Verdict("Progressing", "InProgress", ("observe generation",)),
    "deleting": Verdict("Progressing", "Terminating", ("Deleting",)),
    # derived
    "outside-window": Verdict("Suspended", "InProgress", ("OutsideMaintenanceWindow: no batch starts",)),
    "paused-idle": Verdict("Suspended", "Current", ("Paused: spec.paused is true (no rollout is in progress)",)),
    "waiting-for-promotion": Verdict("Suspended", "InProgress", ("WaitingForPromotion: step 2/3 (50%)",)),
    "stalled-and-paused": Verdict("Degraded", "Failed", ("SecretNotFound",)),
    "unhealthy-past-grace": Verdict("Degraded", "Failed", ("InstancesUnhealthy", "sick000000")),
    "throttled-mid-rollout": Verdict("Unknown", "InProgress", ("Throttled: TooManyRequests", "last observed: ")),
    "backend-unavailable": Verdict("Unknown", "InProgress", ("BackendUnavailable", "last observed: 2/2 ready")),
    "backend-unavailable-idle": Verdict("Unknown", "InProgress", ("BackendUnavailable", "last observed: 2/2 ready")),
    "backend-unauthorized": Verdict("Degraded", "Failed", ("BackendUnauthorized: AuthorizationFailed",)),
    "backend-unavailable-past-deadline": Verdict("Degraded", "Failed", ("could not be observed for 30m0s",)),
}

OPERATION: dict[str, Verdict] = {
    "op-pending": Verdict("Progressing", "Current", ("Pending", "Restart on idle")),
    "op-running": Verdict("Progressing", "InProgress", ("Running", "Restart on db")),
    "op-succeeded": Verdict("Healthy", "Current", ("Succeeded", "Restart on db")),
    "op-failed": Verdict("Degraded", "Failed", ("Failed", "does-not-exist")),
}


def scaleset_objects(recorded: Mapping[str, Object]) -> dict[str, Object]:
    """Every ScaleSet phase's object: the recorded ones and those derived from them."""
    objects = {phase: recorded[phase] for phase in SCALESET if phase not in DERIVED}
    objects.update({phase: derive(recorded) for phase, derive in DERIVED.items()})
    return objects
