"""Azure SDK exceptions -> the ``cloud.errors`` vocabulary the reconciler acts on.

The mapping is by HTTP status first (that is what the operator's retry policy depends on) and keeps
Azure's own error code and message, which is what a person needs to read in the ScaleSet's
``Stalled`` condition:

- 429 -> ``Throttled`` with ``Retry-After`` (seconds or an HTTP date; 10 s when absent);
- 401/403, and a credential that cannot produce a token -> ``Unauthorized``;
- 404 -> ``NotFound``; 409 and 412 -> ``Conflict``; 400 and other 4xx -> ``InvalidRequest``;
- 5xx, 408, timeouts and connection failures -> ``TransientError``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from scaleset_operator.cloud.errors import (
    BackendError,
    Conflict,
    InvalidRequest,
    NotFound,
    Throttled,
    TransientError,
    Unauthorized,
)

DEFAULT_RETRY_AFTER = 10.0


def retry_after_seconds(headers: object, now: datetime | None = None) -> float | None:
    """``Retry-After`` (delta seconds or HTTP date) or ``retry-after-ms``; None when absent or unreadable."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                pass
    value = get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _code_and_message(exc: HttpResponseError, fallback_code: str) -> tuple[str, str]:
    error = exc.error
    code = getattr(error, "code", None) or fallback_code
    message = getattr(error, "message", None) or exc.reason or str(exc.message or exc)
    return str(code), str(message)


def translate(exc: BaseException) -> BackendError | None:
    """The ``BackendError`` for an exception raised by the SDK, or None if it is not an Azure failure."""
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, ClientAuthenticationError) and exc.response is None:
        # The credential could not produce a token (expired secret, missing workload identity ...).
        return Unauthorized(f"cannot get an Azure token: {exc.message}", code="CredentialUnavailable")
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = int(exc.status_code)
        code, message = _code_and_message(exc, f"HTTP{status}")
        if status == 429:
            wait = retry_after_seconds(getattr(exc.response, "headers", None))
            return Throttled(message, retry_after=DEFAULT_RETRY_AFTER if wait is None else wait, code=code)
        if status in (401, 403):
            return Unauthorized(message, code=code, status=status)
        if status == 404:
            return NotFound(message, code=code)
        if status in (409, 412):
            return Conflict(message, code=code)
        if status == 408 or status >= 500:
            return TransientError(message, code=code, status=status)
        if 400 <= status < 500:
            return InvalidRequest(message, code=code, status=status)
        return TransientError(message, code=code, status=status)
    if isinstance(exc, ServiceResponseTimeoutError | ServiceRequestTimeoutError | TimeoutError):
        return TransientError(f"the call to Azure timed out: {exc}", code="Timeout")
    if isinstance(exc, ServiceResponseError):
        return TransientError(f"no usable response from Azure: {exc.message}", code="ServiceResponseError")
    if isinstance(exc, ServiceRequestError):
        return TransientError(f"cannot reach Azure: {exc.message}", code="ServiceRequestError")
    if isinstance(exc, AzureError):
        return TransientError(str(exc.message or exc), code=type(exc).__name__)
    return None


def outcome(error: BackendError) -> str:
    """A short label for call statistics (``throttled``, ``client_throttled``, ``not_found`` ...)."""
    if isinstance(error, Throttled):
        return "client_throttled" if error.code == "ClientThrottled" else "throttled"
    return {
        Unauthorized: "unauthorized",
        NotFound: "not_found",
        Conflict: "conflict",
        InvalidRequest: "invalid",
        TransientError: "transient",
    }.get(type(error), "error")
