"""Helpers for end-to-end journeys: what a user does with kubectl, and what they then look at."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from scaleset_operator.localcp import Kubectl
from tests.overrides import with_overrides

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict[str, Any]:
    """The first ScaleSet document of ``examples/<name>.yaml``."""
    docs = [d for d in yaml.safe_load_all((EXAMPLES / f"{name}.yaml").read_text()) if d]
    return copy.deepcopy(next(d for d in docs if d["kind"] == "ScaleSet"))


def with_name(manifest: dict[str, Any], name: str, **spec: Any) -> dict[str, Any]:
    """``manifest`` renamed, with dotted-path overrides of its spec (``None`` removes a field)."""
    data = copy.deepcopy(manifest)
    data["metadata"]["name"] = name
    data["spec"] = with_overrides(data["spec"], **spec)
    return data


def get(kubectl: Kubectl, ns: str, name: str, kind: str = "vmss") -> dict[str, Any]:
    result: dict[str, Any] = kubectl.json("get", kind, name, "-n", ns)
    return result


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == kind), {})


def wait_ready(kubectl: Kubectl, ns: str, name: str, timeout: int = 60) -> dict[str, Any]:
    kubectl.ok("wait", f"vmss/{name}", "-n", ns, "--for=condition=Ready", f"--timeout={timeout}s")
    return get(kubectl, ns, name)


def eventually(
    probe: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 60.0, interval: float = 0.3
) -> Any:
    """Poll ``probe`` until ``check`` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not check(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        time.sleep(interval)
        value = probe()
    return value


def instances(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj.get("status", {}).get("instances", []))


def events(kubectl: Kubectl, ns: str, name: str) -> list[dict[str, Any]]:
    data = kubectl.json("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={name}")
    return sorted(data["items"], key=lambda e: e.get("firstTimestamp") or e.get("eventTime") or "")
