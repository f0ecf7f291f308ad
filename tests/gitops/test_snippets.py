"""docs/gitops.md says what the tests check: its argocd-cm snippet is exactly gitops/argocd/, and its
tables of verdicts are tests/gitops/phases.py.

The Argo CD checks are shipped three times: the snippet users paste, the files, and the Helm chart's
copies in files/argocd/ (compared in tests/helm/test_chart.py, rendered there too).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.gitops import phases

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


def _first_word(cell: str) -> str:
    return re.findall(r"[A-Za-z]+", cell)[0]


def _table_verdicts(heading: str) -> dict[str, tuple[str, str]]:
    """phase key -> (Argo CD, kstatus) from the docs table whose header starts with ``heading``."""
    text = DOC.read_text()
    table = text[text.index(f"| {heading}") :].split("\n\n", 1)[0]
    verdicts: dict[str, tuple[str, str]] = {}
    for row in table.splitlines()[2:]:
        phase, _, argocd, kstatus = (cell.strip() for cell in row.strip("|").split(" | "))
        for key in re.findall(r"`([a-z0-9-]+)`", phase):
            verdicts[key] = (_first_word(argocd), _first_word(kstatus))
    return verdicts


@pytest.mark.parametrize(
    ("heading", "table"), [("phase (ScaleSet)", phases.SCALESET), ("phase (ScaleSetOperation)", phases.OPERATION)]
)
def test_docs_tables_are_the_tested_verdicts(heading: str, table: dict[str, phases.Verdict]) -> None:
    documented = _table_verdicts(heading)
    tested = {phase: (v.argocd, v.kstatus) for phase, v in table.items()}
    assert documented == tested, "docs/gitops.md's table and tests/gitops/phases.py disagree"
