"""Where the control plane binaries are looked for, and what a user is told when they are missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaleset_operator.localcp import assets
from scaleset_operator.localcp.assets import AssetsNotFoundError, find_assets


def fake_assets(directory: Path, names: tuple[str, ...] = assets.SERVER_BINARIES) -> Path:
    directory.mkdir(parents=True)
    for name in names:
        binary = directory / name
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    return directory


@pytest.fixture(autouse=True)
def no_repo_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the repository cache invisible so only the environment variables are in play."""
    monkeypatch.setattr(assets, "find_repo_root", lambda start=None: None)
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    monkeypatch.delenv("SCALESET_ASSETS_DIR", raising=False)


def test_kubebuilder_assets_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(fake_assets(tmp_path / "envtest")))
    monkeypatch.setenv("SCALESET_ASSETS_DIR", str(fake_assets(tmp_path / "ours")))
    found = find_assets()
    assert (found.directory, found.source) == (tmp_path / "envtest", "KUBEBUILDER_ASSETS")
    assert found.kube_apiserver == tmp_path / "envtest" / "kube-apiserver"


def test_incomplete_directory_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(fake_assets(tmp_path / "half", ("etcd",))))
    monkeypatch.setenv("SCALESET_ASSETS_DIR", str(fake_assets(tmp_path / "ours")))
    assert find_assets().source == "SCALESET_ASSETS_DIR"


def test_missing_binaries_name_make_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(tmp_path / "nowhere"))
    with pytest.raises(AssetsNotFoundError, match="make setup") as raised:
        find_assets()
    assert str(tmp_path / "nowhere") in str(raised.value)


def test_versions_file_pins_the_cache_directory() -> None:
    root = Path(__file__).resolve().parents[2]
    versions = assets.pinned_versions(root)
    assert assets.cache_dir_name(versions) == "k8s-v1.36.3-etcd-v3.6.16"
