"""Starting the ARM-compatible endpoint: HTTPS for the SDK, plus the admin routes on plain HTTP.

``start_arm_endpoint`` runs both in the current event loop over one ``SimulatedCloud``: the same
engine the fake backend uses, so behaviour matches between backends by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from scaleset_operator.simulator.admin_server import create_app
from scaleset_operator.simulator.arm.admin import add_arm_admin_routes
from scaleset_operator.simulator.arm.app import create_arm_app
from scaleset_operator.simulator.arm.auth import AuthSettings
from scaleset_operator.simulator.arm.state import ArmSettings, ArmState
from scaleset_operator.simulator.arm.tls import ServerPki, generate_pki
from scaleset_operator.simulator.engine import SimulatedCloud


@dataclass
class ArmEndpoint:
    state: ArmState
    pki: ServerPki
    url: str
    """The ARM base URL to give the SDK (``base_url``), e.g. ``https://127.0.0.1:8443``."""
    admin_url: str | None
    runners: list[web.AppRunner]

    @property
    def ca_path(self) -> Path:
        return self.pki.ca_path

    async def close(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()
        self.runners.clear()


def _port(runner: web.AppRunner) -> int:
    return int(runner.addresses[0][1])


def _host_for_url(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def start_arm_endpoint(
    cloud: SimulatedCloud,
    state_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    admin_host: str = "127.0.0.1",
    admin_port: int | None = None,
    settings: ArmSettings | None = None,
    auth: AuthSettings | None = None,
    names: list[str] | None = None,
) -> ArmEndpoint:
    """Serve ARM on ``https://host:port`` (0 picks a free port) and, unless ``admin_port`` is None,
    the engine's admin routes plus ``/arm/*`` on ``http://admin_host:admin_port``."""
    state = ArmState(cloud, settings, auth)
    pki = generate_pki(state_dir, names=[host, *(names or [])] if host not in ("0.0.0.0", "::", "") else names)
    runners: list[web.AppRunner] = []
    arm_runner = web.AppRunner(create_arm_app(state), access_log=None)
    await arm_runner.setup()
    runners.append(arm_runner)
    try:
        await web.TCPSite(arm_runner, host, port, ssl_context=pki.server_context()).start()
        url = f"https://{_host_for_url(host)}:{_port(arm_runner)}"
        admin_url = None
        if admin_port is not None:
            admin_app = create_app(cloud)
            add_arm_admin_routes(admin_app, state)
            admin_runner = web.AppRunner(admin_app, access_log=None)
            await admin_runner.setup()
            runners.append(admin_runner)
            await web.TCPSite(admin_runner, admin_host, admin_port).start()
            admin_url = f"http://{_host_for_url(admin_host)}:{_port(admin_runner)}"
    except BaseException:
        for runner in reversed(runners):
            await runner.cleanup()
        raise
    return ArmEndpoint(state=state, pki=pki, url=url, admin_url=admin_url, runners=runners)
