"""ISO 8601 durations as Azure writes them (``PT0S``, ``PT5M``, ``PT1H30M``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import isodate
from pydantic import AfterValidator, Field

from scaleset_operator.api.base import pattern_message

_HMS = r"(\d+H(\d+M)?(\d+(\.\d+)?S)?|\d+M(\d+(\.\d+)?S)?|\d+(\.\d+)?S)"
# RE2 (the API server) has no look-ahead, so "at least one component" is spelled out.
ISO8601_DURATION_PATTERN = rf"^P(\d+D(T{_HMS})?|T{_HMS})$"


def parse_duration(value: str) -> timedelta:
    """Parse an ISO 8601 duration limited to days, hours, minutes and seconds (no months/years,
    whose length is ambiguous)."""
    parsed = isodate.parse_duration(value)
    if not isinstance(parsed, timedelta):
        raise ValueError(f"{value!r}: use days, hours, minutes and seconds only (e.g. PT5M)")
    return parsed


def _validate(value: str) -> str:
    parse_duration(value)
    return value


Duration = Annotated[
    str,
    Field(
        pattern=ISO8601_DURATION_PATTERN,
        max_length=32,
        json_schema_extra={
            "example": "PT5M",
            **pattern_message(
                "must be an ISO 8601 duration in days, hours, minutes and seconds, such as PT5M, PT1H30M or P1D"
            ),
        },
    ),
    AfterValidator(_validate),
]


def cel_milliseconds(expression: str) -> str:
    """A CEL expression for the length of a valid ``Duration`` (``expression``, a string), in
    milliseconds, so the API server can compare two durations. CEL's ``duration()`` parses Go's form:
    the time part after ``T`` is one once lower-cased (``PT1H30M`` -> ``1h30m``), and ``nD`` is read as
    ``nh`` times 24 (built from substrings of the bounded string: the rule's estimated cost stays low)."""
    days = (
        f"({expression}.matches('^P[0-9]+D') ? "
        f"duration({expression}.substring(1, {expression}.indexOf('D')) + 'h').getMilliseconds() * 24 : 0)"
    )
    time = (
        f"({expression}.indexOf('T') >= 0 ? "
        f"duration({expression}.substring({expression}.indexOf('T') + 1).lowerAscii()).getMilliseconds() : 0)"
    )
    return f"({days} + {time})"


def cel_at_least(longer: str, shorter: str) -> str:
    """CEL: duration field ``longer`` >= duration field ``shorter`` (fields of ``self``), when both are
    set and valid (an invalid one is reported by its own pattern rule)."""
    valid = " && ".join(f"has(self.{f}) && self.{f}.matches(r'{ISO8601_DURATION_PATTERN}')" for f in (longer, shorter))
    return f"!({valid}) || {cel_milliseconds(f'self.{longer}')} >= {cel_milliseconds(f'self.{shorter}')}"
