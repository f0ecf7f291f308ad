"""``scaleset-operator simulator``: the ARM-compatible endpoint, for the Azure backend without Azure.

Starts the simulator engine behind an HTTPS endpoint that speaks the Compute REST API (a test CA
and server certificate are generated into the state directory at start; the CA bundle path is
printed), plus the engine's admin routes on plain HTTP (default ``127.0.0.1:8089``, so
``scaleset-operator sim ...`` works unchanged). Then, in another shell::

    export SCALESET_AZURE_CREDENTIAL=static SCALESET_AZURE_TOKEN=anything
    scaleset-operator run --backend azure --azure-base-url https://127.0.0.1:8443 \\
        --azure-ca-bundle .cache/arm-simulator/ca.pem

It never imports the Azure SDK; the operator's Azure backend is the only client that does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import signal
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8443
DEFAULT_ADMIN_PORT = 8089
STATE_ENV = "SCALESET_ARM_SIM_DIR"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulator",
        help="run the ARM-compatible simulator endpoint (HTTPS) for --backend azure",
        description="Serve the simulator over Azure's Compute REST API (HTTPS, test CA) plus its admin routes.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="ARM endpoint address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"ARM endpoint port (default {DEFAULT_PORT})")
    parser.add_argument("--admin-host", default="127.0.0.1")
    parser.add_argument(
        "--admin-port",
        type=int,
        default=DEFAULT_ADMIN_PORT,
        help=f"admin endpoint for 'scaleset-operator sim' (default {DEFAULT_ADMIN_PORT}; -1 disables)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"where the test CA and certificate go (default: ${STATE_ENV}, else ./.cache/arm-simulator)",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument(
        "--token",
        default=None,
        help="accept only this bearer token (default: any token); prefer $SCALESET_ARM_SIM_TOKEN",
    )
    parser.add_argument(
        "--poll-retry-after", type=int, default=1, help="Retry-After seconds sent with long-running operations"
    )
    parser.add_argument("--page-size", type=int, default=100, help="VMs per page of the VM list")
    parser.add_argument("--name", action="append", default=[], help="extra DNS name or IP for the certificate")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.set_defaults(func=run)


def _state_dir(args: argparse.Namespace) -> Path:
    given: Path | None = args.state_dir
    if given is None:
        given = Path(os.environ.get(STATE_ENV) or ".cache/arm-simulator")
    return given.expanduser().resolve()


async def _serve(args: argparse.Namespace) -> None:
    from scaleset_operator.simulator.arm import ArmSettings, start_arm_endpoint
    from scaleset_operator.simulator.arm.auth import AuthSettings
    from scaleset_operator.simulator.clock import ScaledClock
    from scaleset_operator.simulator.engine import SimulatedCloud

    cloud = SimulatedCloud(ScaledClock(speed=args.speed))
    token = args.token or os.environ.get("SCALESET_ARM_SIM_TOKEN") or None
    endpoint = await start_arm_endpoint(
        cloud,
        _state_dir(args),
        host=args.host,
        port=args.port,
        admin_host=args.admin_host,
        admin_port=None if args.admin_port < 0 else args.admin_port,
        settings=ArmSettings(poll_retry_after=args.poll_retry_after, page_size=args.page_size),
        auth=AuthSettings(token=token),
        names=args.name,
    )
    try:
        print(f"ARM endpoint:  {endpoint.url}")
        print(f"CA bundle:     {endpoint.ca_path}")
        if endpoint.admin_url:
            print(f"admin:         {endpoint.admin_url}   (scaleset-operator sim --url {endpoint.admin_url} ...)")
        print(f"clock speed:   {args.speed:g} simulated seconds per second")
        print("# run the operator against it:")
        print(f"export SCALESET_AZURE_CREDENTIAL=static SCALESET_AZURE_TOKEN={shlex.quote(token or 'simulator')}")
        print(
            f"scaleset-operator run --backend azure --azure-base-url {endpoint.url} "
            f"--azure-ca-bundle {shlex.quote(str(endpoint.ca_path))}",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await endpoint.close()


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(f"cannot start the simulator endpoint: {exc}")
        return 1
    return 0
