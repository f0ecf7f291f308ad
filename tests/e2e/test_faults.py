"""The truth under faults, as a user watching ``kubectl get vmss`` sees it.

A converged 20-instance ScaleSet; the simulator (through the operator's admin endpoint, as
``scaleset-operator sim`` drives it) answers every call with 429 for 120 simulated seconds, and
later fails five scale set GETs with 503. The status is sampled every 0.5 s (wall clock) through the
API server: the replicas (the ScaleSet's and its scale subresource's, what an HPA reads) never drop
below the cloud's count, the status says the facts are stale and why, and once the fault ends the
next pass observes again within the capped backoff. The simulator runs 10x faster than real time so
the storm takes 12 s; the figures are printed in simulated seconds (run with ``-s`` to see them).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from scaleset_operator.localcp import ControlPlane, Kubectl
from scaleset_operator.planner.requeue import (
    BUSY_RESYNC_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    MAX_TRANSIENT_BACKOFF_SECONDS,
)
from tests.e2e.journeys import example, get, wait_ready, with_name
from tests.fixtures.operator import OperatorProcess, operator_process

SPEED = 10.0
CAPACITY = 20
NAME = "storm"
SAMPLE_SECONDS = 0.5
RECOVERY_BOUND = {"429": MAX_RETRY_AFTER_SECONDS, "503": MAX_TRANSIENT_BACKOFF_SECONDS}
"""Simulated seconds from the fault's end until the status is observed again: the capped wait,
plus one busy interval and the samples' one-second timestamps."""


@pytest.fixture(scope="module")
def fast_operator(
    control_plane: ControlPlane, scaleset_crds: list[str], operator_namespace: str
) -> Iterator[OperatorProcess]:
    del scaleset_crds
    with operator_process(control_plane, speed=SPEED, namespaces=[operator_namespace]) as op:
        yield op


def admin(op: OperatorProcess, path: str) -> Any:
    assert op.admin_url is not None
    with urllib.request.urlopen(op.admin_url + path, timeout=5) as response:
        return json.loads(response.read())


def simulated_now(op: OperatorProcess) -> datetime:
    return datetime.fromisoformat(admin(op, "/clock")["now"])


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Samples:
    replicas: list[int] = field(default_factory=list)
    scale: list[int] = field(default_factory=list)
    ready: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)

    def take(self, kubectl: Kubectl, ns: str) -> dict[str, Any]:
        """One sample, every ``SAMPLE_SECONDS`` (the kubectl calls included)."""
        started = time.monotonic()
        obj = get(kubectl, ns, NAME)
        status = obj.get("status", {})
        raw = kubectl.ok("get", "--raw", f"/apis/scaleset.dev/v1alpha1/namespaces/{ns}/scalesets/{NAME}/scale")
        scale = json.loads(raw.stdout)
        self.replicas.append(status.get("replicas", 0))
        self.ready.append(status.get("readyReplicas", 0))
        self.scale.append(scale.get("status", {}).get("replicas", 0))
        self.states.append(status.get("observation", {}).get("state", "?"))
        self.reasons.update(c["reason"] for c in status.get("conditions", []) if c["type"] == "Reconciling")
        time.sleep(max(0.0, SAMPLE_SECONDS - (time.monotonic() - started)))
        return obj


def watch_until(kubectl: Kubectl, ns: str, samples: Samples, done: Any, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        obj = samples.take(kubectl, ns)
        if done(obj):
            return obj
        assert time.monotonic() < deadline, f"not recovered within {timeout}s: {obj.get('status', {})}"


def observed_again(obj: dict[str, Any]) -> bool:
    return obj.get("status", {}).get("observation", {}).get("state") == "Observed"


def recovery_seconds(obj: dict[str, Any], fault_ended: datetime) -> float:
    """From the end of the fault until the status says Observed again (the state's own ``since``, in
    simulated time: status shows wall-clock times, the simulated ones are in ``simulatedClock``)."""
    status = obj["status"]
    since = status["simulatedClock"]["times"].get("observation.since", status["observation"]["since"])
    return (parse_time(since) - fault_ended).total_seconds()


def report(kind: str, samples: Samples, recovered: float, cloud: int) -> None:
    print(
        f"\n[{kind}] {len(samples.replicas)} samples every {SAMPLE_SECONDS}s (simulator x{SPEED:g}): "
        f"min status.replicas {min(samples.replicas)}, min scale.status.replicas {min(samples.scale)}, "
        f"min readyReplicas {min(samples.ready)} (cloud: {cloud}); "
        f"observed again {max(recovered, 0.0):.0f} simulated s after the fault ended"
    )


def test_replicas_never_drop_during_a_429_storm_and_five_503s(
    kubectl: Kubectl, fast_operator: OperatorProcess, operator_namespace: str
) -> None:
    ns, op = operator_namespace, fast_operator
    kubectl.apply(with_name(example("rolling-web-tier"), NAME, **{"sku.capacity": CAPACITY}), namespace=ns)
    wait_ready(kubectl, ns, NAME, timeout=120)
    cloud = admin(op, f"/scalesets/{NAME}")["instances"]
    assert cloud == CAPACITY

    # A 120 s storm: every call answered 429 (Retry-After: the time left, which the operator caps).
    storm = Samples()
    op.sim("throttle", "--seconds", "120")
    storm_ends = datetime.fromisoformat(admin(op, "/faults")["throttle"]["until"])
    while simulated_now(op) < storm_ends:
        storm.take(kubectl, ns)
    obj = watch_until(kubectl, ns, storm, observed_again, timeout=30)
    storm_recovery = recovery_seconds(obj, storm_ends)
    report("429 storm", storm, storm_recovery, cloud)

    # Five 503s on the scale set GET.
    errors = Samples()
    op.sim("fail", "get", "--count", "5", "--status", "503", "--code", "ServiceUnavailable")
    while admin(op, "/faults")["failNext"]:
        errors.take(kubectl, ns)
    failures_ended = simulated_now(op)
    obj = watch_until(kubectl, ns, errors, observed_again, timeout=30)
    errors_recovery = recovery_seconds(obj, failures_ended)
    report("five 503s", errors, errors_recovery, cloud)

    for kind, samples, recovered in (("429", storm, storm_recovery), ("503", errors, errors_recovery)):
        assert min(samples.replicas) >= cloud, f"{kind}: status.replicas dropped below the cloud's {cloud}"
        assert min(samples.scale) >= cloud, f"{kind}: the scale subresource dropped below the cloud's {cloud}"
        assert "Unknown" in samples.states, f"{kind}: the status never said the facts were stale"
        assert recovered <= RECOVERY_BOUND[kind] + BUSY_RESYNC_SECONDS + 2, f"{kind}: recovered after {recovered}s"
    assert "Throttled" in storm.reasons and "BackendUnavailable" in errors.reasons
    assert obj["status"]["readyReplicas"] == cloud
