"""The automatic OS upgrade start rule, table-driven."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from scaleset_operator.api.status import RolloutResult
from scaleset_operator.planner import os_upgrade
from tests.planner.builders import facts, instance, scale_set
from tests.planner.specs import make_spec

ENABLED = {"upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}}
SPEC = make_spec(**ENABLED)
FAULTED = RolloutResult(
    kind="OSUpgrade",
    target="2024.03.01",
    outcome="Faulted",
    startTime="2026-01-05T10:00:00Z",
    endTime="2026-01-05T11:00:00Z",
)
SICK = replace(
    scale_set(5), instances=tuple(instance(i, health_state="Unhealthy" if i < 2 else "Healthy") for i in range(5))
)

CASES: list[tuple[str, Any, tuple[RolloutResult, ...], str]] = [
    ("catalog not read", facts(spec=SPEC), (), "WaitingForImageCatalog"),
    ("every instance up to date", facts(spec=SPEC, latest_image_version="2024.02.15"), (), "UpToDate"),
    ("a newer version", facts(spec=SPEC, latest_image_version="2024.03.01"), (), "Starting"),
    ("that version faulted before", facts(spec=SPEC, latest_image_version="2024.03.01"), (FAULTED,), "NotRetried"),
    ("an even newer one", facts(spec=SPEC, latest_image_version="2024.04.01"), (FAULTED,), "Starting"),
    ("too many unhealthy", facts(SICK, spec=SPEC, latest_image_version="2024.03.01"), (), "TooManyUnhealthy"),
]


@pytest.mark.parametrize(("case", "given", "results", "expected"), CASES, ids=[c[0] for c in CASES])
def test_start_check(case: str, given: Any, results: tuple[RolloutResult, ...], expected: str) -> None:
    assert os_upgrade.start_check(given, results).state == expected


def test_requirements_only_when_enabled() -> None:
    assert os_upgrade.requirements_blocker(make_spec(**{"virtualMachineProfile.networkProfile": {}})) is None
    blocker = os_upgrade.requirements_blocker(make_spec(**ENABLED, **{"virtualMachineProfile.networkProfile": {}}))
    assert blocker is not None and "health signal" in blocker.message
