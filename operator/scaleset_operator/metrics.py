"""Prometheus metrics: what the operator does, how long it takes, and what it sees.

All names start with ``scaleset_``; see docs/metrics.md. Recording is imperative-shell work: the
reconciler and the metered backend call these, the planner never does.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from scaleset_operator.api.status import ScaleSetStatus

REGISTRY = CollectorRegistry(auto_describe=True)

RECONCILE_SECONDS = Histogram(
    "scaleset_reconcile_duration_seconds",
    "Duration of one reconcile pass (observe, plan, write status, act).",
    ["result"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
BACKEND_CALLS = Counter(
    "scaleset_backend_calls_total",
    "Backend calls by backend, operation and outcome (ok or the error code).",
    ["backend", "operation", "outcome"],
    registry=REGISTRY,
)
BACKEND_SECONDS = Histogram(
    "scaleset_backend_call_duration_seconds",
    "Duration of backend calls.",
    ["backend", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
THROTTLE_WAIT_SECONDS = Counter(
    "scaleset_throttle_wait_seconds_total",
    "Seconds the operator waited because of throttling (Azure 429 Retry-After, or its own budget).",
    ["code"],
    registry=REGISTRY,
)
STATUS_WRITES = Counter(
    "scaleset_status_writes_total", "Status patches sent to the API server.", ["kind"], registry=REGISTRY
)
ROLLOUT_PROGRESS = Gauge(
    "scaleset_rollout_instances",
    "Instances of the current (or last) rollout by progress state.",
    ["namespace", "name", "kind", "state"],
    registry=REGISTRY,
)
ROLLOUT_ACTIVE = Gauge(
    "scaleset_rollout_active", "1 while a rollout is in progress.", ["namespace", "name"], registry=REGISTRY
)
INSTANCES = Gauge(
    "scaleset_instances",
    "Instances by provisioning state, health state and whether they run the latest model.",
    ["namespace", "name", "provisioning_state", "health_state", "latest_model"],
    registry=REGISTRY,
)
REPLICAS = Gauge(
    "scaleset_replicas",
    "Desired, current, ready and up-to-date replicas.",
    ["namespace", "name", "kind"],
    registry=REGISTRY,
)
SCHEDULER_KEYS = Gauge(
    "scaleset_scheduler_keys",
    "ScaleSets in the scheduler by state: running a pass, due and waiting for a worker, or scheduled later.",
    ["state"],
    registry=REGISTRY,
)
SCHEDULER_LAG_SECONDS = Histogram(
    "scaleset_scheduler_lag_seconds",
    "How late a pass started after it was due, by priority (busy ScaleSets are served first).",
    ["priority"],
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
SUBSCRIPTION_SCALESETS = Gauge(
    "scaleset_subscription_scalesets",
    "ScaleSets per subscription, all shards together (every shard watches them all).",
    ["subscription"],
    registry=REGISTRY,
)
SUBSCRIPTION_RESYNC_SECONDS = Gauge(
    "scaleset_subscription_resync_interval_seconds",
    "Idle resync interval of the subscription's ScaleSets, stretched so idle reads stay within the read share.",
    ["subscription"],
    registry=REGISTRY,
)
SUBSCRIPTION_BUDGET_CALLS = Counter(
    "scaleset_subscription_budget_calls_total",
    "Azure calls taken from the subscription's budget, by Compute budget kind.",
    ["subscription", "kind"],
    registry=REGISTRY,
)
SUBSCRIPTION_BUDGET_REMAINING = Gauge(
    "scaleset_subscription_budget_remaining",
    "Tokens left in this process's share of the subscription's bucket, by Compute budget kind.",
    ["subscription", "kind"],
    registry=REGISTRY,
)
SUBSCRIPTION_BUDGET_WAITS = Counter(
    "scaleset_subscription_budget_waits_total",
    "Calls the subscription's budget refused (the ScaleSet waits; status says SubscriptionBudget).",
    ["subscription", "kind"],
    registry=REGISTRY,
)
SUBSCRIPTION_BUDGET_WAIT_SECONDS = Counter(
    "scaleset_subscription_budget_wait_seconds_total",
    "Seconds of waiting the subscription's budget asked for, summed over refused calls.",
    ["subscription", "kind"],
    registry=REGISTRY,
)


def serve(port: int, host: str = "127.0.0.1") -> None:
    start_http_server(port, addr=host, registry=REGISTRY)


_INSTANCE_SERIES: dict[tuple[str, str], set[tuple[str, str, str, str, str]]] = {}
"""The ``scaleset_instances`` label sets set per ScaleSet: forgetting one ScaleSet's series must not
scan every series of the fleet (that made each pass cost O(fleet))."""


def observe_status(namespace: str, name: str, desired: int, status: ScaleSetStatus) -> None:
    """Refresh the per-ScaleSet gauges from the status just computed."""
    for kind, value in (
        ("desired", desired),
        ("current", status.replicas),
        ("ready", status.readyReplicas),
        ("updated", status.updatedReplicas),
    ):
        REPLICAS.labels(namespace, name, kind).set(value)
    counts: dict[tuple[str, str, str, str, str], int] = {}
    for instance in status.instances:
        key = (namespace, name, instance.provisioningState, instance.healthState)
        labels = (*key, str(instance.latestModelApplied).lower())
        counts[labels] = counts.get(labels, 0) + 1
    series = _INSTANCE_SERIES.setdefault((namespace, name), set())
    for stale in series - set(counts):
        INSTANCES.remove(*stale)
    for labels, count in counts.items():
        INSTANCES.labels(*labels).set(count)
    series.clear()
    series.update(counts)
    rolling = status.rollingUpgrade
    ROLLOUT_ACTIVE.labels(namespace, name).set(1 if status.rollout is not None else 0)
    if rolling is not None:
        p = rolling.progress
        for state, value in (
            ("successful", p.successfulInstanceCount),
            ("failed", p.failedInstanceCount),
            ("inProgress", p.inProgressInstanceCount),
            ("pending", p.pendingInstanceCount),
        ):
            ROLLOUT_PROGRESS.labels(namespace, name, rolling.kind, state).set(value)


def forget_instances(namespace: str, name: str) -> None:
    for labels in _INSTANCE_SERIES.pop((namespace, name), set()):
        INSTANCES.remove(*labels)


def forget(namespace: str, name: str) -> None:
    """A deleted ScaleSet leaves no stale series behind."""
    forget_instances(namespace, name)
    for gauge in (ROLLOUT_PROGRESS, REPLICAS, ROLLOUT_ACTIVE):
        for labels in list(gauge._metrics):
            if labels[0] == namespace and labels[1] == name:
                gauge.remove(*labels)
