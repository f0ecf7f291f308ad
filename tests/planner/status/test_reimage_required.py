"""``ReimageRequired``: instances only a reimage (or reimage-all) brings to the model."""

from __future__ import annotations

import pytest

from scaleset_operator.planner.inputs import SpecProblem
from scaleset_operator.planner.observation import Absent, Observed
from scaleset_operator.planner.status import reimage_required
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, scale_set, unknown, view

CASES: list[tuple[str, View, tuple[str, str]]] = [
    ("every instance matches", view(), ("False", "NoDrift")),
    ("no scale set yet", view(inputs(Absent())), ("False", "NoDrift")),
    (
        "stale model only: an upgrade fixes it",
        view(inputs(Observed(scale_set(3, latest_model_applied=False)))),
        ("False", "NoDrift"),
    ),
    (
        "disks smaller than the model",
        view(inputs(Observed(scale_set(3, data_disks={0: 16})))),
        ("True", "DisksOrOSProfileDiffer"),
    ),
    (
        "OS profile changed",
        view(inputs(Observed(scale_set(2, os_profile_fingerprint="old")))),
        ("True", "DisksOrOSProfileDiffer"),
    ),
    ("the cloud cannot be read", view(inputs(unknown())), ("Unknown", "Throttled")),
    ("invalid spec", view(inputs(problem=SpecProblem("InvalidSpec", "bad"))), ("Unknown", "InvalidSpec")),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reimage_required(case: str, given: View, expected: tuple[str, str]) -> None:
    found = reimage_required.condition(given)
    assert (found.status, found.reason) == expected


def test_the_message_names_the_kinds_of_drift_and_the_instances() -> None:
    found = reimage_required.condition(view(inputs(Observed(scale_set(2, data_disks={0: 16})))))
    assert found.message == "2 instances need a reimage to match the model (dataDiskSize): web000000, web000001"
