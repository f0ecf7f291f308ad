"""Azure's refusals at apply time: the API server (the generated CRD's CEL rules) refuses every
manifest of ``tests/azure_rules.py`` that Azure would refuse and CEL can see, naming the field and
the rule, and accepts the nearest valid manifest of each. One ``kubectl apply`` for all the invalid
ones and one for all the valid ones (server-side dry run: the API server validates, stores nothing)."""

from __future__ import annotations

import re

import yaml

from scaleset_operator.localcp import Kubectl
from tests.azure_rules import CEL_ROWS


def _apply(kubectl: Kubectl, namespace: str, manifests: list[dict[str, object]]) -> tuple[int, str]:
    result = kubectl("apply", "--dry-run=server", "-n", namespace, "-f", "-", input=yaml.safe_dump_all(manifests))
    return result.returncode, result.stdout + result.stderr


def test_the_api_server_refuses_what_azure_refuses_and_accepts_the_valid_side(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str
) -> None:
    del scaleset_crds
    code, output = _apply(kubectl, namespace, [row.manifest(valid=True) for row in CEL_ROWS])
    assert code == 0, output
    for row in CEL_ROWS:
        assert re.search(rf"\b{re.escape(row.name(True))}\b.*created \(server dry run\)", output), (row.id, output)

    code, output = _apply(kubectl, namespace, [row.manifest(valid=False) for row in CEL_ROWS])
    assert code != 0
    errors = {line for line in output.splitlines() if "is invalid" in line}
    for row in CEL_ROWS:
        found = [line for line in errors if f'"{row.name(False)}" is invalid' in line]
        assert found, f"{row.id}: not refused:\n{output}"
        assert row.cel is not None and row.cel in found[0], f"{row.id}: {row.cel!r} not in {found[0]}"
        assert "spec" in found[0], f"{row.id}: the field is not named: {found[0]}"
    assert len(errors) == len(CEL_ROWS), "one refusal per invalid manifest"
