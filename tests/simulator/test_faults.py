"""Fault injection maps HTTP failures onto the errors the reconciler handles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from scaleset_operator.cloud.errors import (
    BackendError,
    Conflict,
    InvalidRequest,
    NotFound,
    Throttled,
    TransientError,
    Unauthorized,
)
from scaleset_operator.simulator.faults import Faults, error_for

NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "error_type", "code", "retryable"),
    [
        (500, TransientError, "InternalServerError", True),
        (503, TransientError, "InternalServerError", True),
        (409, Conflict, "OperationNotAllowed", True),
        (429, Throttled, "TooManyRequests", True),
        (401, Unauthorized, "AuthenticationFailed", False),
        (403, Unauthorized, "AuthorizationFailed", False),
        (404, NotFound, "ResourceNotFound", False),
        (400, InvalidRequest, "InvalidParameter", False),
    ],
)
def test_error_for_status(status: int, error_type: type[BackendError], code: str, retryable: bool) -> None:
    error = error_for(status)

    assert type(error) is error_type
    assert (error.status, error.code, error.retryable) == (status, code, retryable)


def test_throttled_carries_retry_after() -> None:
    error = error_for(429, retry_after=42)

    assert isinstance(error, Throttled) and error.retry_after == 42


def test_fail_next_is_per_kind_and_counts_down() -> None:
    faults = Faults()
    faults.fail_next("upgrade", 2, status=409, code="Busy")

    faults.check("get", NOW)  # other kinds are unaffected
    for _ in range(2):
        with pytest.raises(Conflict, match="Busy"):
            faults.check("upgrade", NOW)
    faults.check("upgrade", NOW)


def test_throttle_window_ends() -> None:
    faults = Faults()
    faults.throttle_until(NOW + timedelta(seconds=10))

    with pytest.raises(Throttled):
        faults.check("get", NOW + timedelta(seconds=9))
    faults.check("get", NOW + timedelta(seconds=10))
    assert faults.throttle is None


def test_in_flight_failures_are_consumed_once() -> None:
    faults = Faults()
    faults.fail_in_flight("reimage", instance_ids=["3"])

    assert faults.take_in_flight("upgrade") is None
    failure = faults.take_in_flight("reimage")
    assert failure is not None and failure.affects("3") and not failure.affects("4")
    assert faults.take_in_flight("reimage") is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.fail_next("explode"), "unknown operation"),
        (lambda f: f.fail_next("get", 0), "at least 1"),
        (lambda f: f.fail_in_flight("get"), "no in-flight work"),
    ],
)
def test_bad_requests_are_refused(call: Callable[[Faults], None], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(Faults())


def test_clear_drops_everything() -> None:
    faults = Faults()
    faults.fail_next("get")
    faults.fail_in_flight("upgrade")
    faults.throttle_until(NOW + timedelta(hours=1))
    faults.mark_image_bad("1.0.0")

    faults.clear()

    assert faults.snapshot(NOW) == {"failNext": [], "failInFlight": [], "throttle": None, "badImages": []}
