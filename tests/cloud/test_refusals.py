"""The operator's check of Azure's refusals (``cloud/refusals.py``): every row of ``tests/azure_rules.py``,
valid and invalid side by side, with the Secret values and the simulator's outside facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud import refusals
from scaleset_operator.simulator.catalog import default_catalog
from scaleset_operator.simulator.offerings import default_offerings
from scaleset_operator.simulator.validation import cloud_facts
from tests.azure_rules import PASSWORD, ROWS, Row

OFFERINGS, CATALOG = default_offerings(), default_catalog()


def check(row: Row, valid: bool) -> list[refusals.Refusal]:
    model = row.model(valid)
    facts = cloud_facts(model.location, model.image, OFFERINGS, CATALOG)
    return refusals.refusals(model, row.capacity(valid), row.azure_name(valid), facts)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_each_rule_refuses_the_invalid_model_with_azures_code_and_accepts_the_valid_one(row: Row) -> None:
    assert check(row, valid=True) == [], "the valid side is refused"
    found = check(row, valid=False)
    assert [(r.rule, r.code) for r in found] == [(row.rule, row.code)], found
    refusal = found[0]
    assert refusal.target and refusal.message
    for value in row.secret_values(valid=False).values():
        assert value not in refusal.describe(), "a Secret value is quoted"
    assert PASSWORD not in refusal.describe()


@pytest.mark.parametrize("row", [r for r in ROWS if r.pydantic is not None], ids=lambda r: r.id)
def test_where_the_api_model_refuses_first_it_names_the_field(row: Row) -> None:
    with pytest.raises(ValidationError) as refused:
        ScaleSetSpec.model_validate(row.spec(valid=False))
    field = next(iter(row.invalid))
    assert field in str(refused.value), refused.value


def test_every_rule_has_a_row() -> None:
    assert {row.rule for row in ROWS} == set(refusals.RULE_IDS)


def test_docs_validation_lists_every_rule_with_its_source() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "validation.md").read_text()
    listed = [line for line in text.splitlines() if line.startswith("| `")]
    assert {line.split("`")[1] for line in listed} == set(refusals.RULE_IDS)
    assert f"**{len(refusals.RULE_IDS)} rules of a scale set PUT are enforced**" in text
    assert f"({len(ROWS)} cases)" in text
