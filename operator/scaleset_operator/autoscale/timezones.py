"""Azure's Windows time zone names ("Pacific Standard Time") as ``zoneinfo`` zones.

Azure's autoscale schedules name time zones the Windows way. The mapping to IANA zones is CLDR's
``windowsZones`` table (the territory-neutral "001" entries), as shipped by ``tzlocal``; the zone
rules themselves come from the pinned ``tzdata`` package, so daylight saving time is the same on
every machine whatever its operating system ships.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from tzlocal.windows_tz import win_tz


@cache
def time_zone(windows_name: str) -> ZoneInfo:
    """The zone for an Azure (Windows) time zone name; ``KeyError`` for a name Azure would refuse."""
    try:
        return ZoneInfo(win_tz[windows_name])
    except KeyError:
        raise KeyError(f"unknown Windows time zone {windows_name!r}") from None
