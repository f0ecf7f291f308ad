"""Benchmark: a fleet of N ScaleSets x M instances, one operator (or N shards) against the local
control plane, the simulator at real-time speed, measured in one run beside a no-op kopf operator
watching the same objects.

Printed (targets at 1,000 x 10 in brackets; nothing here is asserted):

- create-to-Ready: from the first create to the last ScaleSet Ready, over the ideal = the time the
  API took to create them all + the simulated provisioning (create + health delay)   [<= 1.3]
- resident memory of each operator process (the fake backend's simulator lives in it: its share,
  measured by building the same simulated cloud in this process, is shown apart) and of the no-op
  kopf operator                                                                    [<= 250 MB]
- idle CPU over the idle window (default 60 s), % of one core                         [<= 2%]
- idle writes to the API server (any change of the ScaleSets) and backend calls in the window
                                                                              [0 writes]
- the Azure call model: the idle resync interval the operator chose per subscription (its metrics),
  the steady-state reads per minute that implies, against Compute's per-subscription budget, and the
  reads measured in the window (each observation = 1 scale set GET + 1 VM list per 100 VMs).

    .venv/bin/python -m bench.fleet --scalesets 1000 --instances 10 [--shards 3] [--idle 60]

CI runs a short form (tests/bench/test_fleet_bench.py) that only checks it completes.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kubernetes import client, config  # noqa: E402
from tests.e2e.journeys import example, with_name  # noqa: E402
from tests.fixtures.operator import OperatorProcess, http_ok, operator_process  # noqa: E402

from bench.rollout import cluster  # noqa: E402
from scaleset_operator import GROUP, VERSION  # noqa: E402
from scaleset_operator.cloud.limits import SUBSCRIPTION_LIMITS, observation_cost  # noqa: E402
from scaleset_operator.localcp import ControlPlane, Kubectl  # noqa: E402
from scaleset_operator.localcp.controlplane import allocate_ports, terminate_process_group  # noqa: E402
from scaleset_operator.simulator.timing import Durations  # noqa: E402

NAMESPACE = "fleet"
PLURAL = "scalesets"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- process figures ----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def metric(url: str, name: str) -> dict[str, float]:
    """``name{label="x"} value`` lines of a Prometheus endpoint: the (first) label's value -> value."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    found: dict[str, float] = {}
    for match in re.finditer(rf'^{name}\{{\w+="([^"]*)"[^}}]*\}} (\S+)$', text, re.MULTILINE):
        found[match.group(1)] = found.get(match.group(1), 0.0) + float(match.group(2))
    return found


@dataclass
class Work:
    """What the operator processes did between two moments (CPU, passes, status writes, lag)."""

    cpu: float = 0.0
    passes: float = 0.0
    writes: float = 0.0
    lag: dict[str, float] = field(default_factory=dict)

    @classmethod
    def now(cls, running: list[tuple[OperatorProcess, str]]) -> Work:
        work = cls()
        for op, url in running:
            work.cpu += cpu_seconds(op.pid)
            work.passes += sum(metric(url, "scaleset_reconcile_duration_seconds_count").values())
            work.writes += metric(url, "scaleset_status_writes_total").get("ScaleSet", 0.0)
            for priority in ("busy", "idle"):
                total = metric(url, "scaleset_scheduler_lag_seconds_sum").get(priority, 0.0)
                count = metric(url, "scaleset_scheduler_lag_seconds_count").get(priority, 0.0)
                work.lag[f"{priority}_sum"] = work.lag.get(f"{priority}_sum", 0.0) + total
                work.lag[f"{priority}_count"] = work.lag.get(f"{priority}_count", 0.0) + count
        return work

    def since(self, before: Work) -> Work:
        lag = {key: value - before.lag.get(key, 0.0) for key, value in self.lag.items()}
        return Work(self.cpu - before.cpu, self.passes - before.passes, self.writes - before.writes, lag)

    def mean_lag(self, priority: str) -> float:
        return self.lag.get(f"{priority}_sum", 0.0) / max(1.0, self.lag.get(f"{priority}_count", 0.0))


def admin(url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{url}{path}", timeout=30) as response:
        return json.loads(response.read())


# -- the fleet's objects ------------------------------------------------------------------------------


READY = (
    "{range .items[*]}{.metadata.name} {.metadata.resourceVersion} {.status.observedGeneration} {.metadata.generation}"
    ' {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastTransitionTime}'
    '{"\\n"}{end}'
)


@dataclass(frozen=True)
class Seen:
    """One ScaleSet as listed: its resourceVersion, and when it turned Ready (None: not yet)."""

    resource_version: str
    ready_at: float | None


def listing(kubectl: Kubectl) -> dict[str, Seen]:
    """Every ScaleSet's resourceVersion and Ready time, listed by kubectl in chunks (Go parses the
    large list). The Ready time is the condition's lastTransitionTime, set by the operator when it
    saw the ScaleSet ready, so how often or how late this lists does not skew it."""
    args = ("get", PLURAL, "-n", NAMESPACE, "--chunk-size=200", "-o", f"jsonpath={READY}")
    result = kubectl(*args, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(kubectl.describe(args, result))
    seen = {}
    for line in result.stdout.splitlines():
        name, version, observed, generation, *ready = line.split(" ")
        when = None
        if ready[:1] == ["True"] and observed == generation and len(ready) > 1:
            when = datetime.fromisoformat(ready[1].replace("Z", "+00:00")).timestamp()
        seen[name] = Seen(version, when)
    return seen


def ready_count(seen: dict[str, Seen]) -> int:
    return sum(1 for s in seen.values() if s.ready_at is not None)


def manifests(count: int, instances: int, subscriptions: int) -> list[dict[str, Any]]:
    base = example("rolling-web-tier")
    made = []
    for i in range(count):
        subscription = f"00000000-0000-0000-0000-{i % subscriptions + 1:012d}"
        manifest = with_name(base, f"vmss-{i:05d}", **{"sku.capacity": instances, "azure.subscriptionId": subscription})
        made.append(manifest)
    return made


def create_all(api: client.CustomObjectsApi, objects: list[dict[str, Any]]) -> tuple[float, float]:
    """Create through the API as fast as a client reasonably can (8 connections): (start, end), wall
    clock (the Ready times come from status timestamps)."""
    start = time.time()

    def create(body: dict[str, Any]) -> None:
        api.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, objects))
    return start, time.time()


def simulator_footprint_mb(count: int, instances: int) -> float:
    """What the fake backend's simulator holds for ``count`` scale sets of ``instances`` (measured here
    by building the same cloud: the operator's RSS includes it)."""
    from scaleset_operator.api.scaleset import ScaleSetSpec
    from scaleset_operator.cloud.desired import desired_model, scale_set_key
    from scaleset_operator.simulator.clock import ManualClock
    from scaleset_operator.simulator.engine import SimulatedCloud

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    clock = ManualClock()
    cloud = SimulatedCloud(clock)
    for manifest in manifests(count, instances, 1):
        spec = ScaleSetSpec.model_validate(manifest["spec"])
        cloud.apply(scale_set_key(spec, manifest["metadata"]["name"]), desired_model(spec), instances)
    clock.advance(3600)
    for key in cloud.scale_set_keys():
        cloud.get(key)
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del cloud
    return size / 2**20


# -- processes ----------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: SIGTERM this child when the benchmark dies, however it ends (PR_SET_PDEATHSIG)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@contextlib.contextmanager
def noop_operator(plane: ControlPlane) -> Iterator[subprocess.Popen[bytes]]:
    (port,) = allocate_ports(1)
    env = {**os.environ, "KUBECONFIG": str(plane.kubeconfig)}
    log = open(plane.work_dir / "noop-operator.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.noop_operator", "--namespace", NAMESPACE, "--liveness-port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        deadline = time.monotonic() + 60
        while not http_ok(f"http://127.0.0.1:{port}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the no-op operator did not start; see {log.name}")
            time.sleep(0.2)
        yield process
    finally:
        terminate_process_group(process.pid)
        log.close()


@contextlib.contextmanager
def operators(
    plane: ControlPlane, shards: int, workers: int, log_dir: Path | None
) -> Iterator[list[tuple[OperatorProcess, str]]]:
    """The operator, or one process per shard: (process, its metrics URL)."""
    with contextlib.ExitStack() as stack:
        running = []
        for index in range(shards):
            (metrics_port,) = allocate_ports(1)
            args = ["--metrics-port", str(metrics_port), "--workers", str(workers)]
            if shards > 1:
                args += ["--shard", f"{index}/{shards}", "--lease-namespace", NAMESPACE, "--lease-name", "bench"]
            op = stack.enter_context(
                operator_process(plane, speed=1.0, namespaces=[NAMESPACE], extra_args=args, log_dir=log_dir)
            )
            running.append((op, f"http://127.0.0.1:{metrics_port}/metrics"))
        yield running


# -- the run ------------------------------------------------------------------------------------------


@dataclass
class Figures:
    scalesets: int
    instances: int
    shards: int
    subscriptions: int
    api_seconds: float = 0.0
    provisioning: float = 0.0
    create_to_ready: float = 0.0
    idle_seconds: float = 0.0
    rss: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    noop_rss: float = 0.0
    noop_cpu: float = 0.0
    simulator_mb: float = 0.0
    idle_changes: int = 0
    idle_reads: int = 0
    idle_writes: int = 0
    intervals: dict[str, float] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)
    busy: Work = field(default_factory=Work)
    noop_busy_cpu: float = 0.0

    @property
    def ratio(self) -> float:
        return self.create_to_ready / (self.api_seconds + self.provisioning)


def run(
    plane: ControlPlane,
    kubectl: Kubectl,
    *,
    scalesets: int,
    instances: int,
    shards: int = 1,
    subscriptions: int = 1,
    idle: float = 60.0,
    settle: float = 20.0,
    workers: int = 32,
    log_dir: Path | None = None,
) -> Figures:
    figures = Figures(scalesets, instances, shards, subscriptions)
    durations = Durations()
    figures.provisioning = durations.create + durations.health_delay
    kubectl("create", "namespace", NAMESPACE)
    api = client.CustomObjectsApi(config.new_client_from_config(config_file=str(plane.kubeconfig)))
    with noop_operator(plane) as noop, operators(plane, shards, workers, log_dir) as running:
        before, noop_before = Work.now(running), cpu_seconds(noop.pid)
        start, end = create_all(api, manifests(scalesets, instances, subscriptions))
        figures.api_seconds = end - start
        deadline = time.monotonic() + figures.provisioning * 20 + 300
        seen = listing(kubectl)
        while ready_count(seen) < scalesets and time.monotonic() < deadline:
            time.sleep(3)
            seen = listing(kubectl)
        if ready_count(seen) < scalesets:
            raise RuntimeError(f"only {ready_count(seen)} of {scalesets} ScaleSets became Ready")
        figures.create_to_ready = max(s.ready_at or 0.0 for s in seen.values()) + 1.0 - start  # seconds resolution
        figures.busy = Work.now(running).since(before)
        figures.noop_busy_cpu = cpu_seconds(noop.pid) - noop_before
        time.sleep(settle)  # the last busy passes finish; what follows is the idle fleet
        measure_idle(figures, running, noop, kubectl, idle)
    figures.simulator_mb = simulator_footprint_mb(scalesets // shards, instances)
    return figures


def measure_idle(
    figures: Figures,
    running: list[tuple[OperatorProcess, str]],
    noop: subprocess.Popen[bytes],
    kubectl: Kubectl,
    idle: float,
) -> None:
    pids = [op.pid for op, _ in running]
    versions = {name: seen.resource_version for name, seen in listing(kubectl).items()}
    calls_before = [admin(op.admin_url or "", "/calls")["total"] for op, _ in running]
    cpu_before = [cpu_seconds(pid) for pid in pids]
    noop_before = cpu_seconds(noop.pid)
    start = time.monotonic()
    time.sleep(idle)
    end = time.monotonic()
    figures.idle_seconds = end - start
    figures.cpu = [
        100 * (cpu_seconds(pid) - before) / (end - start) for pid, before in zip(pids, cpu_before, strict=True)
    ]
    figures.noop_cpu = 100 * (cpu_seconds(noop.pid) - noop_before) / (end - start)
    figures.rss = [rss_mb(pid) for pid in pids]
    figures.noop_rss = rss_mb(noop.pid)
    for (op, _), before in zip(running, calls_before, strict=True):
        calls = admin(op.admin_url or "", "/calls")["total"]
        figures.idle_reads += calls["byOperation"].get("get", 0) - before["byOperation"].get("get", 0)
        figures.idle_writes += calls["writes"] - before["writes"]
    listed = listing(kubectl)  # a change in the window moved a resourceVersion
    figures.idle_changes = sum(1 for name, seen in listed.items() if versions.get(name) != seen.resource_version)
    figures.intervals = metric(running[0][1], "scaleset_subscription_resync_interval_seconds")
    figures.counts = metric(running[0][1], "scaleset_subscription_scalesets")


# -- the report ---------------------------------------------------------------------------------------


def report(f: Figures) -> str:
    per = "per shard " if f.shards > 1 else ""
    rss = ", ".join(f"{r:.0f}" for r in f.rss)
    cpu = ", ".join(f"{c:.2f}" for c in f.cpu)
    ideal = f.api_seconds + f.provisioning
    lines = [
        f"fleet: {f.scalesets} ScaleSets x {f.instances} instances, {f.shards} operator process(es), "
        f"{f.subscriptions} subscription(s), fake backend at real-time speed, local control plane",
        f"create-to-Ready      {f.create_to_ready:.1f} s vs ideal {ideal:.1f} s (API create {f.api_seconds:.1f} s"
        f" + provisioning {f.provisioning:.0f} s): ratio {f.ratio:.2f}   [target <= 1.3]",
        f"resident memory      operator {per}{rss} MB (its simulator holds ~{f.simulator_mb:.0f} MB of that); "
        f"no-op kopf {f.noop_rss:.0f} MB   [target <= 250 MB]",
        f"idle CPU ({f.idle_seconds:.0f} s)      operator {per}{cpu} %; no-op kopf {f.noop_cpu:.2f} %   [target <= 2%]",
        f"idle writes          {f.idle_changes} ScaleSets changed; backend: {f.idle_writes} writes, "
        f"{f.idle_reads} observations ({f.idle_reads * 60 / f.idle_seconds:.0f}/min)   [target 0 writes]",
    ]
    lines += azure_model(f)
    busy = f.busy
    lines.append(
        f"until Ready          operator CPU {busy.cpu:.0f} s ({100 * busy.cpu / f.create_to_ready:.0f}% of a core), "
        f"{busy.passes:.0f} passes, {busy.writes:.0f} status writes, scheduler lag busy {busy.mean_lag('busy'):.2f} s"
        f" / idle {busy.mean_lag('idle'):.2f} s; no-op kopf CPU {f.noop_busy_cpu:.0f} s"
    )
    return "\n".join(lines)


def azure_model(f: Figures) -> list[str]:
    high = SUBSCRIPTION_LIMITS["high_cost_get"].per_minute
    low = SUBSCRIPTION_LIMITS["low_cost_get"].per_minute
    cost = observation_cost(f.instances)
    lines = []
    for subscription, interval in sorted(f.intervals.items()):
        count = f.counts.get(subscription, 0)
        resync = max(interval, 30.0)  # the planner's own idle resync is the floor
        per_minute = count * 60 / resync
        lists = per_minute * cost["high_cost_get"]
        lines.append(
            f"Azure call model     subscription {subscription}: {count:.0f} ScaleSets, idle resync {resync:.0f} s"
            f" -> {lists:.0f} VM lists/min ({lists / high:.0%} of {high:.0f}) + {per_minute:.0f} scale set GETs/min"
            f" ({per_minute / low:.1%} of {low:.0f})"
        )
    measured = f.idle_reads * 60 / f.idle_seconds / max(1, f.subscriptions)
    lines.append(f"                     measured in the idle window: {measured:.0f} observations/min per subscription")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scalesets", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle measurement")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--logs", type=Path, help="keep the operators' logs in this directory")
    args = parser.parse_args(argv)
    with cluster() as (plane, kubectl):
        figures = run(
            plane,
            kubectl,
            scalesets=args.scalesets,
            instances=args.instances,
            shards=args.shards,
            subscriptions=args.subscriptions,
            idle=args.idle,
            workers=args.workers,
            log_dir=args.logs,
        )
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
