"""Weekly UTC maintenance windows: automatic batches start only inside one (``end`` < ``start`` wraps
past midnight into the next day)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from scaleset_operator.api.scaleset import MaintenanceWindow

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _open_in(window: MaintenanceWindow, moment: datetime) -> bool:
    moment = moment.astimezone(UTC)
    now_min = moment.hour * 60 + moment.minute
    start, end = _minutes(window.start), _minutes(window.end)
    today = DAYS[moment.weekday()]
    yesterday = DAYS[(moment.weekday() - 1) % 7]
    if start < end:
        return today in window.days and start <= now_min < end
    # wraps midnight: open from start on a listed day until end on the next day
    return (today in window.days and now_min >= start) or (yesterday in window.days and now_min < end)


def is_open(windows: Sequence[MaintenanceWindow], moment: datetime) -> bool:
    """No windows configured means always open."""
    return not windows or any(_open_in(w, moment) for w in windows)


def next_opening(windows: Sequence[MaintenanceWindow], moment: datetime) -> datetime | None:
    """The next minute at which a window is open (searching one week ahead)."""
    if not windows:
        return moment
    probe = moment.astimezone(UTC).replace(second=0, microsecond=0)
    for _ in range(7 * 24 * 60 + 1):
        if is_open(windows, probe):
            return probe
        probe += timedelta(minutes=1)
    return None
