"""The CRD against the SDK's scale set model: every property a PUT can set is in the ScaleSet CRD
under Azure's name and nesting, or listed with its reason in docs/api-coverage.md.

Run with ``-s`` to see the figures (covered / settable)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from azure.mgmt.compute import models as sdk
from azure.mgmt.compute._utils.model_base import SdkJSONEncoder

from scaleset_operator.api import crd
from scaleset_operator.backends.azure import mapping
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.wire import TOP_LEVEL
from tests.api.maximal import SECRETS, maximal_spec
from tests.api.sdk_model import rest_names, settable_paths

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-coverage.md"
OPERATOR_FIELDS = {"azure", "deletionPolicy", "paused", "rolloutPolicy", "capacityOwner", "autoscale"}
"""The operator's own knobs: in the CRD, not in Azure's scale set model (``autoscale`` is Azure's
``Microsoft.Insights/autoscaleSettings``, a resource of its own: tests/api/test_autoscale.py)."""
SECRET_REFS = {
    "adminPasswordSecretRef": "adminPassword",
    "userDataSecretRef": "userData",
    "protectedSettingsSecretRef": "protectedSettings",
}
"""Secrets come from Secret references: the CRD field -> the Azure property it fills."""
RESOURCE_TOP = {"location", "tags", "sku", "zones", "identity", "plan", "extendedLocation", "placement"}


def crd_leaves(schema: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the CRD schema's leaves (list items and map values are transparent)."""
    while schema.get("type") == "array" or isinstance(schema.get("additionalProperties"), dict):
        schema = schema.get("items") or schema["additionalProperties"]
    properties = schema.get("properties")
    if not properties or schema.get("x-kubernetes-preserve-unknown-fields"):
        yield prefix.rstrip(".")
        return
    for name, child in properties.items():
        if name in SECRET_REFS:  # a Secret reference fills one Azure property
            yield f"{prefix}{SECRET_REFS[name]}"
        else:
            yield from crd_leaves(child, f"{prefix}{name}.")


def azure_path(spec_path: str) -> str:
    """``spec`` is flat; Azure nests everything but the resource's top-level fields in ``properties``."""
    head = spec_path.split(".", 1)[0]
    return spec_path if head in RESOURCE_TOP else f"properties.{spec_path}"


def covered_paths() -> set[str]:
    spec = crd.scaleset_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return {azure_path(p) for p in crd_leaves(spec) if p.split(".", 1)[0] not in OPERATOR_FIELDS}


def exceptions() -> dict[str, str]:
    """docs/api-coverage.md's exception table: ``| `path` | reason |``."""
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \|$", DOC.read_text(), flags=re.MULTILINE)
    return dict(rows)


def test_every_settable_property_is_covered_or_listed_with_a_reason() -> None:
    settable = set(settable_paths())
    covered = covered_paths()
    listed = exceptions()
    missing = sorted(settable - covered - set(listed))
    assert not missing, f"settable in the SDK, neither in the CRD nor in docs/api-coverage.md: {missing}"
    assert not sorted(covered - settable), "CRD fields that are not Azure properties (typo or wrong nesting)"
    assert not sorted(set(listed) & covered), "listed as exceptions but covered: update docs/api-coverage.md"
    assert not sorted(set(listed) - settable), "exceptions that are not settable SDK properties"
    assert all(len(reason) > 20 for reason in listed.values()), "each exception needs a real reason"
    print(f"\ncovered {len(covered & settable)} of {len(settable)} settable properties; exceptions: {len(listed)}")


def test_the_doc_states_the_figures_the_test_measures() -> None:
    settable, covered = set(settable_paths()), covered_paths()
    figures = f"**{len(covered & settable)} of the {len(settable)}**"
    assert figures in DOC.read_text(), f"docs/api-coverage.md should say {figures}"


def unknown_names(cls: type[sdk.VirtualMachineScaleSet] | Any, body: Any, where: str = "") -> Iterator[str]:
    """Keys of an ARM body that the SDK model does not know (at any depth)."""
    if isinstance(body, list):
        for item in body:
            yield from unknown_names(cls, item, where)
        return
    if not isinstance(body, dict) or cls is None:
        return
    names = rest_names(cls)
    for key, value in body.items():
        if key not in names:
            yield f"{where}{key}"
        elif names[key] is not None:
            nested = value.values() if isinstance(value, dict) and _is_map(cls, key) else [value]
            for item in nested:
                yield from unknown_names(names[key], item, f"{where}{key}.")


def _is_map(cls: Any, key: str) -> bool:
    return key in ("userAssignedIdentities",)


def test_the_maximal_body_uses_only_names_the_sdk_knows_and_survives_its_serializer() -> None:
    """The mapping hands Azure's JSON to the SDK model: a misspelt name would pass through silently."""
    model = desired_model(maximal_spec(), secrets=SECRETS)
    body = mapping.scale_set(model, 3)
    sent = json.loads(json.dumps(body, cls=SdkJSONEncoder, exclude_readonly=True))
    assert not list(unknown_names(sdk.VirtualMachineScaleSet, sent))
    assert set(TOP_LEVEL) <= set(sent), "identity, plan, extendedLocation and placement sit at the top"
