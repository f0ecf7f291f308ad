"""The change preview: every class of field change, what the operator will do (disruption), and the
``maxDisruption`` hold. ``judge`` is what both ``status.changePreview`` and ``scaleset-operator
diff`` print."""

from __future__ import annotations

from typing import Any

import pytest

from scaleset_operator.api.rollout_status import ChangePreview, RevisionRecord
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.changes import classify
from scaleset_operator.planner import change_preview, revisions
from scaleset_operator.planner.inputs import RevisionData
from tests.planner.builders import facts, scale_set
from tests.planner.specs import changed, make_spec

BASE = make_spec(**{"sku.capacity": 5})
VM = "virtualMachineProfile"

CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str]] = [
    # (case, spec before (overrides), the change (overrides), classification, disruption)
    ("nothing", {}, {}, "NoChange", "None"),
    ("capacity", {}, {"sku.capacity": 9}, "CapacityOnly", "None"),
    ("the operator's own knob", {}, {"rolloutPolicy.healthTimeout": "PT9M"}, "NoInstanceImpact", "None"),
    ("a scale-set setting", {}, {"overprovision": True}, "NoInstanceImpact", "None"),
    ("a zone added", {"zones": ["1"]}, {"zones": ["1", "2"]}, "NoInstanceImpact", "None"),
    ("OS profile: new instances only", {}, {f"{VM}.osProfile.adminUsername": "ops"}, "NewInstancesOnly", "None"),
    ("SKU size: in-place upgrade", {}, {"sku.name": "Standard_D4s_v5"}, "ModelUpgrade", "Restart"),
    (
        "an extension: in-place upgrade",
        {},
        {
            f"{VM}.extensionProfile.extensions": [
                {"name": "e", "properties": {"publisher": "p", "type": "t", "typeHandlerVersion": "1.0"}}
            ]
        },
        "ModelUpgrade",
        "Restart",
    ),
    (
        "image version: the OS disk is rebuilt",
        {},
        {f"{VM}.storageProfile.imageReference.version": "2024.03.20"},
        "ModelUpgrade",
        "Reimage",
    ),
    (
        "data disk size: reimage required",
        {},
        {f"{VM}.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]},
        "ReimageRequired",
        "Restart",
    ),
    (
        "OS disk size: reimage required",
        {},
        {f"{VM}.storageProfile.osDisk.diskSizeGB": 64},
        "ReimageRequired",
        "Restart",
    ),
    (
        "data disk size with reimageAllOnDiskDrift",
        {"rolloutPolicy.reimageAllOnDiskDrift": True},
        {f"{VM}.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]},
        "ReimageRequired",
        "Replace",
    ),
    (
        "maxSurge replaces instances",
        {"upgradePolicy.rollingUpgradePolicy.maxSurge": True},
        {"sku.name": "Standard_D4s_v5"},
        "ModelUpgrade",
        "Replace",
    ),
    (
        "Manual mode touches nothing by itself",
        {"upgradePolicy.mode": "Manual"},
        {"sku.name": "Standard_D4s_v5"},
        "ModelUpgrade",
        "None",
    ),
    (
        "an immutable field",
        {},
        {f"{VM}.storageProfile.osDisk.managedDisk.storageAccountType": "Premium_LRS"},
        "Refused",
        "None",
    ),
    (
        "the worst change wins",
        {},
        {
            "sku.capacity": 9,
            f"{VM}.osProfile.adminUsername": "ops",
            f"{VM}.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}],
        },
        "ReimageRequired",
        "Restart",
    ),
]


@pytest.mark.parametrize(("case", "before", "change", "kind", "disruption"), CASES, ids=[c[0] for c in CASES])
def test_judge(case: str, before: dict[str, Any], change: dict[str, Any], kind: str, disruption: str) -> None:
    old = changed(BASE, **before)
    new = changed(old, **change)
    judged = change_preview.judge(new, classify(old, new), old.sku.capacity)
    assert (judged.kind, judged.disruption) == (kind, disruption)


def test_the_message_says_what_it_does_and_why() -> None:
    new = changed(BASE, **{f"{VM}.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]})
    judged = change_preview.judge(new, classify(BASE, new), 5)
    assert judged.message.startswith(
        "reimage required (Rolling upgrade, then a reimage to apply it) (disruption Restart)"
    )
    assert "dataDisks[lun=0].diskSizeGB: the upgrade marks instances up to date" in judged.message


def preview_of(old: ScaleSetSpec, new: ScaleSetSpec, **status: Any) -> ChangePreview | None:
    """The preview of generation 2 (``new``) against revision 1 (``old``)."""
    first = RevisionRecord(revision=1, name="web-1", hash=revisions.spec_hash(old), createdTime="t")
    given = facts(
        scale_set(5),
        spec=new,
        status=ScaleSetStatus(revisions=[first], **status),
        base_revision=RevisionData("web-1", revisions.model_data(old)),
    )
    return change_preview.step(given)


HOLDS: list[tuple[str, str, dict[str, Any], bool]] = [
    ("Restart under Restart", "Restart", {"sku.name": "Standard_D4s_v5"}, False),
    ("Reimage over Restart: held", "Restart", {f"{VM}.storageProfile.imageReference.version": "2024.03.20"}, True),
    ("anything under Replace", "Replace", {f"{VM}.storageProfile.imageReference.version": "2024.03.20"}, False),
    ("None holds an upgrade", "None", {"sku.name": "Standard_D4s_v5"}, True),
    ("None lets capacity through", "None", {"sku.capacity": 9}, False),
    (
        "a refused change is always held",
        "Replace",
        {f"{VM}.storageProfile.osDisk.managedDisk.storageAccountType": "Premium_LRS"},
        True,
    ),
]


@pytest.mark.parametrize(("case", "limit", "change", "held"), HOLDS, ids=[c[0] for c in HOLDS])
def test_max_disruption_holds(case: str, limit: str, change: dict[str, Any], held: bool) -> None:
    old = changed(BASE, **{"rolloutPolicy.maxDisruption": limit})
    preview = preview_of(old, changed(old, **change))
    assert preview is not None and preview.held == held
    assert revisions.holding(preview, changed(old, **change)) == held


def test_the_preview_names_the_instances_a_reimage_is_needed_on() -> None:
    new = changed(BASE, **{f"{VM}.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]})
    preview = preview_of(BASE, new)
    assert preview is not None and preview.classification == "ReimageRequired" and preview.baseRevision == 1
    assert preview.reimageInstances == [f"web{i:06d}" for i in range(5)]
    assert [c.path for c in preview.changes] == [f"{VM}.storageProfile.dataDisks[lun=0].diskSizeGB"]


def test_a_preview_is_made_once_per_generation() -> None:
    new = changed(BASE, **{"sku.name": "Standard_D4s_v5"})
    first = preview_of(BASE, new)
    kept = preview_of(BASE, changed(BASE, **{"sku.name": "Standard_D8s_v5"}), changePreview=first)
    assert kept == first


def test_the_first_model_and_settings_changes() -> None:
    assert preview_of(BASE, BASE) is None, "nothing changed since the first model: no preview"
    settings = preview_of(BASE, changed(BASE, overprovision=True))
    assert settings is not None and (settings.classification, settings.disruption) == ("NoInstanceImpact", "None")
    assert [c.path for c in settings.changes] == ["(scale-set settings)"]
