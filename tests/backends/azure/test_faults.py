"""Bad days through the real SDK: 429 storms, 5xx, timeouts, expired credentials, failed LROs.

Every fault comes from the ARM endpoint as Azure would send it (status, ``{"error": {...}}`` body,
headers), and the assertions are on what the operator sees: the ``cloud.errors`` class and code,
the wait it is told to respect, the number of requests that actually reached the endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.exceptions import ClientAuthenticationError

from scaleset_operator.backends.azure import AzureBackend, AzureConfig, StaticTokenCredential
from scaleset_operator.cloud.desired import ScaleSetKey, scale_set_key
from scaleset_operator.cloud.errors import Throttled, TransientError, Unauthorized
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS, MAX_RETRY_AFTER_SECONDS
from scaleset_operator.simulator.arm import ArmEndpoint

from ..scenarios import Run, World, changed, make_spec
from .conftest import TOKEN, azure_config


def _key() -> ScaleSetKey:
    return scale_set_key(make_spec(), "web")


async def created(world: World, capacity: int = 3) -> Run:
    """A converged scale set, with no LRO poller left running (so faults hit the test's own calls)."""
    run = Run(world, make_spec(**{"sku.capacity": capacity}))
    await run.converge()
    if isinstance(world.backend, AzureBackend):
        await asyncio.wait_for(world.backend.operations.wait(), timeout=10)
    return run


async def test_a_429_carries_the_servers_retry_after_and_closes_the_budget(azure_world: World) -> None:
    run = await created(azure_world)
    assert azure_world.arm is not None
    azure_world.cloud.throttle_for(120, retry_after=17)

    with pytest.raises(Throttled) as first:
        await azure_world.backend.get(run.key)
    marker = azure_world.arm.requests.marker()
    with pytest.raises(Throttled) as second:
        await azure_world.backend.get(run.key)

    assert (first.value.retry_after, first.value.code) == (17, "TooManyRequests")
    assert second.value.code == "ClientThrottled" and 0 < second.value.retry_after <= 17
    assert azure_world.arm.requests.since(marker) == [], "nothing reaches Azure before Retry-After"


async def test_a_reconcile_loop_rides_out_a_429_storm_without_tight_looping(azure_world: World) -> None:
    """Retry-After is honoured on the wire (the budget keeps every request off it until then); the
    passes themselves are capped so the storm's end is noticed within seconds, and the status keeps
    the scale set as last observed all along."""
    run = await created(azure_world)
    assert azure_world.arm is not None
    azure_world.cloud.throttle_for(120, retry_after=17)
    marker = azure_world.arm.requests.marker()
    end = azure_world.clock.now() + timedelta(seconds=120)
    passes = 0
    while azure_world.clock.now() < end:
        result = await run.step()
        passes += 1
        assert result is not None
        assert BUSY_RESYNC_SECONDS <= result.requeue_after <= MAX_RETRY_AFTER_SECONDS, "no tight loop, no long sleep"
        assert run.status.replicas == 3, "a throttled observation never reports fewer replicas"
        azure_world.clock.advance(result.requeue_after)

    during = azure_world.arm.requests.since(marker)
    assert len(during) <= 120 // 17 + 1, azure_world.arm.requests.counts(marker)
    assert {r.status for r in during} == {429}
    assert run.condition("Reconciling") is not None and run.condition("Reconciling")[1] == "Throttled"  # type: ignore[index]
    assert run.status.observation is not None and run.status.observation.state == "Unknown"
    await run.converge(max_steps=3)  # and observes again at once once the storm is over
    assert run.status.observation is not None and run.status.observation.state == "Observed"


async def test_5xx_is_a_transient_error_and_the_sdk_does_not_retry_it(azure_world: World) -> None:
    run = await created(azure_world)
    assert azure_world.arm is not None
    azure_world.cloud.faults.fail_next("get", status=503, code="ServiceUnavailable")
    with pytest.raises(TransientError) as read:
        await azure_world.backend.get(run.key)
    azure_world.cloud.faults.fail_next("upgrade", status=500)
    marker = azure_world.arm.requests.marker()
    with pytest.raises(TransientError) as write:
        await azure_world.backend.upgrade_instances(run.key, ["0"])

    assert (read.value.code, read.value.status) == ("ServiceUnavailable", 503)
    assert (write.value.code, write.value.status) == ("InternalServerError", 500)
    assert azure_world.arm.requests.counts(marker) == {"vmss.manualupgrade": 1}


async def test_a_timeout_is_a_transient_error(arm_endpoint: ArmEndpoint, azure_world: World) -> None:
    run = await created(azure_world)
    impatient = AzureBackend.from_config(
        azure_config(arm_endpoint, read_timeout=0.3), credential=StaticTokenCredential(TOKEN)
    )
    arm_endpoint.state.slow.seconds, arm_endpoint.state.slow.count = 2.0, 1
    try:
        with pytest.raises(TransientError) as error:
            await impatient.get(run.key)
    finally:
        await impatient.close()
    assert error.value.code == "Timeout"
    assert impatient.stats.count("get", "transient") == 1


async def test_an_unreachable_endpoint_is_a_transient_error() -> None:
    backend = AzureBackend.from_config(
        AzureConfig(base_url="https://127.0.0.1:9", connection_timeout=2), credential=StaticTokenCredential(TOKEN)
    )
    try:
        with pytest.raises(TransientError) as error:
            await backend.get(_key())
    finally:
        await backend.close()
    assert error.value.code == "ServiceRequestError"


async def test_an_expired_credential_stalls_the_scale_set_with_azures_message(azure_world: World) -> None:
    run = await created(azure_world)
    assert azure_world.arm is not None
    azure_world.arm.auth.expired = True

    with pytest.raises(Unauthorized) as error:
        await azure_world.backend.get(run.key)
    azure_world.clock.advance(60)
    await run.step()

    assert (error.value.code, error.value.status) == ("ExpiredAuthenticationToken", 401)
    stalled = run.condition("Stalled")
    assert stalled is not None and stalled[0] == "True", run.status.conditions
    assert stalled[1] == "BackendUnauthorized"
    assert "ExpiredAuthenticationToken" in stalled[2] and "expiry" in stalled[2]


async def test_a_token_the_endpoint_does_not_accept_is_unauthorized(azure_world: World) -> None:
    run = await created(azure_world)
    assert azure_world.arm is not None
    azure_world.arm.auth.token = "the-only-good-token"
    try:
        with pytest.raises(Unauthorized) as error:
            await azure_world.backend.get(run.key)
    finally:
        azure_world.arm.auth.token = None
    assert error.value.code == "InvalidAuthenticationToken"


class NoToken(StaticTokenCredential):
    """A credential that cannot produce a token (lapsed secret, no workload identity)."""

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        raise ClientAuthenticationError("AADSTS7000222: the provided client secret keys are expired")

    async def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        raise ClientAuthenticationError("AADSTS7000222: the provided client secret keys are expired")


async def test_a_credential_that_cannot_get_a_token_is_unauthorized(arm_endpoint: ArmEndpoint) -> None:
    backend = AzureBackend.from_config(azure_config(arm_endpoint), credential=NoToken("unused"))
    try:
        with pytest.raises(Unauthorized) as error:
            await backend.get(_key())
    finally:
        await backend.close()
    assert error.value.code == "CredentialUnavailable" and "AADSTS7000222" in error.value.message


async def test_an_lro_that_fails_mid_batch_is_logged_with_azures_error(
    azure_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    run = await created(azure_world)
    backend = azure_world.backend
    assert isinstance(backend, AzureBackend)
    azure_world.cloud.faults.fail_in_flight(
        "reimage", instance_ids=["1"], code="OSProvisioningTimedOut", message="OS provisioning did not finish in time"
    )
    caplog.set_level(logging.INFO, logger="scaleset_operator.backends.azure")

    await backend.reimage(run.key, ["0", "1"], image_version="2024.01.10")  # accepted
    assert backend.operations.pending == 1
    azure_world.clock.advance(60)
    await asyncio.wait_for(backend.operations.wait(), timeout=10)

    assert backend.stats.count("reimage.lro", "failed") == 1
    assert "OSProvisioningTimedOut" in caplog.text and "instance(s) 1 of scale set web" in caplog.text
    observed = await backend.get(run.key)  # the real SDK, as the operator observes
    assert observed is not None
    assert [(i.instance_id, i.provisioning_state, i.image.version) for i in observed.instances][:2] == [
        ("0", "Succeeded", "2024.01.10"),
        ("1", "Failed", "2024.02.15"),
    ]
    error = observed.instances[1].last_error
    assert error is not None and (error.code, error.message) == (
        "OSProvisioningTimedOut",
        "OS provisioning did not finish in time",
    )
    assert observed.instances[0].last_error is None


async def test_a_failed_batch_reports_azures_reason_in_instance_and_rollout_status(world: World) -> None:
    """Through either backend: the instance's own error code reaches status.instances[] and the
    Faulted rollout's error details, not only "unhealthy after upgrade"."""
    spec = make_spec(**{"sku.capacity": 3, "upgradePolicy.rollingUpgradePolicy.maxUnhealthyUpgradedInstancePercent": 0})
    run = Run(world, spec)
    await run.converge()
    world.cloud.faults.fail_in_flight("upgrade", code="VMExtensionProvisioningError", message="the extension failed")
    run.set_spec(changed(spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge(until=lambda r: r.status.rollout is None and r.status.rollingUpgrade is not None)
    await world.finish_operations()
    rolling = run.status.rollingUpgrade
    assert rolling is not None and rolling.runningStatus.code == "Faulted" and rolling.error is not None
    assert [(d.code, d.message, d.target) for d in rolling.error.details] == [
        ("VMExtensionProvisioningError", "the extension failed", "0")
    ]
    assert "VMExtensionProvisioningError" in rolling.error.message
    failed = next(i for i in run.status.instances if i.instanceId == "0")
    assert failed.lastOperationError is not None and failed.lastOperationError.code == "VMExtensionProvisioningError"


async def test_an_lro_that_succeeds_is_counted(azure_world: World) -> None:
    run = await created(azure_world)
    backend = azure_world.backend
    assert isinstance(backend, AzureBackend)
    await backend.restart(run.key, ["0", "1", "2"])
    azure_world.clock.advance(60)
    await asyncio.wait_for(backend.operations.wait(), timeout=10)
    assert backend.stats.count("restart.lro", "succeeded") == 1


async def test_deleting_a_missing_scale_set_is_fine_and_deleting_one_completes(azure_world: World) -> None:
    run = await created(azure_world)
    backend = azure_world.backend
    await backend.delete(run.key)
    azure_world.clock.advance(60)
    assert await backend.get(run.key) is None
    await backend.delete(run.key)  # already gone: 204, no error


async def test_a_scale_set_held_back_by_its_subscriptions_budget_says_so_in_status(azure_world: World) -> None:
    """Other scale sets of the subscription spent its VM-list budget: the pass asks nothing of Azure,
    waits for the next refill slot, and the ScaleSet's status names the budget."""
    run = await created(azure_world)
    assert isinstance(azure_world.backend, AzureBackend) and azure_world.arm is not None
    budget = azure_world.backend.budget
    for i in range(1080):
        try:
            budget.take(ScaleSetKey(run.key.subscription_id, "rg-other", f"vmss{i}"), "high_cost_get")
        except Throttled:
            break  # spent (the scale set's own passes took a few already)
    marker = azure_world.arm.requests.marker()

    result = await run.step()

    assert azure_world.arm.requests.since(marker) == [], "nothing reached Azure"
    assert 0 < result.requeue_after <= 10.0, "back soon: the wait is a refill slot (360 a minute), capped"
    status, reason, message = run.condition("Reconciling")  # type: ignore[misc]
    assert (status, reason) == ("True", "Throttled")
    assert "SubscriptionBudget" in message and run.key.subscription_id in message and "360/min" in message
    azure_world.clock.advance(60)
    await run.converge()
