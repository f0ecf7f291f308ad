"""Which profile is in force: fixed date > recurrence > default, in the profiles' own time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scaleset_operator.autoscale import active_profile, next_change
from scaleset_operator.autoscale.timezones import time_zone
from scaleset_operator.simulator.clock import ManualClock

from .builders import NOW, profile, settings, weekly

BLACK_FRIDAY = {
    "fixedDate": {"timeZone": "Pacific Standard Time", "start": "2024-11-29T00:00:00", "end": "2024-11-29T23:59:00"}
}


def active(at: datetime, *profiles: dict[str, object]) -> str | None:
    found = active_profile(settings(*profiles), at)
    return found.profile.name if found is not None else None


def test_windows_time_zones_map_to_iana() -> None:
    assert time_zone("Pacific Standard Time").key == "America/Los_Angeles"
    assert time_zone("W. Europe Standard Time").key == "Europe/Berlin"
    assert time_zone("UTC").key == "Etc/UTC"
    with pytest.raises(KeyError, match="unknown Windows time zone"):
        time_zone("America/Los_Angeles")


def test_a_recurrence_profile_in_its_time_zone_is_reached_by_advancing_the_clock() -> None:
    """Monday 09:00 in Pacific Standard Time is 17:00 UTC in January."""
    profiles = (profile("default"), profile("business-hours", **weekly("Pacific Standard Time", ["Monday"], 9)))
    clock = ManualClock(datetime(2024, 1, 1, 16, 59, tzinfo=UTC))
    # The previous Monday 09:00 PST started it a week ago: recurrence profiles have no end.
    assert active(clock.now(), *profiles) == "business-hours"
    weekend = profile("weekend", **weekly("Pacific Standard Time", ["Saturday"], 0))
    assert active(clock.now(), *profiles, weekend) == "weekend"
    clock.advance(60)
    assert active(clock.now(), *profiles, weekend) == "business-hours"
    assert next_change(settings(*profiles, weekend), clock.now()) == datetime(2024, 1, 6, 8, tzinfo=UTC)


def test_daylight_saving_time_moves_the_utc_start() -> None:
    morning = weekly("Pacific Standard Time", ["Monday"], 9)
    night = weekly("Pacific Standard Time", ["Sunday"], 18)
    profiles = (profile("day", **morning), profile("night", **night))
    july_monday = datetime(2024, 7, 1, 16, 0, tzinfo=UTC)  # 09:00 PDT (UTC-7)
    assert active(july_monday - timedelta(seconds=1), *profiles) == "night"
    assert active(july_monday, *profiles) == "day"


def test_fixed_date_wins_over_recurrence_which_wins_over_default() -> None:
    every_day = weekly("UTC", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], 0)
    profiles = (profile("default"), profile("daily", **every_day), profile("black-friday", **BLACK_FRIDAY))
    during = datetime(2024, 11, 29, 12, 0, tzinfo=UTC)  # 04:00 PST on the day
    assert active(during, *profiles) == "black-friday"
    assert active(during, profile("default"), profile("black-friday", **BLACK_FRIDAY)) == "black-friday"
    assert active(datetime(2024, 11, 29, 7, 59, tzinfo=UTC), *profiles) == "daily", "23:59 PST the day before"
    assert active(datetime(2024, 11, 30, 7, 59, tzinfo=UTC), *profiles) == "black-friday", "the end is inclusive"
    assert active(datetime(2024, 11, 30, 8, 0, 1, tzinfo=UTC), profile("default"), profile("bf", **BLACK_FRIDAY)) == (
        "default"
    )


def test_first_listed_wins_ties_and_no_profile_may_apply() -> None:
    same_start = weekly("UTC", ["Monday"], 8)
    assert active(NOW, profile("a", **same_start), profile("b", **same_start)) == "a"
    assert active(NOW, profile("only-black-friday", **BLACK_FRIDAY)) is None
    assert next_change(settings(profile("x", **BLACK_FRIDAY)), NOW) == datetime(2024, 11, 29, 8, tzinfo=UTC)
    assert next_change(settings(profile()), NOW) is None
