"""Simulated time. The engine never reads the wall clock itself: it asks a ``Clock``.

That is what lets a test run a 100-instance rollout in milliseconds (``ManualClock``) and the
demo run a 30-minute rollout in a minute (``ScaledClock``), with the same engine code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

DEFAULT_START = datetime(2024, 1, 1, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current simulated time, timezone-aware UTC."""
        ...


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("simulated time must be timezone-aware (UTC)")
    return value.astimezone(UTC)


class ManualClock:
    """Time moves only when a test says so: deterministic, instant."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._now = _require_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, value: datetime) -> None:
        self._now = _require_utc(value)


class ScaledClock:
    """Real time sped up: one real second is ``speed`` simulated seconds, starting at real now.

    ``advance`` jumps ahead on top of that (a demo can skip a health timeout). ``monotonic`` and
    ``wall`` are injectable so the scaling itself is testable without sleeping.
    """

    def __init__(
        self,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = monotonic
        self._origin = _require_utc(wall() if wall is not None else datetime.now(UTC))
        self._real_start = monotonic()
        self._offset = timedelta()

    def now(self) -> datetime:
        elapsed = (self._monotonic() - self._real_start) * self.speed
        return self._origin + timedelta(seconds=elapsed) + self._offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += timedelta(seconds=seconds)
        return self.now()

    def anchor(self) -> tuple[datetime, datetime]:
        """(simulated, wall): a simulated instant and the wall-clock instant it was; with ``speed``
        that maps any simulated time to the wall clock exactly (status shows wall-clock times)."""
        return self._origin + self._offset, self._origin
