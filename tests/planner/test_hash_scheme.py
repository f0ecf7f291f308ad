"""Hashes of another scheme (``planner/hash_scheme.py``): recognised once, never kept in status."""

from __future__ import annotations

from dataclasses import replace

from scaleset_operator.api.status import (
    BatchHistoryEntry,
    RollingUpgradeRunningStatus,
    RollingUpgradeStatus,
    RolloutRecord,
    RolloutResult,
    ScaleSetStatus,
)
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.cloud.secrets import HashKey
from scaleset_operator.planner import hash_scheme, model_sync
from tests.keys import TEST_KEY
from tests.planner.builders import facts, scale_set
from tests.planner.specs import changed, make_spec

SPEC = changed(make_spec(), **{"virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "s", "key": "k"}})
DESIRED = desired_model(SPEC, "Corr3ct-Horse", fingerprints=TEST_KEY)
LEGACY = DESIRED.legacy_model_hash()
OLDER = "0123456789abcdef"  # the legacy hash of a model before the current one
WHEN = "2026-01-05T11:00:00Z"


def _result(kind: str, target: str) -> RolloutResult:
    return RolloutResult(kind=kind, target=target, outcome="Faulted", startTime=WHEN, endTime=WHEN)  # type: ignore[arg-type]


def legacy_status(record_target: str = LEGACY) -> ScaleSetStatus:
    return ScaleSetStatus(
        modelHash=LEGACY,
        rollout=RolloutRecord(kind="ModelUpgrade", target=record_target, startTime=WHEN),
        lastRollouts=[_result("ModelUpgrade", OLDER), _result("OSUpgrade", "2024.02.15")],
        rollingUpgrade=RollingUpgradeStatus(
            kind="ModelUpgrade", target=LEGACY, runningStatus=RollingUpgradeRunningStatus(code="RollingForward")
        ),
        batchHistory=[
            BatchHistoryEntry(
                kind="ModelUpgrade",
                target=target,
                rolloutStartTime=WHEN,
                number=1,
                action="Upgrade",
                instanceIds=["0"],
                startTime=WHEN,
            )
            for target in (OLDER, LEGACY)
        ],
    )


def observed(model_hash: str | None, scheme: str | None) -> ObservedScaleSet:
    return replace(scale_set(SPEC.sku.capacity), model_hash=model_hash, hash_scheme=scheme)


def test_legacy_hashes_in_status_become_keyed_ones() -> None:
    migrated = hash_scheme.migrate_status(legacy_status(), observed(LEGACY, None), DESIRED)
    current = DESIRED.model_hash()
    assert migrated.rollout is not None and migrated.rollout.target == current, "the same model: its keyed hash"
    assert migrated.rollingUpgrade is not None and migrated.rollingUpgrade.target == current
    assert migrated.modelHash == current
    older, os_upgrade = migrated.lastRollouts
    assert older.target.startswith("superseded-") and OLDER not in older.target, "an older model: opaque"
    assert os_upgrade.target == "2024.02.15", "image versions are not hashes"
    assert [b.target for b in migrated.batchHistory] == [older.target, current]
    assert LEGACY not in migrated.model_dump_json() and OLDER not in migrated.model_dump_json()
    again = hash_scheme.migrate_status(migrated, observed(LEGACY, None), DESIRED)
    assert again == migrated, "idempotent: a failed re-tag is migrated again without churn"


def test_status_is_left_alone_once_the_scale_set_carries_a_scheme() -> None:
    status = legacy_status()
    assert hash_scheme.migrate_status(status, observed(DESIRED.model_hash(), TEST_KEY.scheme), DESIRED) is status


def test_the_same_model_under_the_legacy_scheme_is_re_tagged_not_updated() -> None:
    step = model_sync.step(facts(observed(LEGACY, None), spec=SPEC, desired=DESIRED))
    assert step is not None
    model, effects = step
    assert model.kind == "Retag" and [e.reason for e in effects.events] == ["HashSchemeUpgraded"]


def test_a_changed_model_under_the_legacy_scheme_is_an_update() -> None:
    step = model_sync.step(facts(observed(OLDER, None), spec=SPEC, desired=DESIRED))
    assert step is not None and step[0].kind == "UpdateModel"
    assert [e.reason for e in step[1].events] == ["ModelUpdated"]


def test_hashes_of_another_key_are_reported_and_the_model_pushed_again() -> None:
    other = HashKey.generate()
    theirs = desired_model(SPEC, "Corr3ct-Horse", fingerprints=other)
    step = model_sync.step(facts(observed(theirs.model_hash(), other.scheme), spec=SPEC, desired=DESIRED))
    assert step is not None and step[0].kind == "UpdateModel"
    (event,) = step[1].events
    assert (event.type, event.reason) == ("Warning", "HashKeyChanged") and other.key_id in event.message


def test_in_sync_under_the_same_scheme_is_nothing_to_do() -> None:
    assert model_sync.step(facts(observed(DESIRED.model_hash(), TEST_KEY.scheme), spec=SPEC, desired=DESIRED)) is None
