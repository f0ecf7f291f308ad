"""When to look again after a failed call: capped, so a fault's end is noticed within seconds."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scaleset_operator.planner import requeue
from tests.planner.builders import T0, unknown


@pytest.mark.parametrize(
    ("cause", "lasted", "retry_after", "expected"),
    [
        ("throttled", 0, 17.0, requeue.MAX_RETRY_AFTER_SECONDS),  # Retry-After honoured up to the cap
        ("throttled", 0, 3.0, 3.0),
        ("throttled", 0, 0.5, requeue.BUSY_RESYNC_SECONDS),  # never a tight loop
        ("throttled", 0, None, requeue.BUSY_RESYNC_SECONDS),
        ("transient", 0, None, 2.0),
        ("transient", 4, None, 4.0),  # as long as the trouble has lasted ...
        ("transient", 600, None, requeue.MAX_TRANSIENT_BACKOFF_SECONDS),  # ... capped
        ("unauthorized", 0, None, requeue.NEEDS_PERSON_RESYNC_SECONDS),
        ("error", 0, None, requeue.NEEDS_PERSON_RESYNC_SECONDS),
    ],
)
def test_after_failure(cause: str, lasted: float, retry_after: float | None, expected: float) -> None:
    failure = replace(unknown(cause), since=T0 - timedelta(seconds=lasted), retry_after=retry_after)
    assert requeue.after_failure(failure, T0) == expected
