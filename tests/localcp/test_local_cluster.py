"""``ensure_local_cluster``: the Python entry point ``make demo`` uses to get a running cluster."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaleset_operator.localcp import (
    Assets,
    Kubectl,
    ensure_local_cluster,
    local_cluster_down,
    local_cluster_status,
)
from scaleset_operator.localcp.controlplane import terminate_process_group

pytestmark = pytest.mark.controlplane


@pytest.fixture
def state_dir(tmp_path: Path, control_plane_assets: Assets) -> Iterator[Path]:
    directory = tmp_path / "local"
    yield directory
    local_cluster_down(directory)


def test_ensure_is_idempotent_and_cheap_when_up(state_dir: Path) -> None:
    kubeconfig = ensure_local_cluster(state_dir)
    assert kubeconfig == state_dir / "kubeconfig"
    first = local_cluster_status(state_dir)
    assert first.running and first.ready and first.state is not None

    began = time.monotonic()
    assert ensure_local_cluster(state_dir) == kubeconfig
    assert time.monotonic() - began < 5  # no second start: just a readiness probe
    second = local_cluster_status(state_dir).state
    assert second is not None and second.server == first.state.server

    assert "kube-system" in Kubectl(kubeconfig).ok("get", "namespaces").stdout

    stopped = local_cluster_down(state_dir)
    assert stopped is not None and stopped.server == first.state.server
    assert not local_cluster_status(state_dir).running


def test_a_dead_cluster_is_replaced(state_dir: Path) -> None:
    """``up`` after the servers died behind its back (reboot, OOM) starts a fresh one."""
    ensure_local_cluster(state_dir)
    before = local_cluster_status(state_dir).state
    assert before is not None
    terminate_process_group(before.apiserver_pid, wait_reaped=True)
    assert not local_cluster_status(state_dir).running

    ensure_local_cluster(state_dir)
    after = local_cluster_status(state_dir)
    assert after.running and after.ready and after.state is not None
    assert after.state.apiserver_pid != before.apiserver_pid
    assert "kube-system" in Kubectl(state_dir / "kubeconfig").ok("get", "namespaces").stdout
