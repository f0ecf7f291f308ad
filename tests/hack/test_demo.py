"""``make demo`` works by itself: it brings everything up, shows the rollout in the live status view
until it converges, says what to try, and ``make demo-down`` leaves nothing running."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scaleset_operator.localcp.controlplane import allocate_ports, port_is_free

REPO = Path(__file__).resolve().parents[2]


def test_demo_up_converges_and_down_cleans_up(tmp_path: Path) -> None:
    admin, metrics = allocate_ports(2)
    base = [sys.executable, str(REPO / "hack" / "demo.py")]
    args = ["--state-dir", str(tmp_path), "--admin-port", str(admin), "--metrics-port", str(metrics), "--speed", "40"]
    try:
        up = subprocess.run([*base, "up", *args], capture_output=True, text=True, timeout=300, check=False)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "It is running." in up.stdout
        assert f"export KUBECONFIG={tmp_path}/cluster/kubeconfig" in up.stdout
        # The live view's last frame (on a pipe, rich prints only that): the rollout done, all converged.
        final = up.stdout[up.stdout.index("ScaleSet default/web: rolling upgrade") :]
        assert "desired 5  current 5  up-to-date 5  ready 5" in final
        assert "ModelUpgrade Completed" in final and "5/5 done" in final
        assert "Ready=True Converged" in final and "blocker  none" in final
        assert "Standard_D4s_v5" in final  # the new model
    finally:
        down = subprocess.run([*base, "down", *args], capture_output=True, text=True, timeout=120, check=False)
    assert down.returncode == 0, down.stderr
    assert "operator stopped" in down.stdout
    assert port_is_free(admin) and port_is_free(metrics)
    pid_file = tmp_path / "operator.pid"
    assert not pid_file.exists()
