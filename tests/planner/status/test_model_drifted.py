"""``ModelDrifted``: one row per situation (in sync, a spec change being pushed, drift made outside
the operator and corrected, differences only observed, not this ScaleSet's, facts missing)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scaleset_operator.cloud.changes import Impact
from scaleset_operator.cloud.changes import field_change as change
from scaleset_operator.cloud.wire import cloud_model
from scaleset_operator.planner.decision import ManagementStep
from scaleset_operator.planner.inputs import SpecProblem
from scaleset_operator.planner.observation import Observed
from scaleset_operator.planner.status import model_drifted
from scaleset_operator.planner.status.view import View
from tests.planner.builders import MODEL, inputs, scale_set, unknown, view

SKU = change("sku.name", "Standard_D4s_v5", "Standard_D2s_v5")
OBSERVED = inputs(Observed(replace(scale_set(5), model=cloud_model(MODEL))))

CASES: list[tuple[str, View, tuple[str, str] | None]] = [
    ("in sync", view(OBSERVED, management=ManagementStep("Created")), ("False", "InSync")),
    (
        "the spec changed: pushed, not drift",
        view(OBSERVED, management=ManagementStep("Created", differences=(SKU,))),
        ("False", "SpecChanged"),
    ),
    (
        "changed outside the operator",
        view(OBSERVED, management=ManagementStep("Created", differences=(SKU,), outside=True)),
        ("True", "ChangedOutside"),
    ),
    (
        "observe only: any difference",
        view(OBSERVED, management=ManagementStep(differences=(SKU,), observing=True)),
        ("True", "FieldsDiffer"),
    ),
    ("not this ScaleSet's", view(OBSERVED, management=ManagementStep(held=True)), ("Unknown", "NotManaged")),
    ("the cloud cannot be read", view(inputs(unknown())), ("Unknown", "Throttled")),
    ("invalid spec", view(inputs(problem=SpecProblem("InvalidSpec", "bad"))), ("Unknown", "InvalidSpec")),
    ("the backend cannot say what model it holds", view(management=ManagementStep("Created")), None),
]


@pytest.mark.parametrize(("case", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_model_drifted(case: str, given: View, expected: tuple[str, str] | None) -> None:
    found = model_drifted.condition(given)
    assert (found.status, found.reason) == expected if found is not None else expected is None


def test_the_message_names_each_field_with_both_values_and_what_happens() -> None:
    step = ManagementStep("Created", differences=(SKU,), outside=True)
    found = model_drifted.condition(view(OBSERVED, management=step))
    assert found is not None and found.message == (
        "changed outside the operator: 1 fields differ from the spec: sku.name: Standard_D4s_v5 in Azure, "
        "Standard_D2s_v5 in the spec; correcting them by pushing the spec"
    )
    assert SKU.impact is Impact.MODEL_UPGRADE
