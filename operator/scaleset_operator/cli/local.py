"""``scaleset-operator local up | down | status``: a local Kubernetes control plane in the background.

``up`` starts etcd + kube-apiserver detached (they outlive the command) and prints where the admin
kubeconfig is, as lines a shell can ``eval``::

    eval "$(scaleset-operator local up)"     # sets KUBECONFIG; the comment lines are ignored
    kubectl get namespaces
    scaleset-operator local down

State (pids, ports, certs, etcd data, logs) lives in ``$SCALESET_LOCAL_DIR`` or ``./.cache/local``;
``--dir`` overrides both. ``status`` exits 0 when running and 3 when stopped (like ``systemctl``),
so scripts can test it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from scaleset_operator.localcp.assets import AssetsNotFoundError
from scaleset_operator.localcp.controlplane import ControlPlaneError
from scaleset_operator.localcp.local_cluster import (
    LocalClusterState,
    default_state_dir,
    local_cluster_down,
    local_cluster_status,
    local_cluster_up,
)

EXIT_STOPPED = 3


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local",
        help="run a local kube-apiserver + etcd in the background (up | down | status)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="state directory (default: $SCALESET_LOCAL_DIR, else ./.cache/local)",
    )
    actions = parser.add_subparsers(dest="local_command", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="start the local control plane unless it is running")
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for readiness")
    up.set_defaults(func=run_up)
    down = actions.add_parser("down", help="stop it; no etcd or kube-apiserver is left running")
    down.set_defaults(func=run_down)
    status = actions.add_parser("status", help="print running/stopped and the endpoint")
    status.set_defaults(func=run_status)


def _state_dir(args: argparse.Namespace) -> Path:
    given: Path | None = args.dir
    return given.expanduser().resolve() if given is not None else default_state_dir()


def _print_access(state: LocalClusterState, headline: str) -> None:
    print(f"# {headline}")
    print(f"# kubeconfig: {state.kubeconfig}")
    print(f"export KUBECONFIG={shlex.quote(state.kubeconfig)}")


def run_up(args: argparse.Namespace) -> int:
    try:
        result = local_cluster_up(_state_dir(args), startup_timeout=args.timeout)
    except (AssetsNotFoundError, ControlPlaneError) as exc:
        print(f"scaleset-operator local up: {exc}", file=sys.stderr)
        return 1
    state = result.state
    if result.already_running:
        headline = f"local control plane already running at {state.server} (state in {state.state_dir})"
    else:
        headline = (
            f"local control plane started at {state.server} in {state.startup_seconds:.1f}s "
            f"(state in {state.state_dir})"
        )
    _print_access(state, headline)
    return 0


def run_down(args: argparse.Namespace) -> int:
    state = local_cluster_down(_state_dir(args))
    if state is None:
        print("local control plane was not running")
    else:
        pids = ", ".join(f"{name} {pid}" for name, pid in state.pids.items())
        print(f"stopped local control plane at {state.server} ({pids})")
    return 0


def run_status(args: argparse.Namespace) -> int:
    status = local_cluster_status(_state_dir(args))
    if not status.running or status.state is None:
        print(status.detail)
        return EXIT_STOPPED
    state = status.state
    pids = ", ".join(f"{name} {pid}" for name, pid in state.pids.items())
    print(status.detail)
    print(f"  kubeconfig: {state.kubeconfig}")
    print(f"  pids: {pids}")
    return 0 if status.ready else 1
