"""``AutomaticOSUpgrade``: present only when enabled; says why no upgrade starts."""

from __future__ import annotations

import pytest

from scaleset_operator.planner.decision import OSUpgradeCheck
from scaleset_operator.planner.observation import Absent
from scaleset_operator.planner.status import automatic_os_upgrade
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, unknown, view
from tests.planner.specs import UBUNTU, make_spec

ENABLED = make_spec(**{"upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}})
PINNED = make_spec(
    **{
        "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
        "virtualMachineProfile.storageProfile.imageReference": {**UBUNTU, "version": "2024.01.10"},
    }
)


def check(state: str, reason: str) -> OSUpgradeCheck:
    return OSUpgradeCheck(state, reason, "...")  # type: ignore[arg-type]


CASES: list[tuple[str, View, tuple[str, str] | None]] = [
    ("disabled", view(), None),
    ("requirements not met", view(inputs(spec=PINNED)), ("False", "AutomaticOSUpgradeRequirementsNotMet")),
    ("up to date", view(inputs(spec=ENABLED), os_upgrade=check("UpToDate", "UpToDate")), ("True", "UpToDate")),
    ("rolling", view(inputs(spec=ENABLED), os_upgrade=check("Rolling", "RollingForward")), ("True", "RollingForward")),
    (
        "too many unhealthy",
        view(
            inputs(spec=ENABLED),
            os_upgrade=check("TooManyUnhealthy", "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade"),
        ),
        ("False", "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade"),
    ),
    (
        "not retried",
        view(inputs(spec=ENABLED), os_upgrade=check("NotRetried", "PreviousAttemptFailed")),
        ("False", "PreviousAttemptFailed"),
    ),
    ("the cloud cannot be read", view(inputs(unknown(), spec=ENABLED)), ("Unknown", "Throttled")),
    ("no scale set yet", view(inputs(Absent(), spec=ENABLED)), ("Unknown", "NoInstances")),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_automatic_os_upgrade(case: str, given: View, expected: tuple[str, str] | None) -> None:
    found = automatic_os_upgrade.condition(given)
    assert ((found.status, found.reason) if found is not None else None) == expected
