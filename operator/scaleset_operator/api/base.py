"""Shared pydantic configuration for the API models.

Field names are Azure's camelCase names, written as Python attributes in camelCase too, so that
Azure documentation applies verbatim and there is no alias table to keep in sync.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


def _is_none(value: Any) -> bool:
    return value is None


def optional(**kwargs: Any) -> Any:
    """A field that is absent unless set (Azure applies its own default), and left out of dumps
    while unset: adding such a field never changes the model or settings hash of scale sets that do
    not use it (otherwise upgrading the operator would roll every instance)."""
    return Field(default=None, exclude_if=_is_none, **kwargs)


def defaulted(default: Any, **kwargs: Any) -> Any:
    """A field with Azure's (unconditional) default, written into the CRD so the API server stores
    it, and left out of dumps while it holds that default (same hash reasoning as ``optional``)."""
    return Field(default=default, exclude_if=lambda value: value == default, **kwargs)


def optional_list(**kwargs: Any) -> Any:
    """A list that defaults to empty and is left out of dumps while empty (see ``optional``)."""
    return Field(default_factory=list, exclude_if=_is_empty, **kwargs)


def optional_map(**kwargs: Any) -> Any:
    """A map that defaults to empty and is left out of dumps while empty (see ``optional``)."""
    return Field(default_factory=dict, exclude_if=_is_empty, **kwargs)


def _is_empty(value: Any) -> bool:
    return not value


PATTERN_MESSAGE = "x-scaleset-pattern-message"
"""Schema key the CRD generator turns, with the field's ``pattern``, into a CEL rule (api/crd.py)."""


def pattern_message(message: str) -> JsonDict:
    """``json_schema_extra`` for a field with a ``pattern``: what ``kubectl apply`` says when a value does
    not match, e.g. "must be an ISO 8601 duration such as PT5M", instead of the regular expression.

    The message completes "spec.path.to.field: Invalid value: ...: <message>". pydantic still checks
    the pattern itself; the CRD carries it as ``self.matches(...)`` with this message.
    """
    return {PATTERN_MESSAGE: message}
