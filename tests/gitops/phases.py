"""Every phase a GitOps tool judges, and what Argo CD and kstatus must conclude in each.

One table, read by the Argo CD tests (three Lua runtimes), the kstatus test and docs/gitops.md's
table (tests/gitops/test_snippets.py keeps the two equal).

Every phase is an object the real operator wrote (``gitops_objects`` in conftest.py): grace periods
and deadlines are simulated minutes that pass in real seconds, backend faults come from the
simulator's fault controls (``scaleset-operator sim throttle`` / ``sim fail get``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
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
    """A copy of ``obj`` whose conditions ``type=(status, reason, message)`` are set (added if absent);
    for tests that draw an edited object (tests/cli/test_status.py)."""
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


SCALESET: dict[str, Verdict] = {
    "no-status": Verdict("Progressing", "Current", ("Waiting for the operator to report status",)),
    "creating": Verdict("Progressing", "InProgress"),
    "converging": Verdict("Progressing", "InProgress", ("ModelUpgrade",)),
    "throttled-mid-rollout": Verdict(
        "Unknown", "InProgress", ("Throttled: TooManyRequests", "; last observed before ", "ready when last observed)")
    ),
    "paused": Verdict("Suspended", "InProgress", ("Paused", "spec.paused is true")),
    "paused-idle": Verdict("Suspended", "Current", ("Paused: spec.paused is true (no rollout is in progress)",)),
    "outside-window": Verdict("Suspended", "InProgress", ("OutsideMaintenanceWindow: no batch starts",)),
    "ready": Verdict("Healthy", "Current", ("2/2 ready", "Converged")),
    "settled-unhealthy": Verdict("Degraded", "InProgress", ("0/1 ready", "InstancesUnhealthy", "sick000000")),
    "unhealthy-past-grace": Verdict(
        "Degraded", "Failed", ("InstancesUnhealthy: 1 instances are unhealthy: sick000000",)
    ),
    "backend-unavailable": Verdict(
        "Unknown", "InProgress", ("BackendUnavailable: ServiceUnavailable", "(1/1 ready when last observed)")
    ),
    "backend-unavailable-past-deadline": Verdict(
        "Degraded", "Failed", ("BackendUnavailable: the scale set has not been observed for longer than PT2M",)
    ),
    "backend-unauthorized": Verdict("Degraded", "Failed", ("BackendUnauthorized: AuthorizationFailed",)),
    "stalled": Verdict("Degraded", "Failed", ("SecretNotFound", "missing-admin-password")),
    "stalled-and-paused": Verdict("Degraded", "Failed", ("SecretNotFound",)),
    "stale-generation": Verdict("Progressing", "InProgress", ("observe generation",)),
    "deleting": Verdict("Progressing", "Terminating", ("Deleting",)),
}

OPERATION: dict[str, Verdict] = {
    "op-pending": Verdict("Progressing", "Current", ("Pending", "Restart on idle")),
    "op-running": Verdict("Progressing", "InProgress", ("Running", "Restart on db")),
    "op-succeeded": Verdict("Healthy", "Current", ("Succeeded", "Restart on db")),
    "op-failed": Verdict("Degraded", "Failed", ("Failed", "does-not-exist")),
}


def scaleset_objects(recorded: Mapping[str, Object]) -> dict[str, Object]:
    """Every ScaleSet phase's object, as the real operator wrote it."""
    return {phase: recorded[phase] for phase in SCALESET}
