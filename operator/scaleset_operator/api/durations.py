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
