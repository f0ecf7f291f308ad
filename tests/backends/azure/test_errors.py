"""Azure's failures -> the cloud.errors vocabulary, through the real SDK and ARM error bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseTimeoutError

from scaleset_operator.backends.azure.errors import outcome, retry_after_seconds, translate
from scaleset_operator.cloud.errors import (
    BackendError,
    Conflict,
    InvalidRequest,
    NotFound,
    Throttled,
    TransientError,
    Unauthorized,
)

from ..scenarios import Run, World, make_spec


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "InvalidParameter", InvalidRequest),
        (401, "AuthenticationFailed", Unauthorized),
        (403, "AuthorizationFailed", Unauthorized),
        (404, "NotFound", NotFound),
        (409, "OperationNotAllowed", Conflict),
        (429, "TooManyRequests", Throttled),
        (500, "InternalExecutionError", TransientError),
        (502, "BadGateway", TransientError),
    ],
)
async def test_each_status_maps_to_its_error(
    azure_world: World, status: int, code: str, expected: type[BackendError]
) -> None:
    run = Run(azure_world, make_spec(**{"sku.capacity": 1}))
    await run.converge()
    azure_world.cloud.faults.fail_next("restart", status=status, code=code, message=f"injected {code}", retry_after=4)
    with pytest.raises(BackendError) as error:
        await azure_world.backend.restart(run.key, ["0"])
    assert type(error.value) is expected
    assert (error.value.code, error.value.message) == (code, f"injected {code}")
    if isinstance(error.value, Throttled):
        assert error.value.retry_after == 4


async def test_engine_refusals_keep_azures_code_and_message(azure_world: World) -> None:
    run = Run(azure_world, make_spec(**{"sku.capacity": 2}))
    await run.converge()
    await azure_world.backend.restart(run.key, ["0"])
    with pytest.raises(Conflict) as busy:
        await azure_world.backend.restart(run.key, ["0"])
    with pytest.raises(InvalidRequest) as missing_image:
        await azure_world.backend.reimage(run.key, ["1"], image_version="1999.1.1")
    assert busy.value.code == "OperationNotAllowed" and "in progress" in busy.value.message
    assert missing_image.value.code == "ImageNotFound"


def test_retry_after_in_seconds_http_date_or_milliseconds() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "7"}) == 7
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"Retry-After": format_datetime(now + timedelta(seconds=30), usegmt=True)}, now) == 30
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None
    assert retry_after_seconds(None) is None


def test_failures_without_a_response() -> None:
    unavailable = translate(ClientAuthenticationError("no managed identity endpoint"))
    unreachable = translate(ServiceRequestError("connection refused"))
    slow = translate(ServiceResponseTimeoutError("read timed out"))
    assert isinstance(unavailable, Unauthorized) and unavailable.code == "CredentialUnavailable"
    assert isinstance(unreachable, TransientError) and unreachable.code == "ServiceRequestError"
    assert isinstance(slow, TransientError) and slow.code == "Timeout"
    assert translate(ValueError("a bug")) is None


def test_outcomes_for_call_statistics() -> None:
    assert outcome(Throttled("x", retry_after=1)) == "throttled"
    assert outcome(Throttled("x", retry_after=1, code="ClientThrottled")) == "client_throttled"
    assert outcome(NotFound("x")) == "not_found"
    assert outcome(TransientError("x")) == "transient"
