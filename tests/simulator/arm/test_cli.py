"""``scaleset-operator simulator`` as a person runs it: start, print what to use, stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scaleset_operator.cli import build_parser


def test_the_command_is_registered() -> None:
    args = build_parser().parse_args(["simulator", "--port", "0", "--speed", "60"])
    assert (args.port, args.speed, args.admin_port) == (0, 60.0, 8089)


def test_it_serves_arm_over_tls_and_prints_the_ca_bundle(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "scaleset_operator.cli", "simulator",
        "--port", "0", "--admin-port", "0", "--state-dir", str(tmp_path / "state"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        deadline = time.monotonic() + 30
        while "CA bundle" not in printed or "admin" not in printed:
            assert time.monotonic() < deadline, printed
            line = process.stdout.readline()
            if ":" in line and not line.startswith(("#", "export", "scaleset-operator")):
                label, _, value = line.partition(":")
                printed[label.strip()] = value.strip().split()[0]
        context = ssl.create_default_context(cafile=printed["CA bundle"])
        request = urllib.request.Request(
            printed["ARM endpoint"] + "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute"
            "/virtualMachineScaleSets/web?api-version=2026-04-01",
            headers={"Authorization": "Bearer anything"},
        )
        try:
            urllib.request.urlopen(request, context=context, timeout=10)
            raise AssertionError("expected a 404 for a scale set that does not exist")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
        with urllib.request.urlopen(printed["admin"] + "/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
