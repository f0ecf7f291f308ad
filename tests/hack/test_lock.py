"""The lock files (requirements/*.txt, ``make lock``) are complete, hashed, and what runs.

The image installs requirements/runtime.txt, ``make setup`` (and so CI) requirements/dev.txt, both
with ``--require-hashes``. These checks need no network: the stamp in each file says which
pyproject.toml inputs it was compiled from, and the environment running this test was installed
from the lock.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCKS = ("runtime.txt", "dev.txt", "build.txt")


def _lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lock", REPO / "hack" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def locked(name: str) -> dict[str, tuple[Requirement, list[str]]]:
    """canonical name -> (the pinned requirement with its marker, its hashes)."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    current: str | None = None
    for line in (REPO / "requirements" / name).read_text().splitlines():
        text = line.strip().rstrip("\\").strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("--hash=sha256:"):
            assert current is not None, line
            entries[current][1].append(text.removeprefix("--hash=sha256:"))
            continue
        requirement = Requirement(text)
        current = canonicalize_name(requirement.name)
        assert current not in entries, f"{name}: {current} listed twice"
        entries[current] = (requirement, [])
    return entries


def pin(requirement: Requirement) -> str:
    (specifier,) = requirement.specifier
    assert specifier.operator == "==", requirement
    return specifier.version


def test_lock_files_are_compiled_from_pyproject_as_it_is() -> None:
    assert _lock_module().check() == [], "pyproject.toml changed since the lock files were compiled: run `make lock`"


@pytest.mark.parametrize("name", LOCKS)
def test_every_locked_requirement_is_one_version_with_its_hashes(name: str) -> None:
    entries = locked(name)
    assert entries
    for package, (requirement, hashes) in entries.items():
        assert not requirement.url and not requirement.extras, (name, package)
        pin(requirement)
        assert hashes and all(len(h) == 64 for h in hashes), f"{name}: {package} has no sha256"


def test_the_pyproject_pins_are_the_locked_versions() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    for lock, requirements in (
        ("runtime.txt", pyproject["project"]["dependencies"]),
        ("dev.txt", pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["dev"]),
        ("build.txt", pyproject["build-system"]["requires"]),
    ):
        entries = locked(lock)
        for text in requirements:
            requirement = Requirement(text)
            name = canonicalize_name(requirement.name)
            assert name in entries, f"{text} is not in requirements/{lock}"
            assert pin(entries[name][0]) == pin(requirement), f"{text} vs requirements/{lock}"


def test_what_is_tested_is_what_ships() -> None:
    # dev.txt is compiled with runtime.txt as constraints, build.txt with dev.txt: one version each.
    runtime, dev, build = (locked(name) for name in LOCKS)
    assert set(runtime) <= set(dev)
    for first, second in ((runtime, dev), (dev, build)):
        for package in set(first) & set(second):
            assert pin(first[package][0]) == pin(second[package][0]), package
    # ... and the environment running this test was installed from them (make setup).
    for package, (requirement, _) in {**dev, **build}.items():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        installed = importlib.metadata.version(package)
        assert installed == pin(requirement), f"{package} {installed} is installed, the lock says {pin(requirement)}"
