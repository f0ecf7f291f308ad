"""The Argo CD Lua health checks (gitops/argocd/*.lua) judged in every phase, as Argo CD judges them.

Each check runs over the objects of every phase (tests/gitops/phases.py: recorded from the real
operator, or derived from those) in three runtimes (tests/gitops/argocd.py): gopher-lua set up as
Argo CD sets it up for argocd-cm checks, and lupa's Lua 5.1 and newest Lua with the same sandbox.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.gitops import phases
from tests.gitops.argocd import ARGOCD_DIR, OPERATION_LUA, RUNTIMES, SCALESET_LUA, health


def cond(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == kind)


@pytest.fixture(scope="module")
def scaleset_objects(gitops_objects: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return phases.scaleset_objects(gitops_objects)


@pytest.mark.controlplane
@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("phase", sorted(phases.SCALESET))
def test_scaleset_health_in_each_phase(scaleset_objects: dict[str, dict[str, Any]], phase: str, runtime: str) -> None:
    obj = scaleset_objects[phase]
    expected = phases.SCALESET[phase]
    result = health(SCALESET_LUA, obj, runtime)
    assert result["status"] == expected.argocd, (phase, result, obj.get("status"))
    for fragment in expected.fragments:
        assert fragment in result["message"], (phase, result)
    if phase in ("creating", "converging"):
        # The message is the operator's own reason and message, so Argo CD shows what it waits for.
        assert result["message"].startswith(cond(obj, "Reconciling")["reason"]), result


@pytest.mark.controlplane
@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("phase", sorted(phases.OPERATION))
def test_operation_health_in_each_phase(gitops_objects: dict[str, dict[str, Any]], phase: str, runtime: str) -> None:
    obj = gitops_objects[phase]
    expected = phases.OPERATION[phase]
    result = health(OPERATION_LUA, obj, runtime)
    assert result["status"] == expected.argocd, (phase, result, obj.get("status"))
    for fragment in expected.fragments:
        assert fragment in result["message"], (phase, result)


@pytest.mark.controlplane
def test_a_settled_unhealthy_scale_set_is_degraded_not_progressing(
    gitops_objects: dict[str, dict[str, Any]],
) -> None:
    # What the operator writes today for a converged ScaleSet whose instance turned Unhealthy:
    # nothing in progress, nothing stalled, Ready=False. Argo CD must not show that as Progressing.
    obj = gitops_objects["settled-unhealthy"]
    assert (cond(obj, "Reconciling")["status"], cond(obj, "Stalled")["status"]) == ("False", "False")
    ready = cond(obj, "Ready")
    assert health(SCALESET_LUA, obj) == {
        "status": "Degraded",
        "message": f"0/1 ready: InstancesUnhealthy: {ready['message']}",
    }


@pytest.mark.parametrize("runtime", RUNTIMES)
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
def test_operation_phases_map_one_to_one(status: dict[str, str], expected: str, runtime: str) -> None:
    obj = {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSetOperation",
        "metadata": {"name": "op", "namespace": "ns", "generation": 1},
        "spec": {"scaleSetName": "web", "action": "Reimage", "instanceIds": ["0"]},
        "status": status,
    }
    assert health(OPERATION_LUA, obj, runtime)["status"] == expected


PROBE = """
local seen = {}
table.insert(seen, "os=" .. type(os))
table.insert(seen, "string=" .. type(string))
table.insert(seen, "math=" .. type(math))
table.insert(seen, "require(os).time=" .. type(require("os").time))
table.insert(seen, "string methods=" .. tostring(pcall(function() return ("x"):len() end)))
table.insert(seen, "generation=" .. type(obj.metadata.generation) .. " " .. tostring(obj.metadata.generation))
return {status = "Healthy", message = table.concat(seen, ", ")}
"""


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_sandbox_offers_what_argocd_offers_and_nothing_more(runtime: str, tmp_path: Any) -> None:
    probe = tmp_path / "probe.lua"
    probe.write_text(PROBE)
    result = health(probe, {"kind": "X", "metadata": {"name": "x", "generation": 3}}, runtime)
    assert result == {
        "status": "Healthy",
        "message": "os=nil, string=nil, math=nil, require(os).time=function, string methods=false, generation=number 3",
    }
    uses_string = tmp_path / "uses-string.lua"
    uses_string.write_text('return {status = "Healthy", message = string.format("%d ready", 2)}')
    assert "error" in health(uses_string, {"kind": "X", "metadata": {"name": "x"}}, runtime)


# Library tables Argo CD does not open for argocd-cm checks, and method calls on strings.
STRING_LITERAL = re.compile(r'"[^"]*"|\'[^\']*\'')
WITHHELD = re.compile(r"\b(string|math|os|io|debug|coroutine|utf8)\s*\.|\brequire\s*\(|[\w\)\]\"']\s*:\s*\w+\s*\(")


@pytest.mark.parametrize("script", sorted(p.name for p in ARGOCD_DIR.glob("*.lua")))
def test_checks_use_only_the_base_and_table_libraries(script: str) -> None:
    lines = (ARGOCD_DIR / script).read_text().splitlines()
    code = [STRING_LITERAL.sub('""', line).split("--", 1)[0] for line in lines]
    offending = [line for line in code if WITHHELD.search(line)]
    assert not offending, f"{script} uses what Argo CD's sandbox withholds: {offending}"
