"""Starting the operator: pick the backend and clock, then run kopf with our handlers.

The entry point is one of the two places allowed to import kopf (handlers are the other).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from scaleset_operator import kube, metrics
from scaleset_operator.backends.metered import MeteredBackend
from scaleset_operator.backends.protocol import Backend
from scaleset_operator.fleet import ABOUT, Fleet
from scaleset_operator.pacing import DEFAULT_IDLE_READ_SHARE, ResyncPacing
from scaleset_operator.planner.simulated_time import SimulatedClock
from scaleset_operator.reconciler import Reconciler
from scaleset_operator.sharding import ShardGate, ShardSpec, always_active, peering_active

log = logging.getLogger(__name__)

LOG_FORMATS = ("text", "json")


def _with_logger_name(record: logging.LogRecord) -> bool:
    record.logger = record.name  # JSON logs carry record attributes that are not the standard ones
    return True


def _about_the_pass(record: logging.LogRecord) -> bool:
    """A line logged during a ScaleSet's pass names the ScaleSet, like kopf's per-object lines."""
    if not hasattr(record, "k8s_ref"):
        about = ABOUT.get()
        if about is not None:
            record.k8s_ref = about
    return True


def configure_logging(log_format: str = "text", verbose: bool = False) -> None:
    """kopf's own formatters, so messages about an object say which one.

    ``text``: ``[time] logger [LEVEL] [namespace/name] message``, for people. ``json``: one object
    per line with ``message``, ``severity``, ``timestamp``, ``logger`` and, for messages about a
    Kubernetes object, ``object`` (apiVersion, kind, namespace, name, uid), for log pipelines.
    """
    if log_format == "json":
        kopf.configure(verbose=verbose, log_format=kopf.LogFormat.JSON, log_refkey="object")
        for handler in logging.getLogger().handlers:
            handler.addFilter(_with_logger_name)
    else:
        kopf.configure(verbose=verbose, log_format=kopf.LogFormat.FULL, log_prefix=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_about_the_pass)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


@dataclass
class OperatorConfig:
    backend: str = "fake"
    namespaces: list[str] = field(default_factory=list)
    """Namespaces to watch; empty means cluster-wide."""
    kubeconfig: str | None = None
    speed: float = 1.0
    """Simulator only: simulated seconds per real second."""
    admin_host: str = "127.0.0.1"
    admin_port: int = 8089
    standalone: bool = True
    peering: str | None = None
    priority: int = 0
    liveness_port: int | None = None
    liveness_host: str = "127.0.0.1"
    """Address kopf's /healthz binds (the chart binds the pod's addresses: the kubelet probes the pod IP)."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port (docs/metrics.md)."""
    metrics_host: str = "127.0.0.1"
    """Address the metrics endpoint binds (the chart binds the pod's addresses, for its Service)."""
    hash_key_secret: str | None = None
    """NAMESPACE/NAME of the Secret holding the hash key (created if missing); None: see
    ``hash_key_location``."""
    azure_base_url: str | None = None
    """Azure only: ARM endpoint (None: Azure public cloud); the simulator's URL for a local run."""
    azure_ca_bundle: str | None = None
    """Azure only: CA bundle to trust for ``azure_base_url`` (the simulator prints its path)."""
    azure_credential: str | None = None
    """Azure only: default|secret|certificate|managed-identity|static (None: $SCALESET_AZURE_CREDENTIAL,
    else default); secrets come from the AZURE_* environment variables."""
    azure_subscription_id: str | None = None
    """Azure only: subscription for listing platform image versions (None: $AZURE_SUBSCRIPTION_ID)."""
    workers: int = 32
    """Reconcile passes in flight at once (busy ScaleSets first); mostly waiting on the API server or
    Azure, so more than the cores."""
    idle_read_share: float = DEFAULT_IDLE_READ_SHARE
    """Share of each subscription's Compute read budget that idle resyncs may use (pacing.py)."""
    shard: ShardSpec | None = None
    """``--shard I/N``: act only on this shard's ScaleSets, under a Lease (sharding.py)."""
    lease_namespace: str | None = None
    """Where the shards' Leases live (None: $POD_NAMESPACE, else the first watched namespace, else default)."""
    lease_name: str | None = None
    """Lease name prefix (None: the peering name, else scaleset-operator); leases are <prefix>-shard-<I>."""
    lease_duration: float = 15.0

    @property
    def leased(self) -> bool:
        """Sharded or peered: act only under a lease (with kopf peering, a paused replica must not act)."""
        return self.shard is not None or self.peering is not None

    @property
    def shard_spec(self) -> ShardSpec:
        return self.shard if self.shard is not None else ShardSpec(0, 1)


@dataclass(frozen=True)
class Clocks:
    """The policy clock the planner decides with, and (simulator only) how it reads on the wall."""

    now: Callable[[], datetime]
    time_scale: float = 1.0
    simulated: Callable[[], SimulatedClock] | None = None


async def _fake_backend(config: OperatorConfig, memo: kopf.Memo) -> tuple[Backend, Clocks]:
    from scaleset_operator.backends.fake import FakeBackend
    from scaleset_operator.simulator.admin_server import start_admin_server
    from scaleset_operator.simulator.clock import ScaledClock
    from scaleset_operator.simulator.engine import SimulatedCloud

    clock = ScaledClock(speed=config.speed)
    cloud = SimulatedCloud(clock)
    memo.cloud = cloud
    if config.admin_port:
        memo.admin_runner = await start_admin_server(cloud, config.admin_host, config.admin_port)
        log.info("simulator admin endpoint on http://%s:%d", config.admin_host, config.admin_port)

    def simulated() -> SimulatedClock:
        origin, wall_origin = clock.anchor()
        return SimulatedClock(origin, wall_origin, config.speed)

    return FakeBackend(cloud), Clocks(clock.now, config.speed, simulated)


async def _azure_backend(config: OperatorConfig, memo: kopf.Memo) -> tuple[Backend, Clocks]:
    import os

    from scaleset_operator.backends.azure import AzureBackend, AzureConfig, CallBudget, CredentialConfig

    try:
        azure = AzureConfig(
            base_url=config.azure_base_url,
            ca_bundle=config.azure_ca_bundle,
            credential=CredentialConfig.from_env(kind=config.azure_credential),
            default_subscription_id=config.azure_subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID") or None,
            user_agent=f"shard/{config.shard}" if config.shard is not None else None,
        )
        budget = CallBudget(subscription_share=1 / config.shard_spec.count)
        backend = AzureBackend.from_config(azure, budget=budget)
    except ValueError as exc:
        raise SystemExit(f"--backend azure: {exc}") from None
    memo.azure_stats = backend.stats
    # azure-core logs every request's headers at INFO; the backend counts calls instead.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    log.info("Azure backend: %s (credential %s)", azure.base_url or "Azure public cloud", azure.credential.kind)
    return backend, Clocks(lambda: datetime.now(UTC))


HASH_KEY_SECRET_NAME = "scaleset-operator-hash-key"
SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def hash_key_location(config: OperatorConfig) -> tuple[str, str]:
    """Where the hash key Secret lives: ``--hash-key-secret``, else ``scaleset-operator-hash-key`` in
    the operator's own namespace ($POD_NAMESPACE, the service account's namespace in a pod), else in
    the first watched namespace, else in ``default``."""
    if config.hash_key_secret:
        namespace, _, name = config.hash_key_secret.rpartition("/")
        if not namespace or not name:
            raise SystemExit(f"--hash-key-secret must be NAMESPACE/NAME, not {config.hash_key_secret!r}")
        return namespace, name
    import os
    from pathlib import Path

    namespace = os.environ.get("POD_NAMESPACE") or ""
    path = Path(SERVICE_ACCOUNT_NAMESPACE)
    if not namespace and path.is_file():
        namespace = path.read_text().strip()
    return namespace or (config.namespaces[0] if config.namespaces else "default"), HASH_KEY_SECRET_NAME


async def _hash_key(config: OperatorConfig) -> kube.HashKey:
    namespace, name = hash_key_location(config)
    try:
        key, created = await kube.load_hash_key(namespace, name)
    except kube.HashKeyError as exc:
        raise SystemExit(str(exc)) from None
    log.info("hash key %s from Secret %s/%s%s", key.key_id, namespace, name, " (created)" if created else "")
    return key


async def build_reconciler(config: OperatorConfig, memo: kopf.Memo) -> Reconciler:
    if config.backend == "fake":
        backend, clocks = await _fake_backend(config, memo)
    elif config.backend == "azure":
        backend, clocks = await _azure_backend(config, memo)
    else:
        raise SystemExit(f"unknown backend {config.backend!r}: use fake or azure")
    kube.load_config(config.kubeconfig, concurrency=config.workers + 4)  # + leases, peering, Secrets
    fingerprints = await _hash_key(config)
    if config.metrics_port:
        metrics.serve(config.metrics_port, config.metrics_host)
        log.info("metrics on %s:%d/metrics", config.metrics_host, config.metrics_port)
    # Azure: a VM list per pass; Compute allows ~10 a minute per scale set, so re-check a busy one every 6 s.
    floor = 6.0 if config.backend == "azure" else 0.2
    return Reconciler(
        backend=MeteredBackend(backend),
        kube=kube.KubeGateway(),
        clock=clocks.now,
        fingerprints=fingerprints,
        time_scale=clocks.time_scale,
        min_requeue_seconds=floor,
        simulated_clock=clocks.simulated,
    )


def build_fleet(config: OperatorConfig, reconciler: Reconciler, identity: str) -> Fleet:
    from scaleset_operator.handlers.scaleset import emitter

    gateway = reconciler.kube
    assert isinstance(gateway, kube.KubeGateway)
    fleet = Fleet(
        reconciler,
        gateway,
        emitter=emitter,
        pacing=ResyncPacing(share=config.idle_read_share),
        workers=config.workers,
    )
    if config.leased:
        gate = ShardGate(
            spec=config.shard_spec,
            store=kube.Leases(lease_namespace(config)),
            identity=identity,
            prefix=config.lease_name or config.peering or "scaleset-operator",
            duration=config.lease_duration,
            peering=peering_check(config, identity),
            on_change=fleet.regate,
        )
        fleet.gate = gate
        gate.start()
        log.info("shard %s: leases %s-shard-* in namespace %s", gate.spec, gate.prefix, lease_namespace(config))
    return fleet


def lease_namespace(config: OperatorConfig) -> str:
    import os

    return config.lease_namespace or os.environ.get("POD_NAMESPACE") or next(iter(config.namespaces), "default")


def peering_check(config: OperatorConfig, identity: str) -> Callable[[], Awaitable[bool]]:
    """Whether this replica is its kopf peering's active peer (always, without peering). Namespaced
    operators have a peering object per watched namespace; they must be active in all of them."""
    if config.peering is None:
        return always_active
    name = config.peering
    objects = (
        [kube.Peering(name, None)] if not config.namespaces else [kube.Peering(name, ns) for ns in config.namespaces]
    )

    async def active() -> bool:
        now = datetime.now(UTC)
        for peering in objects:
            if not peering_active(await peering.status(), identity, config.priority, now):
                return False
        return True

    return active


def own_identity() -> str:
    """This replica's name among its peers (kopf's convention: $POD_ID in a pod)."""
    import getpass
    import os
    import secrets
    import socket

    return (
        os.environ.get("POD_ID") or f"{getpass.getuser()}@{socket.gethostname()}/{os.getpid()}-{secrets.token_hex(2)}"
    )


def run(config: OperatorConfig) -> int:
    import scaleset_operator.handlers  # noqa: F401  (registers the handlers)

    memo = kopf.Memo()
    identity = own_identity()

    @kopf.on.startup()
    async def _start(memo: kopf.Memo, **kwargs: Any) -> None:
        memo.reconciler = await build_reconciler(config, memo)
        memo.fleet = build_fleet(config, memo.reconciler, identity)
        memo.fleet.operations = kwargs["operations_by_scaleset"]  # kopf passes indexes by name
        memo.started = datetime.now(UTC)

    @kopf.on.cleanup()
    async def _stop(memo: kopf.Memo, **_: Any) -> None:
        fleet = getattr(memo, "fleet", None)
        if fleet is not None:
            await fleet.scheduler.stop()
            if isinstance(fleet.gate, ShardGate):
                await fleet.gate.stop()  # after the passes: release the lease for the next holder
        runner = getattr(memo, "admin_runner", None)
        if runner is not None:
            await runner.cleanup()
        reconciler = getattr(memo, "reconciler", None)
        if reconciler is not None:
            await reconciler.backend.close()

    if config.kubeconfig:
        import os

        os.environ["KUBECONFIG"] = config.kubeconfig
    host = f"[{config.liveness_host}]" if ":" in config.liveness_host else config.liveness_host  # IPv6
    liveness = f"http://{host}:{config.liveness_port}/healthz" if config.liveness_port else None
    asyncio.run(
        kopf.operator(
            clusterwide=not config.namespaces,
            namespaces=config.namespaces,
            standalone=config.standalone and config.peering is None,
            peering_name=config.peering,
            priority=config.priority,
            identity=cast(Any, identity),  # kopf's Identity is a NewType of str
            liveness_endpoint=liveness,
            memo=memo,
        )
    )
    return 0
