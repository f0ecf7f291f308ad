"""The long-lived local cluster behind ``scaleset-operator local up | down | status``.

A :class:`ControlPlane` normally lives and dies with the Python process that owns it (tests). For
interactive use and ``make demo`` we want one that keeps running between commands, so ``up`` starts
a *detached* control plane and records what ``down`` and ``status`` need in ``state.json`` inside a
state directory:

- ``$SCALESET_LOCAL_DIR`` if set, else ``.cache/local/`` under the current directory (git-ignored
  with the rest of ``.cache``);
- the admin kubeconfig at a stable path, ``<state dir>/kubeconfig``, so ``export KUBECONFIG=...``
  stays valid across ``down``/``up`` (each ``up`` is a fresh cluster with a fresh CA; the file is
  rewritten in place).

A recorded pid is trusted only if ``/proc/<pid>/cmdline`` still shows the expected binary running
out of this state directory, so a stale ``state.json`` can never make ``down`` kill an unrelated
process that reused the pid.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from scaleset_operator.localcp.assets import find_assets, find_repo_root, pinned_versions
from scaleset_operator.localcp.controlplane import (
    ControlPlane,
    apiserver_ready,
    terminate_process_group,
)

__all__ = [
    "LocalClusterState",
    "LocalClusterStatus",
    "UpResult",
    "default_state_dir",
    "ensure_local_cluster",
    "local_cluster_down",
    "local_cluster_status",
    "local_cluster_up",
]

STATE_FILE = "state.json"


def default_state_dir() -> Path:
    """``$SCALESET_LOCAL_DIR``, else ``./.cache/local`` (absolute)."""
    configured = os.environ.get("SCALESET_LOCAL_DIR")
    return (Path(configured).expanduser() if configured else Path.cwd() / ".cache" / "local").resolve()


@dataclass(frozen=True)
class LocalClusterState:
    """What ``up`` recorded: enough to find, check and stop the detached processes."""

    state_dir: str
    server: str
    kubeconfig: str
    etcd_pid: int
    apiserver_pid: int
    etcd_client_port: int
    etcd_peer_port: int
    apiserver_port: int
    started_at: float
    startup_seconds: float
    versions: dict[str, str]

    @property
    def ports(self) -> tuple[int, int, int]:
        return (self.etcd_client_port, self.etcd_peer_port, self.apiserver_port)

    @property
    def pids(self) -> dict[str, int]:
        return {"etcd": self.etcd_pid, "kube-apiserver": self.apiserver_pid}


@dataclass(frozen=True)
class LocalClusterStatus:
    """``running``: both recorded processes alive; ``ready``: the API server answers ``/readyz``."""

    running: bool
    ready: bool
    state: LocalClusterState | None
    detail: str


@dataclass(frozen=True)
class UpResult:
    state: LocalClusterState
    already_running: bool


def _state_path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def _read_state(state_dir: Path) -> LocalClusterState | None:
    try:
        raw = json.loads(_state_path(state_dir).read_text())
        return LocalClusterState(**raw)
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def _write_state(state: LocalClusterState) -> None:
    path = _state_path(Path(state.state_dir))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
    tmp.replace(path)


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Serialise up/down on one state dir (two terminals running ``make demo`` at once)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _owns(pid: int, binary: str, state_dir: Path) -> bool:
    """True if ``pid`` is a live ``binary`` whose command line points into ``state_dir``."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    if state == b"Z" or not argv or not argv[0]:
        return False
    marker = f"{state_dir}{os.sep}".encode()
    return Path(argv[0].decode(errors="replace")).name == binary and any(marker in arg for arg in argv)


def _live_pids(state: LocalClusterState) -> dict[str, int]:
    state_dir = Path(state.state_dir)
    return {name: pid for name, pid in state.pids.items() if _owns(pid, name, state_dir)}


def local_cluster_status(state_dir: Path | None = None) -> LocalClusterStatus:
    """Report whether the local cluster recorded in ``state_dir`` is running and ready."""
    state_dir = (state_dir or default_state_dir()).resolve()
    state = _read_state(state_dir)
    if state is None:
        return LocalClusterStatus(False, False, None, f"stopped (no {STATE_FILE} in {state_dir})")
    live = _live_pids(state)
    if len(live) < 2:
        missing = sorted(set(state.pids) - set(live))
        return LocalClusterStatus(False, False, state, f"stopped ({', '.join(missing)} not running)")
    pki = state_dir / "pki"
    ready = apiserver_ready(state.apiserver_port, (pki / "ca.crt").read_bytes(), pki / "admin.crt", pki / "admin.key")
    detail = f"running at {state.server}" + ("" if ready else " (not ready: /readyz failed)")
    return LocalClusterStatus(True, ready, state, detail)


def _stop_recorded(state: LocalClusterState) -> dict[str, int]:
    """Stop whichever recorded processes are still ours; API server first. Returns what was stopped.

    The processes are not our children (``up`` has exited), so once dead they linger as zombies
    until init reaps them; we wait for that once, for both, at the end -- so ``pgrep`` right after
    ``down`` shows nothing -- rather than after each.
    """
    live = _live_pids(state)
    for name in ("kube-apiserver", "etcd"):
        if name in live:
            terminate_process_group(live[name])
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in live.values()):
        time.sleep(0.05)
    return live


def local_cluster_up(state_dir: Path | None = None, *, startup_timeout: float = 60.0) -> UpResult:
    """Start the detached local cluster unless it is already running and ready.

    A half-dead previous cluster (one process gone, or not ready) is stopped and replaced.
    """
    state_dir = (state_dir or default_state_dir()).resolve()
    with _locked(state_dir):
        current = local_cluster_status(state_dir)
        if current.running and current.ready and current.state is not None:
            return UpResult(current.state, already_running=True)
        if current.state is not None:
            _stop_recorded(current.state)
        assets = find_assets()
        root = find_repo_root()
        versions = pinned_versions(root) if root is not None else {}
        plane = ControlPlane(assets=assets, work_dir=state_dir, detached=True, startup_timeout=startup_timeout).start()
        ports = plane.ports
        pids = plane.pids
        state = LocalClusterState(
            state_dir=str(state_dir),
            server=plane.server,
            kubeconfig=str(plane.kubeconfig),
            etcd_pid=pids["etcd"],
            apiserver_pid=pids["kube-apiserver"],
            etcd_client_port=ports.etcd_client,
            etcd_peer_port=ports.etcd_peer,
            apiserver_port=ports.apiserver,
            started_at=time.time(),
            startup_seconds=plane.startup_seconds or 0.0,
            versions=versions,
        )
        _write_state(state)
        return UpResult(state, already_running=False)


def ensure_local_cluster(state_dir: Path | None = None, *, startup_timeout: float = 60.0) -> Path:
    """Make sure the local cluster is up and ready; return its admin kubeconfig path.

    The entry point for code that just needs *a* cluster (``make demo``): idempotent and cheap when
    the cluster is already running.
    """
    return Path(local_cluster_up(state_dir, startup_timeout=startup_timeout).state.kubeconfig)


def local_cluster_down(state_dir: Path | None = None) -> LocalClusterState | None:
    """Stop the local cluster; return the state it had, or None if nothing was running.

    The state directory (logs, kubeconfig path) is kept; ``state.json`` is removed so ``status``
    reports stopped without probing pids.
    """
    state_dir = (state_dir or default_state_dir()).resolve()
    with _locked(state_dir):
        state = _read_state(state_dir)
        if state is None:
            return None
        stopped = _stop_recorded(state)
        _state_path(state_dir).unlink(missing_ok=True)
        return state if stopped else None
