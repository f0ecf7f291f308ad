"""Nothing is left behind: however the owning process ends, etcd and kube-apiserver go with it.

Each test starts a control plane in a child Python process, ends that process a different way,
and checks that both servers are gone and their ports free again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scaleset_operator.localcp import Assets
from scaleset_operator.localcp.controlplane import port_is_free

pytestmark = pytest.mark.controlplane

OWNER = textwrap.dedent(
    """
    import json, sys, time
    from scaleset_operator.localcp import ControlPlane
    plane = ControlPlane().start()
    print(json.dumps({"pids": plane.pids, "ports": list(vars(plane.ports).values())}), flush=True)
    if sys.argv[1] == "raise":
        raise RuntimeError("a failing test run")
    time.sleep(600)
    """
)


def start_owner(how: str) -> tuple[subprocess.Popen[str], dict[str, int], list[int]]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, how], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    line = owner.stdout.readline()
    assert line, owner.communicate(timeout=30)[1]
    started = json.loads(line)
    return owner, started["pids"], started["ports"]


def assert_gone(pids: dict[str, int], ports: list[int], timeout: float = 15.0) -> None:
    def alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            return False
        return state != b"Z"

    def done() -> bool:
        return not any(alive(pid) for pid in pids.values()) and all(port_is_free(p) for p in ports)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done():
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids.values()), pids
    assert all(port_is_free(port) for port in ports), ports


@pytest.mark.parametrize(
    ("how", "ending"),
    [
        ("sleep", signal.SIGKILL),  # nothing in the owner runs: the reaper process must act
        ("sleep", signal.SIGTERM),  # the owner's signal handler stops the servers, then dies of it
        ("sleep", signal.SIGINT),  # Ctrl-C: KeyboardInterrupt, atexit
        ("raise", None),  # an uncaught exception: atexit
    ],
)
def test_servers_die_with_their_owner(control_plane_assets: Assets, how: str, ending: signal.Signals | None) -> None:
    owner, pids, ports = start_owner(how)
    try:
        if ending is not None:
            os.kill(owner.pid, ending)
        owner.wait(timeout=30)
        assert_gone(pids, ports)
        if ending is signal.SIGTERM:
            assert owner.returncode == -signal.SIGTERM  # the exit status still says "killed by SIGTERM"
    finally:
        owner.kill()
        owner.communicate(timeout=10)
