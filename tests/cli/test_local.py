"""``scaleset-operator local up | down | status``, end to end through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaleset_operator.localcp import Assets, Kubectl
from scaleset_operator.localcp.controlplane import port_is_free

pytestmark = pytest.mark.controlplane


def console_script() -> str:
    beside = Path(sys.executable).parent / "scaleset-operator"
    found = str(beside) if beside.exists() else shutil.which("scaleset-operator")
    assert found, "the scaleset-operator console script is not installed (make venv)"
    return found


def processes_under(directory: Path) -> list[str]:
    """Command lines of live (non-zombie) processes that mention ``directory``: what pgrep would see."""
    marker = str(directory).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_bytes().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != b"Z" and int(proc.name) != os.getpid():
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


@pytest.fixture
def local_dir(tmp_path: Path, control_plane_assets: Assets) -> Iterator[Path]:
    """A private state dir; whatever happens in the test, the cluster is brought down afterwards."""
    state_dir = tmp_path / "local"
    yield state_dir
    subprocess.run([console_script(), "local", "--dir", str(state_dir), "down"], capture_output=True, check=False)


def run_local(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCALESET_LOCAL_DIR": str(state_dir)}
    return subprocess.run(
        [console_script(), "local", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_up_status_down(local_dir: Path) -> None:
    stopped = run_local(local_dir, "status")
    assert stopped.returncode == 3, stopped
    assert stopped.stdout.startswith("stopped")

    up = run_local(local_dir, "up")
    assert up.returncode == 0, up.stderr
    kubeconfig = local_dir / "kubeconfig"
    assert f"# kubeconfig: {kubeconfig}" in up.stdout
    assert f"export KUBECONFIG={kubeconfig}" in up.stdout.splitlines()
    assert "started at https://127.0.0.1:" in up.stdout

    again = run_local(local_dir, "up")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert f"export KUBECONFIG={kubeconfig}" in again.stdout.splitlines()

    status = run_local(local_dir, "status")
    assert status.returncode == 0, status
    state = json.loads((local_dir / "state.json").read_text())
    assert status.stdout.startswith(f"running at {state['server']}")

    # The printed lines are meant for eval: the user's `eval "$(scaleset-operator local up)"`.
    kubectl_dir = Kubectl(kubeconfig).binary.parent
    shell = subprocess.run(
        ["bash", "-c", 'eval "$(scaleset-operator local up)" && kubectl get namespaces'],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "SCALESET_LOCAL_DIR": str(local_dir),
            "PATH": f"{Path(console_script()).parent}:{kubectl_dir}:{os.environ['PATH']}",
        },
        timeout=60,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    assert "kube-system" in shell.stdout

    ports = [state["etcd_client_port"], state["etcd_peer_port"], state["apiserver_port"]]
    assert processes_under(local_dir)  # the pair really runs, detached from `up`

    down = run_local(local_dir, "down")
    assert down.returncode == 0, down.stderr
    assert down.stdout.startswith(f"stopped local control plane at {state['server']}")

    assert processes_under(local_dir) == []
    for pid in (state["etcd_pid"], state["apiserver_pid"]):
        assert (
            not Path(f"/proc/{pid}").exists()
            or str(local_dir).encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        )
    assert all(port_is_free(port) for port in ports), ports

    after = run_local(local_dir, "status")
    assert after.returncode == 3
    assert "stopped" in after.stdout
    assert run_local(local_dir, "down").stdout.strip() == "local control plane was not running"
