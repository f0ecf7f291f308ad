"""Maintenance windows: weekly, UTC, possibly wrapping midnight."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scaleset_operator.api.scaleset import MaintenanceWindow
from scaleset_operator.planner.maintenance_window import is_open, next_opening

SAT_NIGHT = MaintenanceWindow(days=["Saturday"], start="22:00", end="04:00")
WEEKDAY_MORNING = MaintenanceWindow(
    days=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], start="06:00", end="08:30"
)


def at(day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, day, hours, minutes, tzinfo=UTC)  # 2026-11-16 is a Monday


@pytest.mark.parametrize(
    ("windows", "moment", "expected"),
    [
        ([], at(16, "12:00"), True),
        ([WEEKDAY_MORNING], at(16, "06:00"), True),
        ([WEEKDAY_MORNING], at(16, "08:29"), True),
        ([WEEKDAY_MORNING], at(16, "08:30"), False),
        ([WEEKDAY_MORNING], at(21, "07:00"), False),  # Saturday
        ([SAT_NIGHT], at(21, "23:00"), True),
        ([SAT_NIGHT], at(22, "03:59"), True),  # Sunday morning, window opened Saturday
        ([SAT_NIGHT], at(22, "04:00"), False),
        ([SAT_NIGHT], at(22, "23:00"), False),  # Sunday night is not listed
        ([SAT_NIGHT, WEEKDAY_MORNING], at(17, "07:15"), True),
    ],
)
def test_window_open(windows: list[MaintenanceWindow], moment: datetime, expected: bool) -> None:
    assert is_open(windows, moment) is expected


def test_next_opening_is_the_first_open_minute() -> None:
    assert next_opening([SAT_NIGHT], at(16, "12:00")) == at(21, "22:00")
