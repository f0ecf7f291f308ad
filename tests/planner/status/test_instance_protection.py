"""``InstanceProtection`` and ``status.instanceProtection``: applied, applying, an entry naming no
instance, nothing declared, the cloud unreadable."""

from __future__ import annotations

import pytest

from scaleset_operator.api.status import InstanceProtectionStatus, ScaleSetStatus
from scaleset_operator.planner.decision import ProtectionStep, Reason
from scaleset_operator.planner.status import instance_protection
from scaleset_operator.planner.status.view import View
from tests.planner.builders import inputs, unknown, view
from tests.planner.specs import make_spec

DECLARED = make_spec(instanceProtection=[{"instance": "3", "protectFromScaleSetActions": True}])
APPLIED = InstanceProtectionStatus(
    instance="3", instanceId="3", protectFromScaleIn=True, protectFromScaleSetActions=True, state="Applied"
)
APPLYING = APPLIED.model_copy(update={"state": "Applying"})
MISSING = InstanceProtectionStatus(instance="9", state="InstanceNotFound")
NOT_FOUND = Reason("InstanceNotFound", "spec.instanceProtection names no instance of the scale set: 9")

CASES: list[tuple[str, View, tuple[str, str] | None]] = [
    ("applied", view(inputs(spec=DECLARED), protection=ProtectionStep((APPLIED,))), ("True", "Applied")),
    (
        "VM updates on their way",
        view(
            inputs(spec=DECLARED),
            protection=ProtectionStep((APPLYING,), activity=Reason("ApplyingProtection", "setting 3")),
        ),
        ("False", "Applying"),
    ),
    (
        "an entry names no instance",
        view(inputs(spec=DECLARED), protection=ProtectionStep((APPLIED, MISSING), not_found=NOT_FOUND)),
        ("False", "InstanceNotFound"),
    ),
    ("nothing declared, nothing owned", view(protection=ProtectionStep()), None),
    ("the cloud cannot be read", view(inputs(unknown(), spec=DECLARED)), ("Unknown", "Throttled")),
    ("unreadable, nothing declared", view(inputs(unknown())), None),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_instance_protection(case: str, given: View, expected: tuple[str, str] | None) -> None:
    found = instance_protection.condition(given)
    assert ((found.status, found.reason) if found is not None else None) == expected


def test_the_message_names_what_protects_each_instance() -> None:
    found = instance_protection.condition(view(inputs(spec=DECLARED), protection=ProtectionStep((APPLIED,))))
    assert found is not None and found.message == "protected: 3 (scale-in and scale set actions)"


def test_the_record_is_kept_while_the_cloud_cannot_be_read() -> None:
    stored = ScaleSetStatus(instanceProtection=[APPLIED])
    fields = instance_protection.fields(view(inputs(unknown(), spec=DECLARED, status=stored)))
    assert fields == {"instanceProtection": [APPLIED]}
