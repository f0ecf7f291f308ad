"""Shared pydantic configuration for the API models.

Field names are Azure's camelCase names, written as Python attributes in camelCase too, so that
Azure documentation applies verbatim and there is no alias table to keep in sync.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

JsonDict = dict[str, Any]


class ApiModel(BaseModel):
    """Base for every API object: unknown fields are an error (the CRD is structural too)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def cel(rule: str, message: str, *, field_path: str | None = None, reason: str | None = None) -> dict[str, str]:
    """One ``x-kubernetes-validations`` entry; kept as a helper so every rule carries a message."""
    entry = {"rule": rule, "message": message}
    if field_path:
        entry["fieldPath"] = field_path
    if reason:
        entry["reason"] = reason
    return entry


def with_rules(*rules: JsonDict) -> ConfigDict:
    """The ApiModel config plus object-level CEL rules (``x-kubernetes-validations``)."""
    return ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, json_schema_extra={"x-kubernetes-validations": list(rules)}
    )


def field_rules(*rules: JsonDict) -> JsonDict:
    """Field-level CEL rules, for ``Field(json_schema_extra=...)``."""
    return {"x-kubernetes-validations": list(rules)}


PATTERN_MESSAGE = "x-scaleset-pattern-message"
"""Schema key the CRD generator turns, with the field's ``pattern``, into a CEL rule (api/crd.py)."""


def pattern_message(message: str) -> JsonDict:
    """``json_schema_extra`` for a field with a ``pattern``: what ``kubectl apply`` says when a value does
    not match, e.g. "must be an ISO 8601 duration such as PT5M", instead of the regular expression.

    The message completes "spec.path.to.field: Invalid value: ...: <message>". pydantic still checks
    the pattern itself; the CRD carries it as ``self.matches(...)`` with this message.
    """
    return {PATTERN_MESSAGE: message}
