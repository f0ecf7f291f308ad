"""Benchmark: how many Azure calls one Rolling rollout costs through the SDK-backed Azure backend.

The operator's real reconcile loop drives a model change across N instances (Rolling, batch P%)
with ``AzureBackend`` -> HTTPS -> the ARM-compatible simulator, on a manual clock requeued exactly
as kopf would. Every request the endpoint answers is counted by kind; the fake backend runs the same
rollout for comparison. Printed, not asserted (``tests/backends/azure/test_call_budget.py`` asserts
the invariants: one write per batch, two GETs per observation).

    .venv/bin/python -m bench.azure_calls [--instances 20] [--percent 20] [--no-budget]

``--no-budget`` lifts the client-side Compute budget to show how often the loop would observe
unthrottled. LRO status polls are driven by wall-clock time here (pollers sleep real seconds while
the simulated clock jumps), so their count is indicative only; on Azure a poller makes one request
per ``Retry-After`` (or 30 s) until its batch finishes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.backends.scenarios import RolloutCalls, World, rolling_rollout_calls  # noqa: E402

from scaleset_operator.backends.azure import AzureBackend, AzureConfig, CallBudget, StaticTokenCredential  # noqa: E402
from scaleset_operator.backends.azure.budget import COMPUTE_LIMITS, BudgetKind, Rate  # noqa: E402
from scaleset_operator.backends.fake import FakeBackend  # noqa: E402
from scaleset_operator.simulator.arm import ArmSettings, start_arm_endpoint  # noqa: E402
from scaleset_operator.simulator.clock import ManualClock  # noqa: E402
from scaleset_operator.simulator.engine import SimulatedCloud  # noqa: E402

UNLIMITED: dict[BudgetKind, Rate] = {kind: Rate(per_minute=1e9, burst=10**9) for kind in COMPUTE_LIMITS}


async def measure(instances: int, percent: int, budget: bool) -> tuple[RolloutCalls, RolloutCalls]:
    clock = ManualClock()
    cloud = SimulatedCloud(clock)
    with tempfile.TemporaryDirectory() as state:
        endpoint = await start_arm_endpoint(cloud, Path(state), settings=ArmSettings(poll_retry_after=0))
        limits = CallBudget(clock=lambda: clock.now().timestamp())
        if not budget:
            limits = CallBudget(UNLIMITED, clock=lambda: clock.now().timestamp())
        backend = AzureBackend.from_config(
            AzureConfig(base_url=endpoint.url, ca_bundle=str(endpoint.ca_path), polling_interval=0.2),
            credential=StaticTokenCredential("bench"),
            budget=limits,
        )
        try:
            azure = await rolling_rollout_calls(
                World("azure", cloud, clock, backend, endpoint.state), instances, percent
            )
        finally:
            await backend.close()
            await endpoint.close()
    fake_clock = ManualClock()
    fake_cloud = SimulatedCloud(fake_clock)
    fake = await rolling_rollout_calls(
        World("fake", fake_cloud, fake_clock, FakeBackend(fake_cloud)), instances, percent
    )
    return azure, fake


def report(azure: RolloutCalls, fake: RolloutCalls, budget: bool) -> str:
    http = azure.http
    writes = sum(n for k, n in http.items() if k in ("vmss.put", "vmss.manualupgrade", "vmss.reimage", "vmss.delete"))
    polls = http.get("operation.status", 0) + http.get("operation.result", 0)
    observations = http.get("vms.list", 0)
    minutes = azure.simulated_seconds / 60
    put, upgrades = http.get("vmss.put", 0), http.get("vmss.manualupgrade", 0)
    lines = [
        f"Rolling rollout of {azure.instances} instances at {azure.batch_percent}% "
        f"({azure.batches} batches), Azure backend via the ARM simulator, client budget {'on' if budget else 'off'}:",
        f"  simulated duration   {azure.simulated_seconds:.0f} s over {azure.passes} reconcile passes "
        f"({azure.client_throttled} held back by the client budget)",
        f"  writes               {writes}  (PUT {put} + manualupgrade {upgrades})"
        f" = {writes / max(azure.batches, 1):.1f} per batch",
        f"  reads                {http.get('vmss.get', 0) + observations + http.get('images.list', 0)}  "
        f"(scale set GET {http.get('vmss.get', 0)}, VM list {observations}, image list {http.get('images.list', 0)})",
        f"  observations/minute  {observations / minutes:.1f}  (Compute's VM-list budget: 10/min after a burst of 30)",
        f"  LRO polls            {polls}  (operation status {http.get('operation.status', 0)}, "
        f"final GET {http.get('operation.result', 0)}; wall-clock driven)",
        f"  engine calls         {azure.engine_reads} reads, {azure.engine_writes} writes",
        f"fake backend, same rollout: {fake.passes} passes, {fake.engine_reads} reads, {fake.engine_writes} writes "
        f"in {fake.simulated_seconds:.0f} s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--percent", type=int, default=20)
    parser.add_argument("--no-budget", action="store_true", help="lift the client-side Compute budget")
    args = parser.parse_args(argv)
    azure, fake = asyncio.run(measure(args.instances, args.percent, not args.no_budget))
    print(report(azure, fake, not args.no_budget))
    return 0


if __name__ == "__main__":
    sys.exit(main())
