"""ScaleSet and ScaleSetOperation objects as the real operator leaves them in each phase.

``gitops_objects`` (session) runs the operator (fake backend, speed 50) against the local control
plane, drives ScaleSets through their phases with kubectl and the simulator's admin endpoint, and
keeps ``kubectl get -o json`` of each phase. The Argo CD Lua checks and the kstatus conformance
test both judge these same objects, so what they are tested on is what users' tools will see.

Phases (key -> how it is produced; simulated minutes pass in real seconds at speed 50):
  no-status             a ScaleSet in a namespace no operator watches
  creating              instances still being created (simulated create takes 3 real seconds)
  converging            a rolling model upgrade in flight
  throttled-mid-rollout that rollout while the simulator answers every call 429 (`sim throttle`)
  paused                spec.paused set during that rollout: the rollout holds
  outside-window        a model change on a ScaleSet whose only maintenance window is days away
  ready                 Ready=True
  paused-idle           spec.paused set on a converged ScaleSet
  settled-unhealthy     a converged ScaleSet whose instance then reports Unhealthy: nothing is in
                        progress (Reconciling=False) and Ready=False, reason InstancesUnhealthy
  unhealthy-past-grace  the same ScaleSet once rolloutPolicy.healthTimeout (PT3M) has passed: Stalled
  stalled               adminPasswordSecretRef names a missing Secret -> Stalled, SecretNotFound
  stalled-and-paused    that ScaleSet with spec.paused set
  backend-unavailable   every scale set GET answered 503 (`sim fail get`): Ready=Unknown, retrying
  backend-unavailable-past-deadline  the same past rolloutPolicy.progressDeadline (PT2M): Stalled
  backend-unauthorized  every GET answered 403: Stalled at once
  stale-generation      the spec edited while the operator is down: generation != observedGeneration
  deleting              deleted, held by the finalizer while the simulated delete runs
  op-pending            a ScaleSetOperation no operator watches (no status)
  op-running            a Restart operation in flight
  op-succeeded          that operation done
  op-failed             an operation naming a ScaleSet that does not exist
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scaleset_operator.localcp import ControlPlane, Kubectl
from tests.fixtures.operator import OperatorProcess, operator_process

SCALESETS = "scalesets.scaleset.dev"  # fully qualified: the short name "scaleset" is also a category
OPERATIONS = "scalesetoperations.scaleset.dev"
POLL_SECONDS = 0.15
PHASE_TIMEOUT = 60.0

Object = dict[str, Any]


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return dict(c)
    return None


def is_condition(obj: Mapping[str, Any], kind: str, status: str, reasons: tuple[str, ...] = ()) -> bool:
    c = condition(obj, kind)
    return c is not None and c.get("status") == status and (not reasons or c.get("reason") in reasons)


def scale_set(
    name: str,
    capacity: int,
    *,
    mode: str = "Rolling",
    password_secret: str | None = None,
    rollout_policy: Mapping[str, Any] | None = None,
) -> Object:
    os_profile: Object = {"computerNamePrefix": name[:9], "adminUsername": "azureuser"}
    if password_secret is None:
        os_profile["linuxConfiguration"] = {
            "disablePasswordAuthentication": True,
            "ssh": {
                "publicKeys": [
                    {
                        "path": "/home/azureuser/.ssh/authorized_keys",
                        "keyData": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGitopsTestKeyOnly user@example",
                    }
                ]
            },
        }
    else:
        os_profile["adminPasswordSecretRef"] = {"name": password_secret, "key": "password"}
        os_profile["linuxConfiguration"] = {"disablePasswordAuthentication": False}
    spec: Object = {
        "location": "westeurope",
        "azure": {"subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": f"rg-{name}"},
        "sku": {"name": "Standard_D2s_v5", "capacity": capacity},
        "upgradePolicy": {"mode": mode},
        "virtualMachineProfile": {
            "osProfile": os_profile,
            "storageProfile": {
                "imageReference": {
                    "publisher": "Canonical",
                    "offer": "0001-com-ubuntu-server-jammy",
                    "sku": "22_04-lts-gen2",
                    "version": "latest",
                }
            },
            "networkProfile": {
                "healthProbe": {
                    "id": f"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-{name}"
                    f"/providers/Microsoft.Network/loadBalancers/lb-{name}/probes/http"
                }
            },
        },
    }
    if mode == "Rolling":
        spec["upgradePolicy"]["rollingUpgradePolicy"] = {"maxBatchInstancePercent": 50}
    if rollout_policy:
        spec["rolloutPolicy"] = dict(rollout_policy)
    return {"apiVersion": "scaleset.dev/v1alpha1", "kind": "ScaleSet", "metadata": {"name": name}, "spec": spec}


def operation(name: str, scale_set_name: str, action: str = "Restart") -> Object:
    return {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSetOperation",
        "metadata": {"name": name},
        "spec": {"scaleSetName": scale_set_name, "action": action, "allInstances": True},
    }


class Capture:
    """Poll one object with ``kubectl get -o json`` until a predicate holds; keep what was seen."""

    def __init__(self, kubectl: Kubectl, namespace: str) -> None:
        self.kubectl = kubectl
        self.namespace = namespace

    def get(self, resource: str, name: str) -> Object:
        result: Object = self.kubectl.json("get", resource, name, "-n", self.namespace)
        return result

    def until(
        self, resource: str, name: str, predicate: Callable[[Object], bool], what: str, timeout: float = PHASE_TIMEOUT
    ) -> Object:
        deadline = time.monotonic() + timeout
        last: Object | None = None
        while time.monotonic() < deadline:
            last = self.get(resource, name)
            if predicate(last):
                return last
            time.sleep(POLL_SECONDS)
        status = json.dumps((last or {}).get("status"), indent=1)[:3000]
        raise AssertionError(f"{resource}/{name} never reached '{what}' within {timeout:.0f}s; last status:\n{status}")


def observed(o: Mapping[str, Any]) -> bool:
    """The status describes the current spec."""
    return bool(o["status"].get("observedGeneration") == o["metadata"]["generation"])


def patch(kubectl: Kubectl, namespace: str, name: str, spec: Mapping[str, Any]) -> None:
    kubectl.ok("patch", SCALESETS, name, "-n", namespace, "--type=merge", "-p", json.dumps({"spec": spec}))


def fault(op: OperatorProcess, method: str, path: str, body: Mapping[str, Any] | None = None) -> None:
    """The simulator's fault controls, as ``scaleset-operator sim throttle/fail/faults`` sends them (over
    HTTP directly: the CLI's start-up would cost a second per phase)."""
    assert op.admin_url is not None
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        op.admin_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, response.status


def fail_gets(op: OperatorProcess, status: int, code: str, message: str) -> None:
    """Every scale set GET fails (``sim fail get``); the faults are not per scale set."""
    body = {"operation": "get", "count": 100_000, "status": status, "code": code, "message": message}
    fault(op, "POST", "/faults/fail", body)


def closed_window() -> list[Object]:
    """A maintenance window days away (the simulated clock starts at the wall clock's now)."""
    day = (datetime.now(UTC) + timedelta(days=3)).strftime("%A")
    return [{"days": [day], "start": "00:00", "end": "00:01"}]


SICK_POLICY = {"healthTimeout": "PT3M"}  # 3.6 real seconds of grace at speed 50
CALM_POLICY = {"healthTimeout": "PT1M", "progressDeadline": "PT2M"}  # unobservable: Stalled after 2.4 s


def _record_settling(op: OperatorProcess, capture: Capture, seen: dict[str, Object]) -> None:
    """creating, stalled, ready, settled-unhealthy."""
    seen["creating"] = capture.until(
        SCALESETS, "web", lambda o: is_condition(o, "Reconciling", "True"), "Reconciling=True while creating"
    )
    seen["stalled"] = capture.until(
        SCALESETS, "locked", lambda o: is_condition(o, "Stalled", "True", ("SecretNotFound",)), "Stalled"
    )
    seen["ready"] = capture.until(SCALESETS, "web", lambda o: is_condition(o, "Ready", "True"), "Ready=True")
    for name in ("db", "sick", "calm", "windowed"):
        capture.until(SCALESETS, name, lambda o: is_condition(o, "Ready", "True"), "Ready=True")
    op.sim("set-health", "sick", "0", "Unhealthy")
    seen["settled-unhealthy"] = capture.until(
        SCALESETS,
        "sick",
        lambda o: (
            is_condition(o, "Ready", "False", ("InstancesUnhealthy",)) and is_condition(o, "Reconciling", "False")
        ),
        "Ready=False InstancesUnhealthy with nothing in progress",
    )


def _record_rollout(op: OperatorProcess, kubectl: Kubectl, capture: Capture, seen: dict[str, Object]) -> None:
    """converging, throttled-mid-rollout, paused, outside-window."""
    watched = capture.namespace
    # A model change (the SKU) in Rolling mode: batches of one instance, 3 real seconds each.
    patch(kubectl, watched, "web", {"sku": {"name": "Standard_D4s_v5"}})
    patch(kubectl, watched, "windowed", {"sku": {"name": "Standard_D4s_v5"}})
    seen["converging"] = capture.until(
        SCALESETS, "web", lambda o: is_condition(o, "RolloutProgressing", "True") and observed(o), "a rollout in flight"
    )
    fault(op, "POST", "/faults/throttle", {"seconds": 600})
    seen["throttled-mid-rollout"] = capture.until(
        SCALESETS, "web", lambda o: is_condition(o, "Ready", "Unknown", ("Throttled",)), "Ready=Unknown, throttled"
    )
    patch(kubectl, watched, "web", {"paused": True})  # while throttled: no next batch can start before it
    fault(op, "DELETE", "/faults")
    seen["paused"] = capture.until(
        SCALESETS,
        "web",
        lambda o: is_condition(o, "RolloutProgressing", "False", ("Paused",)) and observed(o),
        "the rollout held by spec.paused",
    )
    seen["outside-window"] = capture.until(
        SCALESETS,
        "windowed",
        lambda o: is_condition(o, "RolloutProgressing", "False", ("OutsideMaintenanceWindow",)) and observed(o),
        "the rollout held outside the maintenance window",
    )


def _record_holds_and_grace(kubectl: Kubectl, capture: Capture, seen: dict[str, Object]) -> None:
    """paused-idle, stalled-and-paused, unhealthy-past-grace."""
    watched = capture.namespace
    patch(kubectl, watched, "calm", {"paused": True})
    seen["paused-idle"] = capture.until(
        SCALESETS, "calm", lambda o: is_condition(o, "Ready", "True") and observed(o), "paused while converged"
    )
    patch(kubectl, watched, "calm", {"paused": False})
    capture.until(SCALESETS, "calm", observed, "unpaused")
    patch(kubectl, watched, "locked", {"paused": True})
    seen["stalled-and-paused"] = capture.until(
        SCALESETS, "locked", lambda o: is_condition(o, "Stalled", "True") and observed(o), "stalled and paused"
    )
    seen["unhealthy-past-grace"] = capture.until(
        SCALESETS,
        "sick",
        lambda o: is_condition(o, "Stalled", "True", ("InstancesUnhealthy",)),
        "Stalled=True InstancesUnhealthy once rolloutPolicy.healthTimeout has passed",
    )


def _record_backend_faults(op: OperatorProcess, capture: Capture, seen: dict[str, Object]) -> None:
    """backend-unavailable, backend-unavailable-past-deadline, backend-unauthorized (every scale set's
    GET fails: the simulator's faults are not per scale set)."""
    fail_gets(op, 503, "ServiceUnavailable", "the service is unavailable")
    seen["backend-unavailable"] = capture.until(
        SCALESETS,
        "calm",
        lambda o: (
            is_condition(o, "Ready", "Unknown", ("BackendUnavailable",)) and is_condition(o, "Reconciling", "True")
        ),
        "Ready=Unknown BackendUnavailable, retrying",
    )
    seen["backend-unavailable-past-deadline"] = capture.until(
        SCALESETS,
        "calm",
        lambda o: is_condition(o, "Stalled", "True", ("BackendUnavailable",)),
        "Stalled=True once rolloutPolicy.progressDeadline has passed unobserved",
    )
    fault(op, "DELETE", "/faults")
    capture.until(SCALESETS, "calm", lambda o: is_condition(o, "Ready", "True"), "observed again")
    fail_gets(op, 403, "AuthorizationFailed", "the client may not read the scale set")
    seen["backend-unauthorized"] = capture.until(
        SCALESETS, "calm", lambda o: is_condition(o, "Stalled", "True", ("BackendUnauthorized",)), "Stalled at once"
    )
    fault(op, "DELETE", "/faults")


def _record_operations_and_deletion(kubectl: Kubectl, capture: Capture, seen: dict[str, Object]) -> None:
    """op-running, op-succeeded, op-failed, deleting."""
    watched = capture.namespace
    kubectl.apply(operation("db-restart", "db"), namespace=watched)
    seen["op-running"] = capture.until(
        OPERATIONS, "db-restart", lambda o: (o.get("status") or {}).get("phase") == "Running", "Running"
    )
    seen["op-succeeded"] = capture.until(
        OPERATIONS, "db-restart", lambda o: (o.get("status") or {}).get("phase") == "Succeeded", "Succeeded"
    )
    seen["op-failed"] = capture.until(
        OPERATIONS, "orphan-restart", lambda o: (o.get("status") or {}).get("phase") == "Failed", "Failed"
    )

    kubectl.ok("delete", SCALESETS, "db", "-n", watched, "--wait=false")
    seen["deleting"] = capture.until(
        SCALESETS, "db", lambda o: bool(o["metadata"].get("deletionTimestamp")), "deletionTimestamp set"
    )
    # The finalizer lets go once the simulated delete is done: the object really goes away.
    kubectl.ok("wait", "--for=delete", f"{SCALESETS}/db", "-n", watched, "--timeout=60s")


@pytest.fixture(scope="session")
def gitops_objects(
    control_plane: ControlPlane,
    kubectl: Kubectl,
    scaleset_crds: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Object]]:
    del scaleset_crds  # requested for its effect
    suffix = uuid.uuid4().hex[:6]
    watched, unwatched = f"gitops-{suffix}", f"gitops-unwatched-{suffix}"
    for ns in (watched, unwatched):
        kubectl.ok("create", "namespace", ns)
    seen: dict[str, Object] = {}
    capture = Capture(kubectl, watched)
    log_dir = tmp_path_factory.mktemp("gitops-operator")
    try:
        # Nothing watches `unwatched`: the objects there never get a status.
        kubectl.apply(scale_set("idle", 1), operation("idle-restart", "idle"), namespace=unwatched)
        with operator_process(control_plane, speed=50.0, namespaces=[watched], log_dir=log_dir) as op:
            # 150 simulated seconds = 3 real seconds at speed 50: long enough to see each phase.
            op.sim("durations", "--create", "150", "--upgrade", "150", "--restart", "150", "--delete", "150")
            kubectl.apply(
                scale_set("web", 2),
                scale_set("db", 1, mode="Manual"),
                scale_set("sick", 1, mode="Manual", rollout_policy=SICK_POLICY),
                scale_set("calm", 1, mode="Manual", rollout_policy=CALM_POLICY),
                scale_set("windowed", 1, rollout_policy={"maintenanceWindows": closed_window()}),
                scale_set("locked", 1, password_secret="missing-admin-password"),
                operation("orphan-restart", "does-not-exist"),
                namespace=watched,
            )
            _record_settling(op, capture, seen)
            _record_rollout(op, kubectl, capture, seen)
            _record_operations_and_deletion(kubectl, capture, seen)
            _record_holds_and_grace(kubectl, capture, seen)
            _record_backend_faults(op, capture, seen)

        # The operator is down now: an edit is not observed, the status describes the old spec.
        kubectl.ok("patch", SCALESETS, "locked", "-n", watched, "--type=merge", "-p", '{"spec":{"sku":{"capacity":2}}}')
        seen["stale-generation"] = capture.get(SCALESETS, "locked")
        seen["no-status"] = Capture(kubectl, unwatched).get(SCALESETS, "idle")
        seen["op-pending"] = Capture(kubectl, unwatched).get(OPERATIONS, "idle-restart")
        yield seen
    except Exception:
        for log in sorted(Path(log_dir).glob("*.log")):
            print(f"--- {log}\n{log.read_text(errors='replace')[-6000:]}")
        raise
    finally:
        for ns in (watched, unwatched):
            kubectl("delete", "namespace", ns, "--wait=false")
