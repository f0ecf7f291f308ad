"""``scaleset-operator run``: run the operator against the current kubeconfig (or in a cluster)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from scaleset_operator.sharding import ShardSpec


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run the operator")
    parser.add_argument("--backend", choices=["fake", "azure"], default="fake")
    parser.add_argument("--namespace", "-n", action="append", default=[], help="watch only these (repeatable)")
    parser.add_argument("--kubeconfig", help="defaults to $KUBECONFIG / ~/.kube/config, or in-cluster")
    parser.add_argument("--speed", type=float, default=1.0, help="simulator: simulated seconds per real second")
    parser.add_argument("--admin-host", default="127.0.0.1")
    parser.add_argument("--admin-port", type=int, default=8089, help="simulator admin endpoint (0 disables)")
    parser.add_argument("--peering", help="kopf peering name for active/standby replicas")
    parser.add_argument("--priority", type=int, default=0, help="kopf peering priority (distinct per replica)")
    parser.add_argument("--liveness-port", type=int, help="serve kopf's /healthz on this port")
    parser.add_argument(
        "--liveness-host", default="127.0.0.1", help="address /healthz binds (default 127.0.0.1; in a pod 0.0.0.0)"
    )
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port (/metrics)")
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", help="address /metrics binds (default 127.0.0.1; in a pod 0.0.0.0)"
    )
    parser.add_argument(
        "--hash-key-secret",
        metavar="NAMESPACE/NAME",
        help="Secret holding the key of the keyed secret fingerprints, created if missing (default "
        "scaleset-operator-hash-key in the operator's namespace, else the first watched one, else default)",
    )
    _azure_arguments(parser)
    _fleet_arguments(parser)
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("SCALESET_LOG_FORMAT") or "text",
        help="text for people, json (one object per line, with the Kubernetes object it is about) for "
        "log pipelines (default $SCALESET_LOG_FORMAT, else text)",
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.set_defaults(func=run)


def _azure_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--azure-base-url", help="azure: ARM endpoint (default Azure public cloud)")
    parser.add_argument("--azure-ca-bundle", help="azure: CA bundle for --azure-base-url (the simulator's ca.pem)")
    parser.add_argument(
        "--azure-credential",
        choices=["default", "secret", "certificate", "managed-identity", "static"],
        help="azure: credential kind (default $SCALESET_AZURE_CREDENTIAL, else default); secrets from AZURE_* env",
    )
    parser.add_argument("--azure-subscription-id", help="azure: subscription for listing platform image versions")


def _fleet_arguments(parser: argparse.ArgumentParser) -> None:
    """How a fleet is worked: passes in flight, the idle read budget, shards and their Leases."""
    parser.add_argument(
        "--workers",
        type=int,
        default=32,
        help="reconcile passes in flight at once, busy ScaleSets first (default 32; they mostly wait on the API "
        "server or Azure)",
    )
    parser.add_argument(
        "--idle-read-share",
        type=_share,
        default=0.5,
        help="share of each subscription's Compute read budget idle resyncs may use (default 0.5): the idle "
        "resync stretches with the number of ScaleSets in the subscription",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        help="I/N: this process acts only on the ScaleSets the stable hash gives shard I of N, under the Lease "
        "<lease-name>-shard-I (docs/sharding.md)",
    )
    parser.add_argument("--lease-namespace", help="namespace of the shard Leases (default $POD_NAMESPACE)")
    parser.add_argument("--lease-name", help="Lease name prefix (default: the peering name, else scaleset-operator)")
    parser.add_argument("--lease-duration", type=float, default=15.0, help="seconds a Lease lives unrenewed")


def _shard(text: str) -> ShardSpec:
    try:
        return ShardSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _share(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share in (0, 1]")
    return value


def run(args: argparse.Namespace) -> int:
    if args.kubeconfig:
        # Before kopf and the kubernetes client are imported: the client reads $KUBECONFIG at import.
        os.environ["KUBECONFIG"] = args.kubeconfig
    from scaleset_operator.runtime import OperatorConfig, configure_logging
    from scaleset_operator.runtime import run as run_operator

    configure_logging(args.log_format, verbose=args.verbose)
    config = OperatorConfig(
        backend=args.backend,
        namespaces=args.namespace,
        kubeconfig=args.kubeconfig,
        speed=args.speed,
        admin_host=args.admin_host,
        admin_port=args.admin_port,
        peering=args.peering,
        priority=args.priority,
        liveness_port=args.liveness_port,
        liveness_host=args.liveness_host,
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
        hash_key_secret=args.hash_key_secret,
        azure_base_url=args.azure_base_url,
        azure_ca_bundle=args.azure_ca_bundle,
        azure_credential=args.azure_credential,
        azure_subscription_id=args.azure_subscription_id,
        workers=args.workers,
        idle_read_share=args.idle_read_share,
        shard=args.shard,
        lease_namespace=args.lease_namespace,
        lease_name=args.lease_name,
        lease_duration=args.lease_duration,
    )
    return run_operator(config)
