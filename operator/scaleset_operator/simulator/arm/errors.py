"""Azure Resource Manager's error shape: ``{"error": {"code", "message"}}`` with the HTTP status.

Engine errors (``cloud.errors``) carry the status a real call would have failed with; throttling
adds ``Retry-After`` and the ``x-ms-ratelimit-remaining-resource`` header Compute sends with a 429.
"""

from __future__ import annotations

import math

from aiohttp import web

from scaleset_operator.cloud.errors import BackendError, Throttled


class ArmError(Exception):
    """An error response decided by the endpoint itself (bad request, auth, unknown route)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def backend_error_response(exc: BackendError, throttle_policy: str) -> web.Response:
    """The response a Compute call failing with ``exc`` gets (429s name the spent throttle policy)."""
    headers: dict[str, str] = {}
    status = exc.status or 500
    if isinstance(exc, Throttled):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        headers["x-ms-ratelimit-remaining-resource"] = f"{throttle_policy};0"
    return error_response(status, exc.code, exc.message, headers)
