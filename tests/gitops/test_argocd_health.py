"""The Argo CD Lua health checks (gitops/argocd/*.lua) judged by a real Lua runtime.

The objects are what the real operator wrote in each phase (``gitops_objects``). Argo CD runs health
checks in gopher-lua, a Lua 5.1 with only the base, table, string and math libraries; the checks run
here under lupa's Lua 5.1 with the same libraries (os, io, require, ... removed), and under the
newest Lua lupa ships, so they rely on nothing version-specific.
"""

from __future__ import annotations

import copy
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARGOCD_DIR = REPO_ROOT / "gitops" / "argocd"
SCALESET_LUA = ARGOCD_DIR / "scaleset.dev_ScaleSet.lua"
OPERATION_LUA = ARGOCD_DIR / "scaleset.dev_ScaleSetOperation.lua"

# What Argo CD's sandbox does not offer (it opens base, table, string and math only).
UNAVAILABLE_IN_ARGOCD = ("os", "io", "debug", "package", "require", "dofile", "loadfile", "load", "loadstring")

LUA_RUNTIMES = ("lupa.lua51", "lupa")


def lua_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # lupa is pinned in the dev extra: a missing runtime is a setup failure
        raise AssertionError(f"{name} is not available ({exc}): run `make setup`") from exc


def health(script: Path, obj: dict[str, Any], runtime: str = "lupa.lua51") -> dict[str, str]:
    """Run an Argo CD health script over ``obj`` the way Argo CD does: global ``obj``, ``return hs``."""
    lua = lua_module(runtime).LuaRuntime(unpack_returned_tuples=True)
    sandbox = lua.globals()
    for name in UNAVAILABLE_IN_ARGOCD:
        sandbox[name] = None
    sandbox.obj = lua.table_from(obj, recursive=True)
    result = lua.execute(script.read_text())
    assert result is not None, f"{script.name} returned nothing"
    return {"status": str(result["status"]), "message": str(result["message"] or "")}


def cond(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == kind)


# phase -> (expected health status, substrings of the message)
SCALESET_EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "no-status": ("Progressing", ("Waiting for the operator to report status",)),
    "creating": ("Progressing", ()),
    "converging": ("Progressing", ("ModelUpgrade",)),
    "paused": ("Suspended", ("Paused", "spec.paused is true")),
    "ready": ("Healthy", ("2/2 ready", "Converged")),
    "stalled": ("Degraded", ("SecretNotFound", "missing-admin-password")),
    "stale-generation": ("Progressing", ("observe generation",)),
    "deleting": ("Progressing", ("Deleting",)),
}

OPERATION_EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "op-pending": ("Progressing", ("Pending", "Restart on idle")),
    "op-running": ("Progressing", ("Running", "Restart on db")),
    "op-succeeded": ("Healthy", ("Succeeded", "Restart on db")),
    "op-failed": ("Degraded", ("Failed", "does-not-exist")),
}


@pytest.mark.controlplane
@pytest.mark.parametrize("runtime", LUA_RUNTIMES)
@pytest.mark.parametrize("phase", sorted(SCALESET_EXPECTED))
def test_scaleset_health_in_each_phase(gitops_objects: dict[str, dict[str, Any]], phase: str, runtime: str) -> None:
    obj = gitops_objects[phase]
    expected_status, fragments = SCALESET_EXPECTED[phase]
    result = health(SCALESET_LUA, obj, runtime)
    assert result["status"] == expected_status, (phase, result, obj.get("status"))
    for fragment in fragments:
        assert fragment in result["message"], (phase, result)
    if phase in ("creating", "converging"):
        # The message is the operator's own reason and message, so Argo CD shows what it waits for.
        reconciling = cond(obj, "Reconciling")
        assert result["message"].startswith(reconciling["reason"]), result


@pytest.mark.controlplane
@pytest.mark.parametrize("runtime", LUA_RUNTIMES)
@pytest.mark.parametrize("phase", sorted(OPERATION_EXPECTED))
def test_operation_health_in_each_phase(gitops_objects: dict[str, dict[str, Any]], phase: str, runtime: str) -> None:
    obj = gitops_objects[phase]
    expected_status, fragments = OPERATION_EXPECTED[phase]
    result = health(OPERATION_LUA, obj, runtime)
    assert result["status"] == expected_status, (phase, result, obj.get("status"))
    for fragment in fragments:
        assert fragment in result["message"], (phase, result)


@pytest.mark.controlplane
def test_a_rollout_held_outside_the_maintenance_window_is_suspended(
    gitops_objects: dict[str, dict[str, Any]],
) -> None:
    # The operator's hold reasons come from one function (planner.rollout.strategies.hold_reason): Paused and
    # OutsideMaintenanceWindow. The window case takes a configured window and a clock outside it;
    # the captured paused object, unpaused and re-reasoned, is that status.
    obj = copy.deepcopy(gitops_objects["paused"])
    obj["spec"]["paused"] = False
    rollout = cond(obj, "RolloutProgressing")
    rollout["reason"] = "OutsideMaintenanceWindow"
    rollout["message"] = "no batch starts outside the maintenance window; next opens 2026-01-01T02:00:00Z"
    result = health(SCALESET_LUA, obj)
    assert result == {"status": "Suspended", "message": f"OutsideMaintenanceWindow: {rollout['message']}"}


@pytest.mark.controlplane
def test_paused_without_a_rollout_is_suspended_too(gitops_objects: dict[str, dict[str, Any]]) -> None:
    obj = copy.deepcopy(gitops_objects["ready"])
    obj["spec"]["paused"] = True
    assert health(SCALESET_LUA, obj) == {
        "status": "Suspended",
        "message": "Paused: spec.paused is true (no rollout is in progress)",
    }


@pytest.mark.controlplane
def test_stalled_wins_over_paused(gitops_objects: dict[str, dict[str, Any]]) -> None:
    # A person must act on a Stalled object even if it is paused: Degraded, not Suspended.
    obj = copy.deepcopy(gitops_objects["stalled"])
    obj["spec"]["paused"] = True
    assert health(SCALESET_LUA, obj)["status"] == "Degraded"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"phase": "Pending"}, "Progressing"),
        ({"phase": "Running"}, "Progressing"),
        ({"phase": "Succeeded"}, "Healthy"),
        ({"phase": "Failed", "message": "boom"}, "Degraded"),
        ({"phase": "Exploded"}, "Unknown"),
    ],
)
def test_operation_phases_map_one_to_one(status: dict[str, str], expected: str) -> None:
    obj = {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSetOperation",
        "metadata": {"name": "op", "namespace": "ns", "generation": 1},
        "spec": {"scaleSetName": "web", "action": "Reimage", "instanceIds": ["0"]},
        "status": status,
    }
    assert health(OPERATION_LUA, obj)["status"] == expected
