"""Spec-shaped documents merged and compared field by field: what a spec sets, what a push keeps of
what others set, what it releases, and what counts as different (Azure's case-insensitive IDs,
defaults Azure applies itself)."""

from __future__ import annotations

from typing import Any

import pytest

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud import merge
from tests.planner.specs import make_spec

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
IDENTITY = f"{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web"
HEALTH = {"name": "health", "properties": {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux"}}
AGENT = {"name": "monitor", "properties": {"publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorLinuxAgent"}}
EXTENSIONS = ("virtualMachineProfile", "extensionProfile", "extensions")


def profile(**fields: Any) -> dict[str, Any]:
    return {"virtualMachineProfile": fields}


def test_a_spec_sets_its_defaults_and_not_its_empty_fields() -> None:
    doc = merge.document(make_spec())
    assert doc["orchestrationMode"] == "Uniform", "a default is a choice (a dump would leave it out)"
    assert doc["virtualMachineProfile"]["priority"] == "Regular"
    assert "tags" not in doc and "zones" not in doc and "identity" not in doc, "empty and None are not set"


MERGES: list[tuple[str, dict[str, Any], dict[str, Any], frozenset[str], dict[str, Any]]] = [
    ("the spec's value wins", {"zoneBalance": True}, {"zoneBalance": False}, frozenset(), {"zoneBalance": False}),
    ("what the spec does not set is kept", {"zoneBalance": True}, {}, frozenset(), {"zoneBalance": True}),
    (
        "objects merge field by field",
        {"automaticRepairsPolicy": {"enabled": True, "gracePeriod": "PT30M"}},
        {"automaticRepairsPolicy": {"enabled": False}},
        frozenset(),
        {"automaticRepairsPolicy": {"enabled": False, "gracePeriod": "PT30M"}},
    ),
    (
        "tags others set are kept, the spec's written over them",
        {"tags": {"costCenter": "42", "env": "dev"}},
        {"tags": {"env": "prod"}},
        frozenset(),
        {"tags": {"costCenter": "42", "env": "prod"}},
    ),
    (
        "a tag the spec declared before and dropped is released",
        {"tags": {"costCenter": "42", "env": "dev"}},
        {},
        frozenset({"tags[env]"}),
        {"tags": {"costCenter": "42"}},
    ),
    (
        "an extension another tool installed is kept (as ASO does)",
        profile(extensionProfile={"extensions": [AGENT]}),
        profile(extensionProfile={"extensions": [HEALTH]}),
        frozenset(),
        profile(extensionProfile={"extensions": [HEALTH, AGENT]}),
    ),
    (
        "a released extension is removed",
        profile(extensionProfile={"extensions": [HEALTH, AGENT]}),
        profile(extensionProfile={"extensions": [AGENT]}),
        frozenset({"virtualMachineProfile.extensionProfile.extensions[name=health]"}),
        profile(extensionProfile={"extensions": [AGENT]}),
    ),
    (
        "items merge by key, field by field",
        profile(storageProfile={"dataDisks": [{"lun": 0, "diskSizeGB": 32, "caching": "ReadOnly"}]}),
        profile(storageProfile={"dataDisks": [{"lun": 0, "diskSizeGB": 64}]}),
        frozenset(),
        profile(storageProfile={"dataDisks": [{"lun": 0, "diskSizeGB": 64, "caching": "ReadOnly"}]}),
    ),
    (
        "map keys that are ARM IDs match in any case",
        {"identity": {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY.upper(): {}}}},
        {"identity": {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}}},
        frozenset(),
        {"identity": {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}}},
    ),
    ("an empty list in the spec is not set", {"zones": ["1", "2"]}, {"zones": []}, frozenset(), {"zones": ["1", "2"]}),
]


@pytest.mark.parametrize(("case", "observed", "desired", "released", "expected"), MERGES, ids=[m[0] for m in MERGES])
def test_merge(
    case: str, observed: dict[str, Any], desired: dict[str, Any], released: frozenset[str], expected: dict[str, Any]
) -> None:
    assert merge.merge(ScaleSetSpec, observed, desired, released) == expected


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    return [(d.path, d.pattern, d.old, d.new) for d in merge.differences(ScaleSetSpec, old, new)]


def test_differences_are_leaves_and_keyed_items() -> None:
    old = {
        "sku": {"name": "Standard_D2s_v5", "tier": "Standard"},
        "tags": {"app.kubernetes.io/name": "web"},
        **profile(
            extensionProfile={"extensions": [AGENT]}, storageProfile={"dataDisks": [{"lun": 0, "diskSizeGB": 32}]}
        ),
    }
    new = {
        "sku": {"name": "Standard_D4s_v5", "tier": "Standard"},
        "tags": {"app.kubernetes.io/name": "api"},
        **profile(
            extensionProfile={"extensions": [HEALTH]}, storageProfile={"dataDisks": [{"lun": 0, "diskSizeGB": 64}]}
        ),
    }
    disks = "virtualMachineProfile.storageProfile.dataDisks"
    extensions = "virtualMachineProfile.extensionProfile.extensions"
    assert _diff(old, new) == [
        ("tags[app.kubernetes.io/name]", "tags[]", "web", "api"),
        ("sku.name", "sku.name", "Standard_D2s_v5", "Standard_D4s_v5"),
        (f"{disks}[lun=0].diskSizeGB", f"{disks}[].diskSizeGB", 32, 64),
        (f"{extensions}[name=monitor]", f"{extensions}[]", AGENT, None),
        (f"{extensions}[name=health]", f"{extensions}[]", None, HEALTH),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            {"proximityPlacementGroup": {"id": f"{SUB.upper()}/providers/x/ppg"}},
            {"proximityPlacementGroup": {"id": f"{SUB}/providers/x/ppg"}},
        ),
        ({}, {"orchestrationMode": "Uniform"}),  # Azure's default, which an absent value means
        (profile(priority="Regular"), {}),
        ({"zones": []}, {}),
    ],
    ids=["ARM IDs in any case", "absent is Azure's default", "the default is absent", "empty is unset"],
)
def test_what_is_not_a_difference(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert _diff(old, new) == []


def test_entries_are_keyed_items_and_map_entries_nested_too() -> None:
    nic = {"name": "nic", "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": "s"}}}]}}
    doc = {"tags": {"env": "prod"}, **profile(networkProfile={"networkInterfaceConfigurations": [nic]})}
    nics = "virtualMachineProfile.networkProfile.networkInterfaceConfigurations[name=nic]"
    assert merge.entries(ScaleSetSpec, doc) == {"tags[env]", nics, f"{nics}.properties.ipConfigurations[name=ip]"}
