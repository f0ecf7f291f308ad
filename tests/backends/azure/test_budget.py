"""The client-side budget: Compute's per-scale-set limits as token buckets on an injectable clock."""

from __future__ import annotations

import pytest

from scaleset_operator.backends.azure.budget import COMPUTE_LIMITS, CallBudget
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import Throttled

WEB = ScaleSetKey("00000000-0000-0000-0000-000000000001", "rg", "web")
API = ScaleSetKey("00000000-0000-0000-0000-000000000001", "rg", "api")
OTHER_SUBSCRIPTION = ScaleSetKey("00000000-0000-0000-0000-000000000002", "rg", "web")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def budget(clock: Clock) -> CallBudget:
    return CallBudget(clock=clock)


def test_the_limits_are_computes() -> None:
    assert {k: (r.per_minute, r.burst) for k, r in COMPUTE_LIMITS.items()} == {
        "put": (4, 12),
        "update": (4, 12),
        "high_cost_get": (10, 30),
        "low_cost_get": (12, 36),
        "vm_update": (500, 1500),
    }


def test_single_vm_calls_share_one_budget_per_subscription_taken_all_or_none(budget: CallBudget) -> None:
    other = ScaleSetKey(WEB.subscription_id, WEB.resource_group, "api")
    budget.take(WEB, *["vm_update"] * 1000)
    with pytest.raises(Throttled) as error:
        budget.take(other, *["vm_update"] * 501)
    assert "subscription" in error.value.message and "501 vm-update call(s)" in error.value.message
    assert budget.available(other, "vm_update") == pytest.approx(500), "a refused batch takes nothing"
    budget.take(other, *["vm_update"] * 500)
    assert budget.available(WEB, "vm_update") == pytest.approx(0)


def test_a_burst_then_the_wait_for_the_next_token(budget: CallBudget, clock: Clock) -> None:
    for _ in range(12):
        budget.take(WEB, "update")
    with pytest.raises(Throttled) as error:
        budget.take(WEB, "update")
    assert error.value.code == "ClientThrottled"
    assert error.value.retry_after == pytest.approx(15.0)  # 4 per minute

    clock.now += error.value.retry_after
    budget.take(WEB, "update")  # waiting exactly retry_after is enough
    with pytest.raises(Throttled):
        budget.take(WEB, "update")


def test_buckets_are_per_scale_set_subscription_and_kind(budget: CallBudget) -> None:
    for _ in range(12):
        budget.take(WEB, "put")
    with pytest.raises(Throttled):
        budget.take(WEB, "put")
    budget.take(API, "put")
    budget.take(OTHER_SUBSCRIPTION, "put")
    budget.take(WEB, "update")


def test_taking_several_kinds_is_all_or_nothing(budget: CallBudget) -> None:
    for _ in range(30):
        budget.take(WEB, "high_cost_get")
    before = budget.available(WEB, "low_cost_get")
    with pytest.raises(Throttled) as error:
        budget.take(WEB, "low_cost_get", "high_cost_get")
    assert "high-cost-get" in error.value.message
    assert budget.available(WEB, "low_cost_get") == before, "the scale set GET was not spent either"


def test_a_server_429_closes_the_bucket_for_retry_after(budget: CallBudget, clock: Clock) -> None:
    budget.hold(WEB, "low_cost_get", 17)
    with pytest.raises(Throttled) as error:
        budget.take(WEB, "low_cost_get")
    assert error.value.retry_after == pytest.approx(17)
    clock.now += 17
    budget.take(WEB, "low_cost_get")


def test_refill_never_exceeds_the_burst(budget: CallBudget, clock: Clock) -> None:
    budget.take(WEB, "low_cost_get")
    clock.now += 3600
    assert budget.available(WEB, "low_cost_get") == 36


def test_a_steady_two_second_requeue_is_slowed_to_the_vm_list_rate(budget: CallBudget, clock: Clock) -> None:
    """A rollout observing every 2 s spends the VM list burst, then runs at 10 lists per minute."""
    observed = 0
    for _ in range(300):  # 10 minutes of 2-second passes
        try:
            budget.take(WEB, "low_cost_get", "high_cost_get")
            observed += 1
        except Throttled:
            pass
        clock.now += 2
    assert observed == pytest.approx(30 + 10 * 10, abs=2)
