"""Drift: each kind of difference, the fix it needs, and the line users read."""

from __future__ import annotations

from typing import Any

import pytest

from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.observed import ObservedImage
from scaleset_operator.planner.drift import Drift, Fix, differences, needs_reimage, needs_reimage_all
from tests.planner.builders import MODEL, instance
from tests.planner.specs import UBUNTU, make_spec

PINNED = desired_model(
    make_spec(**{"virtualMachineProfile.storageProfile.imageReference": {**UBUNTU, "version": "1.2.0"}})
)
UPGRADE, REIMAGE, REIMAGE_ALL = Fix.UPGRADE, Fix.REIMAGE, Fix.REIMAGE_ALL

CASES: list[tuple[str, dict[str, Any], Any, str | None, list[tuple[Drift, Fix, str]]]] = [
    ("matches", {}, MODEL, "2024.02.15", []),
    (
        "stale model",
        {"latest_model_applied": False},
        MODEL,
        None,
        [(Drift.MODEL, UPGRADE, "model: latestModelApplied is false (needs UpgradeInstances)")],
    ),
    (
        "a newer latest image",
        {},
        MODEL,
        "2024.03.01",
        [(Drift.IMAGE, REIMAGE, "image: 2024.02.15 != 2024.03.01 (needs Reimage)")],
    ),
    (
        "a pinned image",
        {"image": ObservedImage("1.1.0")},
        PINNED,
        None,
        [(Drift.IMAGE, UPGRADE, "image: 1.1.0 != 1.2.0 (needs UpgradeInstances)")],
    ),
    (
        "disk size",
        {"data_disks": {0: 16}},
        MODEL,
        None,
        [(Drift.DATA_DISK_SIZE, REIMAGE_ALL, "dataDisks[lun=0].diskSizeGB: 16 != 32 (needs ReimageAll)")],
    ),
    (
        "disk missing",
        {"data_disks": {}},
        MODEL,
        None,
        [(Drift.DATA_DISK_MISSING, UPGRADE, "dataDisks[lun=0]: missing (needs UpgradeInstances)")],
    ),
    (
        "disk not in the model",
        {"data_disks": {0: 32, 1: 8}},
        MODEL,
        None,
        [(Drift.DATA_DISK_EXTRA, UPGRADE, "dataDisks[lun=1]: not in the model (needs UpgradeInstances)")],
    ),
    (
        "OS profile changed",
        {"os_profile_fingerprint": "old"},
        MODEL,
        None,
        [(Drift.OS_PROFILE, REIMAGE, "osProfile: changed since the instance was built (needs Reimage)")],
    ),
]


@pytest.mark.parametrize(("case", "overrides", "desired", "latest", "expected"), CASES, ids=[c[0] for c in CASES])
def test_differences(
    case: str, overrides: dict[str, Any], desired: Any, latest: str | None, expected: list[tuple[Drift, Fix, str]]
) -> None:
    diffs = differences(instance(**overrides), desired, latest)
    assert [(d.kind, d.fix, d.render()) for d in diffs] == expected


def test_what_only_a_reimage_fixes() -> None:
    assert needs_reimage(differences(instance(os_profile_fingerprint="old"), MODEL, None))
    assert not needs_reimage(differences(instance(latest_model_applied=False), MODEL, None))
    assert needs_reimage_all(differences(instance(data_disks={0: 16}), MODEL, None))
    assert not needs_reimage_all(differences(instance(os_profile_fingerprint="old"), MODEL, None))
