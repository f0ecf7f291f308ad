"""When to look again, in simulated seconds (the reconciler converts to real time).

Busy ScaleSets are looked at every ``BUSY_RESYNC_SECONDS``, idle ones every ``IDLE_RESYNC_SECONDS``.
After a failed call the wait is capped, so once the fault ends the next pass observes within a few
seconds instead of minutes (docs/architecture.md, "Faults"):

- throttled: ``Retry-After`` is honoured up to ``MAX_RETRY_AFTER_SECONDS`` (the Azure backend's own
  budget keeps every request off the wire until Retry-After has passed, so a shorter pass costs no
  request);
- transient (5xx, 409, timeouts): as long as the trouble has lasted, at least the busy interval,
  at most ``MAX_TRANSIENT_BACKOFF_SECONDS`` (2, 2, 4, 8, 8 ... seconds);
- needs a person (401/403, a refused request): ``NEEDS_PERSON_RESYNC_SECONDS``; a spec edit wakes
  the ScaleSet at once anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scaleset_operator.planner.observation import Unknown

IDLE_RESYNC_SECONDS = 30.0
BUSY_RESYNC_SECONDS = 2.0
MAX_RETRY_AFTER_SECONDS = 10.0
MAX_TRANSIENT_BACKOFF_SECONDS = 8.0
NEEDS_PERSON_RESYNC_SECONDS = 60.0


def after_failure(failure: Unknown, now: datetime) -> float:
    if failure.needs_person:
        return NEEDS_PERSON_RESYNC_SECONDS
    if failure.cause == "throttled":
        wait = failure.retry_after if failure.retry_after is not None else BUSY_RESYNC_SECONDS
        return min(max(wait, BUSY_RESYNC_SECONDS), MAX_RETRY_AFTER_SECONDS)
    lasted = (now - failure.since).total_seconds()
    return min(max(lasted, BUSY_RESYNC_SECONDS), MAX_TRANSIENT_BACKOFF_SECONDS)


def seconds_left(since: datetime, period: timedelta, now: datetime) -> float:
    """Until ``period`` after ``since`` (0 or less: it has passed). A pass planned this far ahead
    lands on the deadline, so a condition that flips there flips without an outside event."""
    return (since + period - now).total_seconds()
