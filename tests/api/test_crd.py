"""The CRDs in crds/ are generated from the pydantic models, and stay that way."""

from __future__ import annotations

from pathlib import Path

import yaml

from scaleset_operator.api import crd
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
