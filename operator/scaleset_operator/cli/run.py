"""``scaleset-operator run``: run the operator against the current kubeconfig (or in a cluster)."""

from __future__ import annotations

import argparse
import os
from typing import Any


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
    parser.add_argument("--azure-base-url", help="azure: ARM endpoint (default Azure public cloud)")
    parser.add_argument("--azure-ca-bundle", help="azure: CA bundle for --azure-base-url (the simulator's ca.pem)")
    parser.add_argument(
        "--azure-credential",
        choices=["default", "secret", "certificate", "managed-identity", "static"],
        help="azure: credential kind (default $SCALESET_AZURE_CREDENTIAL, else default); secrets from AZURE_* env",
    )
    parser.add_argument("--azure-subscription-id", help="azure: subscription for listing platform image versions")
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("SCALESET_LOG_FORMAT") or "text",
        help="text for people, json (one object per line, with the Kubernetes object it is about) for "
        "log pipelines (default $SCALESET_LOG_FORMAT, else text)",
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.set_defaults(func=run)


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
    )
    return run_operator(config)
