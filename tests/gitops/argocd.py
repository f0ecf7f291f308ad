"""Run an Argo CD Lua health check the way Argo CD runs a check added through ``argocd-cm``.

Argo CD (argo-cd ``util/lua``, ``VM.runLua`` with ``UseOpenLibs`` false, the default for argocd-cm
checks) runs the script in gopher-lua with only the package, base and table libraries, plus a "safe
os" (``time``, ``date``) that only ``require("os")`` reaches: no ``string``, no ``math``, no global
``os``, and no string methods (``("x"):len()``), since the string library is what gives strings
their metatable. Three runtimes judge the checks here:

- ``gopher-lua``: ``tools/argocd-health`` (built by ``make tools``), gopher-lua itself at the
  version argo-cd pins, set up as Argo CD sets it up and converting objects and results as it does;
- ``lupa.lua51`` and ``lupa`` (the newest Lua lupa ships): the same sandbox rebuilt in Lua below, so
  a check cannot lean on anything version-specific either.
"""

from __future__ import annotations

import importlib
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.fixtures.go_tools import require_go_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
ARGOCD_DIR = REPO_ROOT / "gitops" / "argocd"
SCALESET_LUA = ARGOCD_DIR / "scaleset.dev_ScaleSet.lua"
OPERATION_LUA = ARGOCD_DIR / "scaleset.dev_ScaleSetOperation.lua"

RUNTIMES = ("gopher-lua", "lupa.lua51", "lupa")

# What gopher-lua's base library defines (baselib.go baseFuncs and OpenBase), minus the two that
# read files; the sandbox keeps these globals, the table library and package, and drops the rest.
_SANDBOX = """
local keep = {}
for _, name in ipairs({
  "_G", "_VERSION", "assert", "collectgarbage", "error", "getfenv", "getmetatable", "ipairs", "load",
  "loadstring", "module", "newproxy", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawset",
  "require", "select", "setfenv", "setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall",
  "table", "package",
}) do keep[name] = true end
local safe_os = {time = os.time, date = os.date}
debug.setmetatable("", nil)  -- no string library, so strings have no methods
for _, name in ipairs({"string", "math", "os", "io", "debug", "coroutine", "utf8", "bit32"}) do
  package.loaded[name] = nil
end
package.preload.os = function() return safe_os end
package.path, package.cpath = "", ""
local searchers = package.searchers or package.loaders
for i = #searchers, 2, -1 do searchers[i] = nil end  -- only package.preload
local names = {}
for name in pairs(_G) do names[#names + 1] = name end
for _, name in ipairs(names) do
  if not keep[name] then _G[name] = nil end
end
"""


def lua_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:  # lupa is pinned in the dev extra: a missing runtime is a setup failure
        raise AssertionError(f"{name} is not available ({exc}): run `make setup`") from exc


def _lupa_health(module: str, script: Path, obj: dict[str, Any]) -> dict[str, str]:
    lua = lua_module(module).LuaRuntime(unpack_returned_tuples=True)
    lua.execute(_SANDBOX)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    try:
        result = lua.execute(script.read_text())
    except lua_module(module).LuaError as exc:
        return {"status": "", "message": "", "error": str(exc)}
    if result is None:
        return {"status": "", "message": ""}
    return {"status": str(result["status"] or ""), "message": str(result["message"] or "")}


def _gopher_health(script: Path, objects: list[dict[str, Any]]) -> list[dict[str, str]]:
    result = subprocess.run(
        [str(require_go_tool("argocd-health")), str(script)],
        input="\n".join(json.dumps(o) for o in objects),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(verdicts) == len(objects), result.stdout
    return [{k: v for k, v in verdict.items() if k in ("status", "message", "error")} for verdict in verdicts]


def health(script: Path, obj: dict[str, Any], runtime: str = "gopher-lua") -> dict[str, str]:
    """``{"status", "message"}`` as Argo CD records it, plus ``"error"`` when the script failed."""
    if runtime == "gopher-lua":
        return _gopher_health(script, [obj])[0]
    return _lupa_health(runtime, script, obj)
