"""Simulated time: manual for tests, scaled real time for the live operator and the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scaleset_operator.simulator.clock import Clock, ManualClock, ScaledClock

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(START)

    assert clock.now() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    clock.set(START + timedelta(days=1))
    assert clock.now() == START + timedelta(days=1)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2024, 1, 1))  # naive: refused


def test_scaled_clock_runs_speed_times_faster_from_real_now() -> None:
    real = [1000.0]
    clock = ScaledClock(60, monotonic=lambda: real[0], wall=lambda: START)

    assert clock.now() == START
    real[0] += 2.5
    assert clock.now() == START + timedelta(seconds=150)
    clock.advance(300)  # a demo skips ahead
    assert clock.now() == START + timedelta(seconds=450)


def test_scaled_clock_starts_at_real_now_in_utc() -> None:
    clock = ScaledClock(10)

    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert clock.now().tzinfo is UTC
    assert clock.speed == 10
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(0)


@pytest.mark.parametrize("clock", [ManualClock(), ScaledClock(2)])
def test_both_are_clocks(clock: Clock) -> None:
    assert isinstance(clock, Clock)
