"""Fault injection: the bad days of a cloud, on demand and deterministic.

Later work (retries, throttling budgets, rollback, stalled rollouts) is tested against these hooks:
- ``fail_next``: the next N calls of one operation kind are refused with a chosen error (500
  TransientError, 409 Conflict, 401 Unauthorized, 429 Throttled with ``retry_after`` ...);
- ``throttle_until``: every call is refused with 429 until a simulated time;
- ``fail_in_flight``: the next call of a kind is *accepted*, but its long-running operation fails
  mid-batch: the affected instances end ``Failed`` instead of ``Succeeded``, with the Azure error code
  and message given (their instance view and the operation's result carry it, as on Azure);
- ``mark_image_bad``: instances that come up on that image version report ``Unhealthy``.

Instance-level knobs (health override, protection) and durations live on the engine, which owns
the instances; this module only holds the plan.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from scaleset_operator.cloud.errors import (
    BackendError,
    Conflict,
    InvalidRequest,
    NotFound,
    Throttled,
    TransientError,
    Unauthorized,
)
from scaleset_operator.cloud.observed import instance_order

OperationKind = Literal[
    "get",
    "apply",
    "upgrade",
    "reimage",
    "reimage_all",
    "restart",
    "delete_instances",
    "delete",
    "image",
    "autoscale_get",
    "autoscale_apply",
    "autoscale_delete",
    "metrics",
]
OPERATION_KINDS: tuple[OperationKind, ...] = get_args(OperationKind)
READ_KINDS: frozenset[OperationKind] = frozenset({"get", "image", "autoscale_get", "metrics"})
WRITE_KINDS: frozenset[OperationKind] = frozenset(OPERATION_KINDS) - READ_KINDS
# Operations whose accepted work can fail later, leaving instances Failed.
IN_FLIGHT_KINDS: frozenset[OperationKind] = frozenset({"apply", "upgrade", "reimage", "reimage_all", "restart"})

_DEFAULT_CODES = {
    400: "InvalidParameter",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    409: "OperationNotAllowed",
    429: "TooManyRequests",
}


def check_kind(kind: str) -> OperationKind:
    for known in OPERATION_KINDS:
        if kind == known:
            return known
    raise ValueError(f"unknown operation {kind!r}; one of: {', '.join(OPERATION_KINDS)}")


def error_for(
    status: int, code: str | None = None, message: str | None = None, *, retry_after: float | None = None
) -> BackendError:
    """The ``cloud.errors`` exception a real call with this HTTP status would surface as."""
    code = code or _DEFAULT_CODES.get(status, "InternalServerError")
    message = message or f"injected fault: HTTP {status} {code}"
    if status == 429:
        return Throttled(message, retry_after=retry_after if retry_after is not None else 10.0, code=code)
    if status == 409:
        return Conflict(message, code=code)
    if status == 404:
        return NotFound(message, code=code)
    if status in (401, 403):
        return Unauthorized(message, code=code, status=status)
    if 400 <= status < 500:
        return InvalidRequest(message, code=code, status=status)
    return TransientError(message, code=code, status=status)


@dataclass
class InjectedFailure:
    kind: OperationKind
    remaining: int
    status: int
    code: str | None
    message: str | None
    retry_after: float | None

    def error(self) -> BackendError:
        return error_for(self.status, self.code, self.message, retry_after=self.retry_after)


IN_FLIGHT_CODE = "InternalOperationError"
IN_FLIGHT_MESSAGE = "injected fault: the operation failed on the instance"


@dataclass
class InFlightFailure:
    kind: OperationKind
    instance_ids: frozenset[str] | None
    """None: every instance of the batch fails."""
    remaining: int
    code: str = IN_FLIGHT_CODE
    message: str = IN_FLIGHT_MESSAGE

    def affects(self, instance_id: str) -> bool:
        return self.instance_ids is None or instance_id in self.instance_ids


@dataclass
class ThrottleWindow:
    until: datetime
    retry_after: float | None


class Faults:
    """The current fault plan. Consumed by ``SimulatedCloud`` on every call."""

    def __init__(self) -> None:
        self.failures: list[InjectedFailure] = []
        self.in_flight: list[InFlightFailure] = []
        self.throttle: ThrottleWindow | None = None
        self.bad_images: set[str] = set()

    def fail_next(
        self,
        kind: str,
        count: int = 1,
        *,
        status: int = 500,
        code: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        self.failures.append(InjectedFailure(check_kind(kind), count, status, code, message, retry_after))

    def throttle_until(self, until: datetime, retry_after: float | None = None) -> None:
        """Refuse every call with 429 until ``until``; ``retry_after`` defaults to the time left."""
        self.throttle = ThrottleWindow(until, retry_after)

    def fail_in_flight(
        self,
        kind: str,
        *,
        instance_ids: Collection[str] | None = None,
        count: int = 1,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        checked = check_kind(kind)
        if checked not in IN_FLIGHT_KINDS:
            raise ValueError(f"{kind} has no in-flight work to fail; one of: {', '.join(sorted(IN_FLIGHT_KINDS))}")
        ids = frozenset(instance_ids) if instance_ids is not None else None
        failure = InFlightFailure(checked, ids, count, code or IN_FLIGHT_CODE, message or IN_FLIGHT_MESSAGE)
        self.in_flight.append(failure)

    def mark_image_bad(self, version: str) -> None:
        self.bad_images.add(version)

    def clear_bad_image(self, version: str) -> None:
        self.bad_images.discard(version)

    def is_bad(self, version: str) -> bool:
        return version in self.bad_images

    def clear(self) -> None:
        """Drop every injected failure, throttle and bad image."""
        self.failures.clear()
        self.in_flight.clear()
        self.throttle = None
        self.bad_images.clear()

    # -- consumed by the engine ---------------------------------------------------------------

    def check(self, kind: OperationKind, now: datetime) -> None:
        """Raise the error this call should fail with, if any (throttling first)."""
        if self.throttle is not None:
            left = (self.throttle.until - now).total_seconds()
            if left > 0:
                retry_after = self.throttle.retry_after if self.throttle.retry_after is not None else left
                raise Throttled(
                    f"injected throttling: too many requests, retry after {retry_after:g}s",
                    retry_after=retry_after,
                )
            self.throttle = None
        for failure in self.failures:
            if failure.kind == kind:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self.failures.remove(failure)
                raise failure.error()

    def take_in_flight(self, kind: OperationKind) -> InFlightFailure | None:
        for failure in self.in_flight:
            if failure.kind == kind:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self.in_flight.remove(failure)
                return failure
        return None

    def snapshot(self, now: datetime) -> dict[str, object]:
        throttle = None
        if self.throttle is not None and self.throttle.until > now:
            throttle = {
                "until": self.throttle.until.isoformat(),
                "secondsLeft": (self.throttle.until - now).total_seconds(),
                "retryAfter": self.throttle.retry_after,
            }
        return {
            "failNext": [
                {
                    "operation": f.kind,
                    "remaining": f.remaining,
                    "status": f.status,
                    "code": f.error().code,
                    "message": f.message,
                    "retryAfter": f.retry_after,
                }
                for f in self.failures
            ],
            "failInFlight": [
                {
                    "operation": f.kind,
                    "remaining": f.remaining,
                    "instanceIds": sorted(f.instance_ids, key=instance_order) if f.instance_ids is not None else None,
                    "code": f.code,
                    "message": f.message,
                }
                for f in self.in_flight
            ],
            "throttle": throttle,
            "badImages": sorted(self.bad_images),
        }
