"""Benchmark: how close a Rolling upgrade comes to its ideal duration.

100 instances (by default), Rolling at 20%, the simulator taking T simulated seconds for a batch
to be upgraded and report healthy. The operator runs for real against the local control plane.

    ideal    = batches x T + (batches - 1) x pause
    measured = rollout end - rollout start (status.rollingUpgrade, simulated clock)
    ratio    = measured / ideal            (target: <= 1.10)

The wall-clock time is printed too (measured at the simulator's speed). Run it with
``.venv/bin/python -m bench.rollout [--instances 100 --batch-time 120 --speed 20]``; CI runs a short
form from ``tests/bench`` that checks it completes, not its time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.journeys import condition, eventually, example, get, with_name  # noqa: E402
from tests.fixtures.operator import operator_process  # noqa: E402

from scaleset_operator.api.durations import parse_duration  # noqa: E402
from scaleset_operator.localcp import ControlPlane, Kubectl  # noqa: E402
from scaleset_operator.planner.rolling_policy import batch_size  # noqa: E402

HEALTH_DELAY = 5.0


@dataclass
class Result:
    instances: int
    batch_percent: int
    batches: int
    batch_time: float
    pause: float
    ideal: float
    measured: float
    wall_seconds: float
    speed: float

    @property
    def ratio(self) -> float:
        return self.measured / self.ideal

    def report(self) -> str:
        return (
            f"rollout of {self.instances} instances at {self.batch_percent}% = {self.batches} batches, "
            f"T={self.batch_time:g}s, pause={self.pause:g}s, speed x{self.speed:g}\n"
            f"ideal {self.ideal:.0f}s, measured {self.measured:.0f}s (simulated), "
            f"wall {self.wall_seconds:.1f}s (ideal wall {self.ideal / self.speed:.1f}s)\n"
            f"ratio measured/ideal = {self.ratio:.3f}"
        )


@contextlib.contextmanager
def cluster() -> Iterator[tuple[ControlPlane, Kubectl]]:
    with ControlPlane() as plane:
        kubectl = Kubectl(kubeconfig=plane.kubeconfig)
        for path in sorted((REPO / "crds").glob("*.yaml")):
            kubectl.ok("apply", "--server-side", "-f", str(path))
        # A CRD just applied may have no status yet, which `kubectl wait` reports as an error: retry.
        eventually(
            lambda: kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s").returncode,
            lambda code: code == 0,
            timeout=120,
            interval=1,
        )
        yield plane, kubectl


def run(
    plane: ControlPlane,
    kubectl: Kubectl,
    *,
    instances: int,
    batch_percent: int,
    batch_time: float,
    pause: str,
    speed: float,
    namespace: str = "bench",
) -> Result:
    kubectl("create", "namespace", namespace)
    with operator_process(plane, speed=speed, namespaces=[namespace]) as op:
        op.sim(
            "durations",
            "--create",
            "10",
            "--upgrade",
            f"{batch_time - HEALTH_DELAY:g}",
            "--health-delay",
            f"{HEALTH_DELAY:g}",
        )
        policy = {
            "maxBatchInstancePercent": batch_percent,
            "pauseTimeBetweenBatches": pause,
            "maxUnhealthyInstancePercent": 20,
        }
        manifest = with_name(
            example("rolling-web-tier"),
            "bench",
            **{
                "sku.capacity": instances,
                "upgradePolicy.rollingUpgradePolicy": policy,
                "rolloutPolicy.healthTimeout": "PT1H",
                "rolloutPolicy.progressDeadline": "PT2H",
            },
        )
        kubectl.apply(manifest, namespace=namespace)
        kubectl.ok("wait", "vmss/bench", "-n", namespace, "--for=condition=Ready", "--timeout=600s")
        wall_start = time.monotonic()
        kubectl.ok(
            "patch",
            "vmss",
            "bench",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            json.dumps({"spec": {"sku": {"name": "Standard_D4s_v5"}}}),
        )

        def finished(obj: dict[str, Any]) -> bool:
            rolling = obj.get("status", {}).get("rollingUpgrade") or {}
            return rolling.get("runningStatus", {}).get("code") == "Completed" and bool(
                obj["status"].get("updatedReplicas") == instances
            )

        expected_batches = math.ceil(instances / batch_size(instances, batch_percent))
        budget = 10 * (expected_batches * batch_time) / speed + 120
        obj = eventually(lambda: get(kubectl, namespace, "bench"), finished, timeout=budget, interval=0.2)
        wall = time.monotonic() - wall_start
        assert condition(obj, "Stalled").get("status") == "False", condition(obj, "Stalled")
        start, end = simulated_span(obj["status"])
        writes = json.loads(op.sim("--json", "calls", "--log").stdout)["writes"]
        batches = len([c for c in writes if c["operation"] == "upgrade" and c["scaleSet"] == "bench"])
    pause_s = parse_duration(pause).total_seconds()
    ideal = batches * batch_time + (batches - 1) * pause_s
    return Result(
        instances, batch_percent, batches, batch_time, pause_s, ideal, (end - start).total_seconds(), wall, speed
    )


def simulated_span(status: dict[str, Any]) -> tuple[datetime, datetime]:
    """When the model rollout started and ended, in simulated time: status shows wall-clock times, the
    simulator's own are in ``status.simulatedClock.times`` (by path)."""
    simulated = (status.get("simulatedClock") or {}).get("times", {})
    index = next(i for i, r in enumerate(status["lastRollouts"]) if r["kind"] == "ModelUpgrade")
    shown = status["lastRollouts"][index]

    def at(field: str) -> datetime:
        value = simulated.get(f"lastRollouts[{index}].{field}", shown[field])
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    return at("startTime"), at("endTime")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--batch-percent", type=int, default=20)
    parser.add_argument("--batch-time", type=float, default=120.0, help="T: simulated seconds per batch")
    parser.add_argument("--pause", default="PT0S", help="pauseTimeBetweenBatches")
    parser.add_argument("--speed", type=float, default=20.0, help="simulated seconds per real second")
    args = parser.parse_args(argv)
    with cluster() as (plane, kubectl):
        result = run(
            plane,
            kubectl,
            instances=args.instances,
            batch_percent=args.batch_percent,
            batch_time=args.batch_time,
            pause=args.pause,
            speed=args.speed,
        )
    print(result.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
