"""``scaleset-operator import`` on both backends, run as a user runs it (the CLI, reading the scale
set through the SDK against the ARM endpoint, or from a simulator's admin endpoint): the manifest
holds no secret, and applying it is a no-op: zero writes to the scale set (the figures are printed
with ``-s``)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cli import main
from scaleset_operator.simulator.admin_server import bound_port, start_admin_server
from scaleset_operator.simulator.arm import ArmEndpoint

from .. import outside
from ..scenarios import MemoryKube, Run, World
from .conftest import TOKEN
from .test_adoption import KEY
from .test_arm_resources import PASSWORD, PROTECTED, RG, SUB, production_scale_set

USER_DATA = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()


@pytest_asyncio.fixture(loop_scope="session")
async def source(world: World, arm_endpoint: ArmEndpoint, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """The import command's backend flags for this world (the fake one's admin endpoint is started here)."""
    if world.arm is not None:
        monkeypatch.setenv("SCALESET_AZURE_CREDENTIAL", "static")
        monkeypatch.setenv("SCALESET_AZURE_TOKEN", TOKEN)
        yield [
            "--backend",
            "azure",
            "--azure-base-url",
            arm_endpoint.url,
            "--azure-ca-bundle",
            str(arm_endpoint.ca_path),
        ]
        return
    runner = await start_admin_server(world.cloud, port=0)
    yield ["--backend", "fake", "--sim-url", f"http://127.0.0.1:{bound_port(runner)}"]
    await runner.cleanup()


def _import(argv: list[str], output: Path) -> tuple[int, str]:
    code = main(argv)
    return code, output.read_text() if output.exists() else ""


async def imported(source: list[str], output: Path, *extra: str) -> tuple[int, str]:
    """The CLI in a thread of its own (it runs its own event loop, as from a shell)."""
    argv = ["import", "--subscription", SUB, "--resource-group", RG, "--name", KEY.name, "-o", str(output), *source]
    return await asyncio.to_thread(_import, [*argv, *extra], output)


async def test_applying_an_imported_manifest_writes_nothing(world: World, source: list[str], tmp_path: Path) -> None:
    await outside.create(world, KEY, production_scale_set("Flexible", capacity=2))
    code, text = await imported(source, tmp_path / "web.yaml")
    assert code == 0
    for secret in (PASSWORD, PROTECTED, USER_DATA):
        assert secret not in text, "no secret value in the manifest"
    manifest = yaml.safe_load(text)
    spec = manifest["spec"]
    assert (spec["adopt"], spec["deletionPolicy"], spec["managementPolicy"]) == (True, "Orphan", "Manage")
    assert spec["virtualMachineProfile"]["osProfile"]["adminPasswordSecretRef"] == {
        "name": "web-secrets",
        "key": "adminPassword",
    }
    assert "# TODO: create Secret web-secrets with key adminPassword" in text
    assert "securityProfile" in spec["virtualMachineProfile"] and "identity" in spec, "the whole model"

    secrets: dict[tuple[str, str, str], str] = {("default", "web-secrets", "adminPassword"): PASSWORD}
    if "userDataSecretRef" in spec["virtualMachineProfile"]:
        secrets[("default", "web-secrets", "userData")] = USER_DATA
    marker, http = world.cloud.calls.marker(), world.arm.requests.marker() if world.arm is not None else 0
    run = Run(world, ScaleSetSpec.model_validate(spec), name=manifest["metadata"]["name"], kube=MemoryKube(secrets))
    await run.converge()
    run.restart()  # an operator restart
    await run.run_for(600, tick=120)

    engine = world.cloud.calls.writes_since(marker, KEY)
    arm = world.arm.requests.summary(http)["writes"] if world.arm is not None else 0
    print(f"\n{world.name}: writes after applying the imported manifest: {engine} backend calls, {arm} ARM requests")
    assert (engine, arm) == (0, 0)
    assert run.condition("ModelDrifted")[:2] == ("False", "InSync")  # type: ignore[index]
    assert run.status.management is not None and run.status.management.origin == "Adopted"


async def test_import_names_what_it_cannot_find(world: World, source: list[str], tmp_path: Path, capsys: Any) -> None:
    code, _ = await imported(source, tmp_path / "missing.yaml")
    assert code == 1
    assert "web" in capsys.readouterr().err
