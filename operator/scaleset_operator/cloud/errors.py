"""How backend calls fail, in terms the reconciler can act on.

Both backends raise these (the Azure backend translates ``HttpResponseError`` and friends), so the
reconciler's retry policy is written once: throttling waits ``retry_after``; conflicts and transient
errors retry with backoff; authorization and bad-request errors stall with the message.
"""

from __future__ import annotations


class BackendError(Exception):
    """Base class. ``code`` is Azure's error code (e.g. ``OperationNotAllowed``)."""

    retryable: bool = True

    def __init__(self, message: str, *, code: str = "BackendError", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Throttled(BackendError):
    """HTTP 429 (or the operator's own budget): wait ``retry_after`` seconds before the next call."""

    def __init__(self, message: str, *, retry_after: float, code: str = "TooManyRequests") -> None:
        super().__init__(message, code=code, status=429)
        self.retry_after = retry_after


class NotFound(BackendError):
    retryable = False

    def __init__(self, message: str, *, code: str = "ResourceNotFound") -> None:
        super().__init__(message, code=code, status=404)


class Conflict(BackendError):
    """HTTP 409: another operation is in progress on the resource; retry later."""

    def __init__(self, message: str, *, code: str = "Conflict") -> None:
        super().__init__(message, code=code, status=409)


class Unauthorized(BackendError):
    """HTTP 401/403 or a credential that cannot get a token: needs a person, not a retry loop."""

    retryable = False


class InvalidRequest(BackendError):
    """HTTP 400: the model itself is refused (e.g. an image that does not exist)."""

    retryable = False


class TransientError(BackendError):
    """HTTP 5xx, timeouts, connection errors: retried with backoff."""
