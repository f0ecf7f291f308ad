"""kstatus conformance: what Flux (and ``kubectl wait``-style tooling) concludes from our status.

``kstatus-check`` (tools/kstatus-check, built by ``make tools``) runs
``sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute`` -- the library behind Flux's health checks --
over the objects the real operator wrote in each phase (``gitops_objects``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.go_tools import require_go_tool
from tests.gitops import phases


@pytest.fixture(scope="module")
def kstatus_check() -> Path:
    return require_go_tool("kstatus-check")


def compute(tool: Path, objects: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One kstatus-check run over all objects (as a kind: List, like `kubectl get -o json`)."""
    result = subprocess.run(
        [str(tool)],
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.controlplane
def test_scaleset_phases_conform_to_kstatus(kstatus_check: Path, gitops_objects: dict[str, dict[str, Any]]) -> None:
    # phases.SCALESET says why each verdict is what it is; notably kstatus has no "suspended" (a held
    # rollout is Reconciling=True, so InProgress: Flux users suspend the Kustomization too), treats
    # an object without status as Current (so the operator writes status on its first pass), maps
    # Ready=Unknown to InProgress, and fails only on Stalled=True.
    objects = phases.scaleset_objects(gitops_objects)
    names = sorted(phases.SCALESET)
    verdicts = dict(zip(names, compute(kstatus_check, [objects[p] for p in names]), strict=True))
    got = {phase: v["status"] for phase, v in verdicts.items()}
    assert got == {phase: v.kstatus for phase, v in phases.SCALESET.items()}, verdicts

    # The messages carry the operator's reasons through to `flux get` / `kubectl` output.
    assert "Secret missing-admin-password" in verdicts["stalled"]["message"]
    assert "generation" in verdicts["stale-generation"]["message"]
    assert "instances are unhealthy" in verdicts["settled-unhealthy"]["message"]
    assert "sick000000" in verdicts["unhealthy-past-grace"]["message"]
    assert "AuthorizationFailed" in verdicts["backend-unauthorized"]["message"]
    assert "rolloutPolicy.progressDeadline" in verdicts["backend-unavailable-past-deadline"]["message"]


@pytest.mark.controlplane
def test_no_phase_is_failed_while_the_operator_reports_progress(gitops_objects: dict[str, dict[str, Any]]) -> None:
    # Issue 16: Flux failed a working rollout (Stalled=True beside RolloutProgressing=True).
    for phase, obj in phases.scaleset_objects(gitops_objects).items():
        found = {c["type"]: c["status"] for c in (obj.get("status") or {}).get("conditions") or []}
        if found.get("Stalled") == "True":
            busy = {k: found.get(k) for k in ("Reconciling", "RolloutProgressing")}
            assert "True" not in busy.values(), (phase, found)


@pytest.mark.controlplane
def test_operation_verdicts(kstatus_check: Path, gitops_objects: dict[str, dict[str, Any]]) -> None:
    # A running operation is in progress and a failed one is failed, so a Flux Kustomization that
    # waits on its objects waits for the operation and reports its failure.
    names = sorted(phases.OPERATION)
    verdicts = dict(zip(names, compute(kstatus_check, [gitops_objects[p] for p in names]), strict=True))
    assert {p: v["status"] for p, v in verdicts.items()} == {p: v.kstatus for p, v in phases.OPERATION.items()}


def test_kstatus_check_reads_lists_arrays_and_streams(kstatus_check: Path) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}}
    stale = {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSet",
        "metadata": {"name": "b", "namespace": "n", "generation": 3},
        "status": {"observedGeneration": 2},
    }
    result = subprocess.run(
        [str(kstatus_check)],
        input=json.dumps(cm) + "\n" + json.dumps([stale]),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["status"] for v in verdicts] == ["Current", "InProgress"]
    assert verdicts[1] == {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSet",
        "namespace": "n",
        "name": "b",
        "status": "InProgress",
        "message": "ScaleSet generation is 3, but latest observed generation is 2",
    }
    version = subprocess.run([str(kstatus_check), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("sigs.k8s.io/cli-utils v")
