"""Which profile of an autoscale setting is in force at a given time, as Azure decides it.

Azure checks fixed-date profiles first, then recurrence profiles, then the default profile, and
uses the first that applies:

- a fixed-date profile applies from ``start`` to ``end`` (wall-clock times in its ``timeZone``,
  both inclusive); when several do, the first listed wins;
- a recurrence profile has start times only (``days`` x ``hours`` x ``minutes`` every week in its
  ``timeZone``): it stays in force until another recurrence profile starts. So once any recurrence
  profile exists, one of them always applies (each started at most a week ago) and the default
  profile is never used; Azure's portal models an "end" by adding a recurrence profile that starts
  then (docs/autoscale.md). The one that started most recently wins; a tie goes to the first listed;
- otherwise the profile with neither schedule (at most one) applies, and with none, nothing does.

``next_change`` is when the answer may change next, so a caller knows when to look again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from scaleset_operator.api.autoscale import AutoscaleProfile, AutoscaleSettings, RecurrentSchedule, TimeWindow
from scaleset_operator.autoscale.timezones import time_zone

ProfileKind = Literal["FixedDate", "Recurrence", "Default"]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ActiveProfile:
    profile: AutoscaleProfile
    kind: ProfileKind
    since: datetime | None = None
    """When it took effect (fixed-date and recurrence profiles)."""


def _wall_clock(value: str, window: TimeWindow) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=time_zone(window.timeZone))


def fixed_date_applies(window: TimeWindow, now: datetime) -> bool:
    return _wall_clock(window.start, window) <= now <= _wall_clock(window.end, window)


def _starts_on(schedule: RecurrentSchedule, day: date) -> list[datetime]:
    if WEEKDAYS[day.weekday()] not in schedule.days:
        return []
    zone = time_zone(schedule.timeZone)
    return [datetime.combine(day, time(h, m), tzinfo=zone) for h in schedule.hours for m in schedule.minutes]


def last_start(schedule: RecurrentSchedule, now: datetime) -> datetime:
    """The latest weekly start at or before ``now`` (there is always one within the last 8 days)."""
    today = now.astimezone(time_zone(schedule.timeZone)).date()
    for back in range(9):
        starts = [s for s in _starts_on(schedule, today - timedelta(days=back)) if s <= now]
        if starts:
            return max(starts)
    raise ValueError("a recurrence schedule needs at least one day, hour and minute")


def next_start(schedule: RecurrentSchedule, now: datetime) -> datetime:
    """The first weekly start after ``now``."""
    today = now.astimezone(time_zone(schedule.timeZone)).date()
    for ahead in range(9):
        starts = [s for s in _starts_on(schedule, today + timedelta(days=ahead)) if s > now]
        if starts:
            return min(starts)
    raise ValueError("a recurrence schedule needs at least one day, hour and minute")


def active_profile(settings: AutoscaleSettings, now: datetime) -> ActiveProfile | None:
    """The profile Azure would run at ``now`` (fixed date > recurrence > default), or None."""
    for profile in settings.profiles:
        if profile.fixedDate is not None and fixed_date_applies(profile.fixedDate, now):
            return ActiveProfile(profile, "FixedDate", _wall_clock(profile.fixedDate.start, profile.fixedDate))
    recurring = [
        (last_start(p.recurrence.schedule, now), -index, p)
        for index, p in enumerate(settings.profiles)
        if p.recurrence is not None
    ]
    if recurring:
        started, _, profile = max(recurring, key=lambda entry: (entry[0], entry[1]))
        return ActiveProfile(profile, "Recurrence", started)
    default = next((p for p in settings.profiles if p.kind == "Default"), None)
    return ActiveProfile(default, "Default") if default is not None else None


def next_change(settings: AutoscaleSettings, now: datetime) -> datetime | None:
    """The next time a fixed-date window opens or closes or a recurrence profile starts, if any."""
    times: list[datetime] = []
    for profile in settings.profiles:
        if profile.fixedDate is not None:
            window = profile.fixedDate
            times += [_wall_clock(window.start, window), _wall_clock(window.end, window) + timedelta(seconds=1)]
        if profile.recurrence is not None:
            times.append(next_start(profile.recurrence.schedule, now))
    future = [t for t in times if t > now]
    return min(future) if future else None
