"""The CRDs in crds/ are generated from the pydantic models, and stay that way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from scaleset_operator.api import crd
from scaleset_operator.api.durations import ISO8601_DURATION_PATTERN
from scaleset_operator.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_crds_directory_is_not_stale() -> None:
    for generated in crd.all_crds():
        path = REPO / "crds" / crd.file_name(generated)
        assert path.read_text() == crd.render(generated), f"{path} is stale: run `make crds`"
    assert {p.name for p in (REPO / "crds").glob("*.yaml")} == {crd.file_name(c) for c in crd.all_crds()}


def test_crds_command_prints_them(capsys: object) -> None:
    assert main(["crds"]) == 0
    printed = list(yaml.safe_load_all(capsys.readouterr().out))  # type: ignore[attr-defined]
    assert [d["metadata"]["name"] for d in printed] == ["scalesets.scaleset.dev", "scalesetoperations.scaleset.dev"]


def test_schema_is_structural_and_carries_azure_defaults() -> None:
    schema = crd.scaleset_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    text = yaml.safe_dump(schema)
    assert "$ref" not in text and "anyOf" not in text and "additionalProperties: false" not in text
    spec = schema["properties"]["spec"]["properties"]
    rolling = spec["upgradePolicy"]["properties"]["rollingUpgradePolicy"]["properties"]
    assert spec["upgradePolicy"]["properties"]["mode"]["default"] == "Manual"
    assert (rolling["maxBatchInstancePercent"]["minimum"], rolling["maxBatchInstancePercent"]["maximum"]) == (5, 100)
    assert rolling["maxBatchInstancePercent"]["default"] == 20
    assert rolling["maxUnhealthyUpgradedInstancePercent"]["minimum"] == 0
    assert rolling["pauseTimeBetweenBatches"]["default"] == "PT0S"
    assert spec["sku"]["properties"]["capacity"]["maximum"] == 1000
    assert "adminPassword" not in spec["virtualMachineProfile"]["properties"]["osProfile"]["properties"]


def test_scale_subresource_and_printer_columns() -> None:
    version = crd.scaleset_crd()["spec"]["versions"][0]
    assert version["subresources"]["scale"] == {
        "specReplicasPath": ".spec.sku.capacity",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }
    names = [c["name"] for c in version["additionalPrinterColumns"] if not c.get("priority")]
    assert names == ["Desired", "Current", "Up-To-Date", "Ready", "Image", "Upgrade", "Age"]
    assert crd.scaleset_crd()["spec"]["names"]["shortNames"] == ["vmss"]


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node with its path (``spec.a.b``, ``[]`` for items)."""
    if not isinstance(node, dict):
        return
    yield path, node
    for name, prop in node.get("properties", {}).items():
        yield from _walk(prop, f"{path}.{name}" if path else name)
    if "items" in node:
        yield from _walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], f"{path}[*]")


def _schemas() -> dict[str, dict[str, Any]]:
    return {c["spec"]["names"]["kind"]: c["spec"]["versions"][0]["schema"]["openAPIV3Schema"] for c in crd.all_crds()}


def test_every_array_says_how_server_side_apply_merges_it() -> None:
    missing = [
        f"{kind}: {path}"
        for kind, schema in _schemas().items()
        for path, node in _walk(schema)
        if node.get("type") == "array" and node.get("x-kubernetes-list-type") not in ("atomic", "set", "map")
    ]
    assert not missing, missing
    spec = _schemas()["ScaleSet"]["properties"]["spec"]["properties"]
    assert spec["zones"]["x-kubernetes-list-type"] == "set"
    disks = spec["virtualMachineProfile"]["properties"]["storageProfile"]["properties"]["dataDisks"]
    assert (disks["x-kubernetes-list-type"], disks["x-kubernetes-list-map-keys"]) == ("map", ["lun"])
    assert spec["rolloutPolicy"]["properties"]["maintenanceWindows"]["x-kubernetes-list-type"] == "atomic"


def test_spec_patterns_are_checked_by_cel_rules_with_readable_messages() -> None:
    # A bare `pattern` makes the API server answer with the regular expression; every spec field's
    # pattern comes with a message (api/base.py pattern_message), which the generator turns into a rule.
    for kind, schema in _schemas().items():
        for path, node in _walk(schema["properties"]["spec"], "spec"):
            assert "pattern" not in node, f"{kind} {path}: give the pattern a message with pattern_message()"
            for rule in node.get("x-kubernetes-validations", []):
                assert rule["message"] and "^" not in rule["message"], (path, rule)
    pause = _schemas()["ScaleSet"]["properties"]["spec"]["properties"]["upgradePolicy"]["properties"][
        "rollingUpgradePolicy"
    ]["properties"]["pauseTimeBetweenBatches"]
    assert pause["x-kubernetes-validations"][0] == {
        "rule": f"self.matches(r'{ISO8601_DURATION_PATTERN}')",
        "message": "must be an ISO 8601 duration in days, hours, minutes and seconds, such as PT5M, PT1H30M or P1D",
    }
    assert pause["maxLength"] == 32, "CEL cost estimation needs a bound on the string"


def test_every_status_time_is_a_date_time() -> None:
    times = [
        (kind, path, node)
        for kind, schema in _schemas().items()
        for path, node in _walk(schema["properties"]["status"], "status")
        if path.rsplit(".", 1)[-1].endswith("Time")
    ]
    assert len(times) >= 12
    untyped = [f"{kind}: {path}" for kind, path, node in times if node.get("format") != "date-time"]
    assert not untyped, f"declare these as status.Timestamp: {untyped}"


# apimachinery's metav1.Condition as controller-gen writes it (k8s.io/apimachinery/pkg/apis/meta/v1).
METAV1_CONDITION = {
    "type": "object",
    "required": ["type", "status", "lastTransitionTime", "reason", "message"],
    "properties": {
        "type": {
            "type": "string",
            "maxLength": 316,
            "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        },
        "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
        "reason": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1024,
            "pattern": r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        },
        "message": {"type": "string", "maxLength": 32768},
        "lastTransitionTime": {"type": "string", "format": "date-time"},
        "observedGeneration": {"type": "integer", "minimum": 0},
    },
}


def test_conditions_have_the_full_metav1_condition_schema() -> None:
    for kind, schema in _schemas().items():
        conditions = schema["properties"]["status"]["properties"]["conditions"]
        assert (conditions["x-kubernetes-list-type"], conditions["x-kubernetes-list-map-keys"]) == ("map", ["type"])
        item = {k: v for k, v in conditions["items"].items() if k != "description"}
        assert item == METAV1_CONDITION, kind
