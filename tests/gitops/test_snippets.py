"""The Argo CD checks are shipped three times; all three must be the files in gitops/argocd/.

docs/gitops.md shows the argocd-cm snippet users paste; the Helm chart carries copies in
files/argocd/ (compared in tests/helm/test_chart.py, rendered there too). Here: the docs.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "gitops.md"


def argocd_cm_from_docs() -> dict[str, str]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    configmaps = [yaml.safe_load(b) for b in blocks if "name: argocd-cm" in b]
    assert len(configmaps) == 1, f"expected one argocd-cm snippet in {DOC}, found {len(configmaps)}"
    data: dict[str, str] = configmaps[0]["data"]
    return data


def test_docs_snippet_is_exactly_the_shipped_lua() -> None:
    data = argocd_cm_from_docs()
    expected = {
        f"resource.customizations.health.{path.stem}": path.read_text()
        for path in sorted((REPO_ROOT / "gitops" / "argocd").glob("*.lua"))
    }
    assert set(data) == set(expected)
    for key, lua in expected.items():
        assert data[key] == lua, f"{key} in {DOC} differs from gitops/argocd/: paste the file again"
