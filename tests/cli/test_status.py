"""``scaleset-operator status``: the view of one ScaleSet, drawn from what the operator wrote.

``data/web-mid-rollout.json`` is ``kubectl get -o json`` of a real ScaleSet (6 instances over zones
1-3 and update domains 0-1) in the middle of a Rolling model upgrade: two instances done, web000001
updating in batch 3, three pending. The rendering tests draw it (and copies with other conditions)
without a terminal; the last test reads a ScaleSet from the API server with the real client.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from scaleset_operator.cli.status_view import render
from scaleset_operator.localcp import ControlPlane, Kubectl
from tests.fixtures.operator import operator_command
from tests.gitops.phases import with_conditions, with_spec

RECORDED = Path(__file__).parent / "data" / "web-mid-rollout.json"


def recorded() -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(RECORDED.read_text())
    return obj


def draw(obj: dict[str, Any], width: int = 120) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    console.print(render(obj))
    return console.export_text()


def grid_rows(text: str) -> dict[str, list[str]]:
    """Update domain (or "UD" for the header) -> the cells of its row, zone by zone."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").strip("│ ").split("│")]
        if len(cells) == 4 and (cells[0].isdigit() or cells[0] == "UD"):
            rows[cells[0]] = cells[1:]
    return rows


def test_mid_rollout_instances_are_a_grid_by_update_domain_and_zone() -> None:
    text = draw(recorded())
    assert grid_rows(text) == {
        "UD": ["zone 1", "zone 2", "zone 3"],
        "0": [
            "web000000 ✓ Healthy 2024.02.15",
            "▶ web000001 ~ Updating 2024.02.15",  # the batch in flight, not on the model yet
            "web000002 ~ Healthy 2024.02.15",
        ],
        "1": ["web000003 ✓ Healthy 2024.02.15", "web000004 ~ Healthy 2024.02.15", "web000005 ~ Healthy 2024.02.15"],
    }
    assert "ScaleSet prod/web" in text and "Rolling · Standard_D4s_v5 · generation 2" in text
    assert "desired 6  current 6  up-to-date 2  ready 5" in text


def test_mid_rollout_shows_progress_the_batch_and_what_it_waits_for() -> None:
    text = draw(recorded())
    assert "rollout  ModelUpgrade RollingForward" in text
    assert "2/6 done · 1 in progress · 0 failed · 3 pending" in text
    assert "▶ batch 3 (Upgrade): web000001" in text  # instance IDs shown by name
    assert "now  WaitingForBatch: ModelUpgrade 2/6 done" in text
    assert "blocker" not in text  # waiting for a batch is progress, not a blocker


BLOCKED = {
    "stalled": (
        {"Stalled": ("True", "SecretNotFound", "Secret web-admin (key password) not found")},
        "blocker  stalled: SecretNotFound: Secret web-admin (key password) not found",
    ),
    "paused": (
        {"RolloutProgressing": ("False", "Paused", "spec.paused is true")},
        "blocker  held: Paused: spec.paused is true",
    ),
    "unobservable": (
        {"Ready": ("Unknown", "Throttled", "TooManyRequests; retrying in 30s")},
        "blocker  not observable: Throttled: TooManyRequests; retrying in 30s",
    ),
    "settled-unhealthy": (
        {
            "Ready": ("False", "InstancesUnhealthy", "1 instances are unhealthy: web000003"),
            "Reconciling": ("False", "Idle", "nothing to do"),
        },
        "blocker  not ready: InstancesUnhealthy: 1 instances are unhealthy: web000003",
    ),
    "converged": (
        {"Ready": ("True", "Converged", "the scale set matches the model"), "Reconciling": ("False", "Idle", "")},
        "blocker  none",
    ),
}


@pytest.mark.parametrize("case", sorted(BLOCKED))
def test_the_blocker_comes_from_the_conditions(case: str) -> None:
    conditions, expected = BLOCKED[case]
    text = draw(with_conditions(recorded(), **conditions), width=160)
    assert expected in text, text


def test_drift_only_a_reimage_fixes_is_flagged_and_no_status_says_so() -> None:
    obj = recorded()
    obj["status"]["instances"][3]["differsFromModel"] = ["dataDisks[lun=0].diskSizeGB 32 != 64 (needs ReimageAll)"]
    obj["status"]["instances"][3]["requiredFixes"] = ["ReimageAll"]
    assert grid_rows(draw(obj))["1"][0] == "web000003 ✓ Healthy 2024.02.15 ⚠"
    fresh = with_spec({**copy.deepcopy(obj), "status": {}}, paused=False)
    assert "waiting for the operator to report status" in draw(fresh)


@pytest.mark.controlplane
def test_status_reads_the_scale_set_with_the_kubernetes_client(
    control_plane: ControlPlane, kubectl: Kubectl, scaleset_crds: list[str], namespace: str
) -> None:
    del scaleset_crds
    obj = recorded()
    manifest = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": {"name": "web"}, "spec": obj["spec"]}
    kubectl.apply(manifest, namespace=namespace)
    status = json.dumps({"status": {**obj["status"], "observedGeneration": 1}})
    kubectl.ok(
        "patch", "scalesets.scaleset.dev", "web", "-n", namespace, "--subresource=status", "--type=merge", "-p", status
    )
    cli = [*operator_command(), "status", "--kubeconfig", str(control_plane.kubeconfig), "-n", namespace]

    shown = subprocess.run([*cli, "web"], capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    assert f"ScaleSet {namespace}/web" in shown.stdout and "web000001" in shown.stdout and "zone 3" in shown.stdout

    missing = subprocess.run([*cli, "nope"], capture_output=True, text=True, timeout=60, check=False)
    assert missing.returncode == 1 and f"ScaleSet nope not found in namespace {namespace}" in missing.stderr

    # --watch --until-ready returns at once on a Stalled ScaleSet, with exit status 1.
    stalled = with_conditions({"status": obj["status"]}, Stalled=("True", "SecretNotFound", "no Secret"))
    kubectl.ok(
        "patch",
        "scalesets.scaleset.dev",
        "web",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(stalled),
    )
    watched = subprocess.run(
        [*cli, "web", "--watch", "--until-ready"], capture_output=True, text=True, timeout=60, check=False
    )
    assert watched.returncode == 1, watched.stdout + watched.stderr
    assert "blocker  stalled: SecretNotFound: no Secret" in watched.stdout
