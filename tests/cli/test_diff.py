"""``scaleset-operator diff``: the verdict on a live object and its dry-run result (the e2e test runs the
command against the API server: tests/e2e/test_rollouts.py)."""

from __future__ import annotations

from typing import Any

from scaleset_operator.cli.diff import verdict
from tests.planner.specs import spec_dict

INSTANCES = [
    {"name": "web000000"},
    {"name": "web000001", "protectFromScaleSetActions": True},
    {"name": "web000002"},
]


def obj(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "prod"}, "spec": spec_dict(**spec), "status": status or {}}


def test_a_disk_resize_needs_a_reimage_on_each_unprotected_instance() -> None:
    live = obj({"instances": INSTANCES})
    found = verdict(live, obj(**{"virtualMachineProfile.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]}))
    assert (found.classification, found.disruption, found.held) == ("ReimageRequired", "Restart", False)
    assert found.reimageInstances == ["web000000", "web000002"]
    assert found.changes == [
        {
            "path": "virtualMachineProfile.storageProfile.dataDisks[lun=0].diskSizeGB",
            "old": 32,
            "new": 64,
            "impact": "ReimageNeeded",
            "reason": found.changes[0]["reason"],
        }
    ]


def test_capacity_only_and_no_change() -> None:
    assert verdict(obj(), obj(**{"sku.capacity": 9})).classification == "CapacityOnly"
    assert verdict(obj(), obj()).classification == "NoChange"


def test_a_change_beyond_max_disruption_would_be_held() -> None:
    live = obj(**{"rolloutPolicy.maxDisruption": "None"})
    found = verdict(live, obj(**{"rolloutPolicy.maxDisruption": "None", "sku.name": "Standard_D4s_v5"}))
    assert (found.classification, found.disruption, found.held) == ("ModelUpgrade", "Restart", True)
