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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = REPO / "examples" / "rolling-web-tier.yaml"

GREEN, YELLOW, RED, DIM, BOLD, RESET = "\033[32m", "\033[33m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"


def sh(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if check and result.returncode != 0:
        sys.exit(f"`{' '.join(args)}` failed:\n{result.stderr}")
    return result


class View:
    """Redraws a block of lines in place on a terminal; prints only changes otherwise (CI, pipes)."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.lines = 0
        self.last: list[str] = []

    def show(self, lines: list[str]) -> None:
        if not self.tty:
            plain = [_strip(line) for line in lines]
            if plain != self.last:
                print("\n".join(plain[:2]), flush=True)
            self.last = plain
            return
        if self.lines:
            sys.stdout.write(f"\033[{self.lines}F")
        for line in lines:
            sys.stdout.write("\033[2K" + line + "\n")
        for _ in range(self.lines - len(lines)):
            sys.stdout.write("\033[2K\n")
        self.lines = max(self.lines, len(lines))
        sys.stdout.flush()


def _strip(text: str) -> str:
    for code in (GREEN, YELLOW, RED, DIM, BOLD, RESET):
        text = text.replace(code, "")
    return text


def _cell(instance: dict[str, Any]) -> str:
    state, health = instance["provisioningState"], instance["healthState"]
    mark = "+" if instance["latestModelApplied"] else "~"
    if state != "Succeeded":
        return f"{YELLOW}{mark}{instance['name'][-2:]}:{state[:9]:<9}{RESET}"
    color = GREEN if health == "Healthy" else (RED if health == "Unhealthy" else YELLOW)
    return f"{color}{mark}{instance['name'][-2:]}:{health[:9]:<9}{RESET}"


def render(obj: dict[str, Any], title: str) -> list[str]:
    status = obj.get("status", {})
    conditions = {c["type"]: c for c in status.get("conditions", [])}
    ready = conditions.get("Ready", {})
    rolling = status.get("rollingUpgrade") or {}
    progress = rolling.get("progress", {})
    lines = [
        f"{BOLD}{title}{RESET}",
        f"  desired {obj['spec']['sku']['capacity']}  current {status.get('replicas', 0)}  "
        f"up-to-date {status.get('updatedReplicas', 0)}  ready {status.get('readyReplicas', 0)}  "
        f"image {status.get('currentImage', '-')}",
        "  instances  " + " ".join(_cell(i) for i in status.get("instances", [])),
    ]
    if rolling:
        done = progress.get("successfulInstanceCount", 0)
        total = done + sum(
            progress.get(k, 0) for k in ("failedInstanceCount", "inProgressInstanceCount", "pendingInstanceCount")
        )
        bar = "#" * done + "." * (total - done)
        lines.append(f"  rollout    {rolling['runningStatus']['code']:<14} [{bar}] {done}/{total}")
    mark = GREEN + "True" if ready.get("status") == "True" else YELLOW + ready.get("status", "Unknown")
    lines.append(f"  Ready={mark}{RESET} {DIM}{ready.get('reason', '')}: {ready.get('message', '')[:90]}{RESET}")
    return lines


def watch(kubectl: list[str], env: dict[str, str], title: str, done: Any, timeout: float = 180) -> dict[str, Any]:
    view = View()
    deadline = time.monotonic() + timeout
    while True:
        result = sh(*kubectl, "get", "vmss", "web", "-o", "json", env=env, check=False)
        obj = json.loads(result.stdout) if result.returncode == 0 else {"spec": {"sku": {"capacity": 0}}}
        view.show(render(obj, title))
        if obj.get("status") and done(obj):
            return obj
        if time.monotonic() > deadline:
            sys.exit("the demo did not converge in time; see the operator log printed below")
        time.sleep(0.25)


def operator_alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return False
    return True


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
    cli = [str(BIN / "scaleset-operator")]
    kubectl = [str(BIN / "kubectl")]
    print(f"{BOLD}1/4{RESET} local control plane (kube-apiserver + etcd, pinned, no Docker)")
    sh(*cli, "local", "up", env=env)
    kubeconfig = state / "cluster" / "kubeconfig"
    env["KUBECONFIG"] = str(kubeconfig)
    print(f"{BOLD}2/4{RESET} CRDs from crds/")
    sh(*kubectl, "apply", "--server-side", "--force-conflicts", "-f", str(REPO / "crds"), env=env)
    wait_established(kubectl, env)
    pid_file, log_file = state / "operator.pid", state / "operator.log"
    print(f"{BOLD}3/4{RESET} the operator on the simulator (x{args.speed:g} speed, log in {log_file})")
    if not operator_alive(pid_file):
        with open(log_file, "ab") as log:
            process = subprocess.Popen(
                [
                    *cli,
                    "run",
                    "--backend",
                    "fake",
                    "--speed",
                    str(args.speed),
                    "--admin-port",
                    str(args.admin_port),
                    "--metrics-port",
                    str(args.metrics_port),
                    "--kubeconfig",
                    str(kubeconfig),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        pid_file.write_text(str(process.pid))
        time.sleep(2)
    if not operator_alive(pid_file):
        sys.exit(f"the operator did not start:\n{log_file.read_text()[-3000:]}")
    print(f"{BOLD}4/4{RESET} kubectl apply -f examples/rolling-web-tier.yaml\n")
    sh(*kubectl, "apply", "-f", str(EXAMPLE), env=env)
    watch(kubectl, env, "creating the scale set", lambda o: _ready(o, 1))
    if not args.no_upgrade:
        generation = int(
            json.loads(sh(*kubectl, "get", "vmss", "web", "-o", "json", env=env).stdout)["metadata"]["generation"]
        )
        print(
            f"\n{BOLD}a model change{RESET}: kubectl patch vmss web --type=merge -p "
            '\'{"spec":{"sku":{"name":"Standard_D4s_v5"}}}\'  (Rolling, 20% per batch)\n'
        )
        sh(
            *kubectl,
            "patch",
            "vmss",
            "web",
            "--type=merge",
            "-p",
            json.dumps({"spec": {"sku": {"name": "Standard_D4s_v5"}}}),
            env=env,
        )
        watch(kubectl, env, "rolling upgrade", lambda o: _ready(o, generation + 1) and _rolled(o))
    sim = f"{BIN / 'scaleset-operator'} sim --url http://127.0.0.1:{args.admin_port}"
    image = "--publisher Canonical --offer 0001-com-ubuntu-server-jammy --sku 22_04-lts-gen2"
    print(f"""
{GREEN}It is running.{RESET} Try:

  export KUBECONFIG={kubeconfig}
  export PATH={BIN}:$PATH
  kubectl get vmss -o wide
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
    return 0


def _ready(obj: dict[str, Any], generation: int) -> bool:
    status = obj.get("status", {})
    ready = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), {})
    return bool(status.get("observedGeneration", 0) >= generation and ready.get("status") == "True")


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
