"""Bearer tokens as ARM checks them, minus the cryptography: the simulator trusts any token.

Optionally a configured token is the only one accepted (``InvalidAuthenticationToken`` otherwise),
and a switch makes every token count as expired (``ExpiredAuthenticationToken``), which is how a
test shows the operator stalling with Azure's message when its credential lapses. Responses carry
``WWW-Authenticate`` like ARM's, without a claims challenge, so the SDK reports the 401 instead of
retrying with a new token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scaleset_operator.simulator.arm.errors import ArmError

AUTHORITY = "https://login.microsoftonline.com/common"


@dataclass
class AuthSettings:
    token: str | None = None
    """Accept only this bearer token; None accepts any."""
    expired: bool = False
    """Refuse every token as expired (a lapsed credential)."""

    def check(self, authorization: str | None, now: datetime) -> None:
        if not authorization:
            raise _unauthorized("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(
                "AuthenticationFailed", "Authentication failed. The 'Authorization' header is not a Bearer token."
            )
        if self.token is not None and token.strip() != self.token:
            raise _unauthorized("InvalidAuthenticationToken", "The access token is invalid.")
        if self.expired:
            expiry = (now - timedelta(minutes=5)).strftime("%m/%d/%Y %H:%M:%S")
            raise _unauthorized(
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{expiry}' is earlier than current UTC time "
                f"'{now.strftime('%m/%d/%Y %H:%M:%S')}'.",
            )


def _unauthorized(code: str, message: str) -> ArmError:
    challenge = f'Bearer authorization_uri="{AUTHORITY}", error="invalid_token", error_description="{message}"'
    return ArmError(401, code, message, {"WWW-Authenticate": challenge})
