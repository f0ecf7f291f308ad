"""``make demo``: the product in one command, on this machine, with no Docker and no Azure.

Starts the local control plane (``scaleset-operator local up``), installs the CRDs, runs the operator
on the simulator in the background, applies ``examples/rolling-web-tier.yaml`` and shows the scale
set being created and then rolled to a new model, live, as a progress view. It leaves everything
running and prints what to try next; ``make demo-down`` (``python hack/demo.py down``) stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scaleset_operator.cli.status import converged, reader
from scaleset_operator.cli.status import watch as watch_scaleset

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = REPO / "examples" / "rolling-web-tier.yaml"

GREEN, BOLD, RESET = "\033[32m", "\033[1m", "\033[0m"


def sh(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if check and result.returncode != 0:
        sys.exit(f"`{' '.join(args)}` failed:\n{result.stderr}")
    return result


def watch(kubeconfig: Path, log_file: Path, title: str, done: Callable[[dict[str, Any]], bool]) -> None:
    """The live view of `scaleset-operator status web --watch` until ``done`` (on a pipe: its last frame)."""
    read, namespace = reader("web", None, str(kubeconfig))
    try:
        watch_scaleset(read, missing=f"waiting for ScaleSet {namespace}/web", until=done, interval=0.25,
                       timeout=180, title=title)  # fmt: skip
    except TimeoutError as exc:
        sys.exit(f"the demo did not converge in time ({exc}); the operator's log ends with:\n"
                 f"{log_file.read_text()[-3000:]}")  # fmt: skip


def operator_alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return False
    return True


def start_operator(args: argparse.Namespace, state: Path, kubeconfig: Path, env: dict[str, str]) -> Path:
    """The operator on the simulator in the background (unless it already runs); its log file."""
    pid_file, log_file = state / "operator.pid", state / "operator.log"
    print(f"{BOLD}3/4{RESET} the operator on the simulator (x{args.speed:g} speed, log in {log_file})")
    if not operator_alive(pid_file):
        command = [str(BIN / "scaleset-operator"), "run", "--backend", "fake", "--speed", str(args.speed),
                   "--admin-port", str(args.admin_port), "--metrics-port", str(args.metrics_port),
                   "--kubeconfig", str(kubeconfig)]  # fmt: skip
        with open(log_file, "ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
            )
        pid_file.write_text(str(process.pid))
        time.sleep(2)
    if not operator_alive(pid_file):
        sys.exit(f"the operator did not start:\n{log_file.read_text()[-3000:]}")
    return log_file


def roll_out(kubectl: list[str], env: dict[str, str], kubeconfig: Path, log_file: Path) -> None:
    """A model change (the SKU), watched until every instance runs it."""
    generation = int(
        json.loads(sh(*kubectl, "get", "vmss", "web", "-o", "json", env=env).stdout)["metadata"]["generation"]
    )
    patch = json.dumps({"spec": {"sku": {"name": "Standard_D4s_v5"}}})
    print(
        f"\n{BOLD}a model change{RESET}: kubectl patch vmss web --type=merge -p '{patch}'  (Rolling, 20% per batch)\n"
    )
    sh(*kubectl, "patch", "vmss", "web", "--type=merge", "-p", patch, env=env)
    watch(kubeconfig, log_file, "rolling upgrade", lambda o: _ready(o, generation + 1) and _rolled(o))


def wait_established(kubectl: list[str], env: dict[str, str], limit: float = 60.0) -> None:
    """``kubectl wait --for=condition=Established`` fails at once (an accessor error on a null
    ``status.conditions``) when it reads a CRD the API server has not processed yet: retry then."""
    deadline = time.monotonic() + limit
    while True:
        result = sh(
            *kubectl, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s", env=env, check=False
        )
        if result.returncode == 0:
            return
        if "accessor error" not in result.stderr or time.monotonic() > deadline:
            sys.exit(f"`kubectl wait --for=condition=Established crd --all` failed:\n{result.stderr}")
        time.sleep(0.5)


def up(args: argparse.Namespace) -> int:
    state = Path(args.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SCALESET_LOCAL_DIR": str(state / "cluster")}
    kubectl = [str(BIN / "kubectl")]
    print(f"{BOLD}1/4{RESET} local control plane (kube-apiserver + etcd, pinned, no Docker)")
    sh(str(BIN / "scaleset-operator"), "local", "up", env=env)
    kubeconfig = state / "cluster" / "kubeconfig"
    env["KUBECONFIG"] = str(kubeconfig)
    print(f"{BOLD}2/4{RESET} CRDs from crds/")
    sh(*kubectl, "apply", "--server-side", "--force-conflicts", "-f", str(REPO / "crds"), env=env)
    wait_established(kubectl, env)
    log_file = start_operator(args, state, kubeconfig, env)
    print(f"{BOLD}4/4{RESET} kubectl apply -f examples/rolling-web-tier.yaml\n")
    sh(*kubectl, "apply", "-f", str(EXAMPLE), env=env)
    watch(kubeconfig, log_file, "creating the scale set", lambda o: _ready(o, 1))
    if not args.no_upgrade:
        roll_out(kubectl, env, kubeconfig, log_file)
    print_next_steps(args, kubeconfig)
    return 0


def print_next_steps(args: argparse.Namespace, kubeconfig: Path) -> None:
    sim = f"{BIN / 'scaleset-operator'} sim --url http://127.0.0.1:{args.admin_port}"
    image = "--publisher Canonical --offer 0001-com-ubuntu-server-jammy --sku 22_04-lts-gen2"
    print(f"""
{GREEN}It is running.{RESET} Try:

  export KUBECONFIG={kubeconfig}
  export PATH={BIN}:$PATH
  kubectl get vmss -o wide
  scaleset-operator status web --watch                         # the live view, in another terminal
  kubectl get vmss web -o jsonpath='{{.status.instances[*].differsFromModel}}'
  kubectl scale vmss/web --replicas=8
  kubectl apply -f examples/automatic-os-upgrade.yaml          # then publish a newer image:
  {sim} publish-image {image} --version 2024.03.01
  {sim} set-health web 0 Unhealthy                              # see Ready turn False
  {sim} instances web
  curl -s localhost:{args.metrics_port}/metrics | grep ^scaleset_
  kubectl get events --sort-by=.lastTimestamp

Stop it with: make demo-down
""")


def _ready(obj: dict[str, Any], generation: int) -> bool:
    return converged(obj) and int(obj["metadata"].get("generation", 0)) >= generation


def _rolled(obj: dict[str, Any]) -> bool:
    rolling = obj.get("status", {}).get("rollingUpgrade") or {}
    return bool(rolling.get("runningStatus", {}).get("code") == "Completed")


def down(args: argparse.Namespace) -> int:
    state = Path(args.state_dir)
    pid_file = state / "operator.pid"
    if operator_alive(pid_file):
        pid = int(pid_file.read_text())
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            if not operator_alive(pid_file):
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
        print("operator stopped")
    pid_file.unlink(missing_ok=True)
    env = {**os.environ, "SCALESET_LOCAL_DIR": str(state / "cluster")}
    print(sh(str(BIN / "scaleset-operator"), "local", "down", env=env, check=False).stdout.strip())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "down"], nargs="?", default="up")
    parser.add_argument("--state-dir", default=os.environ.get("SCALESET_DEMO_DIR", str(REPO / ".cache" / "demo")))
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--admin-port", type=int, default=int(os.environ.get("SCALESET_DEMO_ADMIN_PORT", "8089")))
    parser.add_argument("--metrics-port", type=int, default=int(os.environ.get("SCALESET_DEMO_METRICS_PORT", "9090")))
    parser.add_argument("--no-upgrade", action="store_true", help="stop after the scale set is Ready")
    args = parser.parse_args(argv)
    return up(args) if args.command == "up" else down(args)


if __name__ == "__main__":
    sys.exit(main())
