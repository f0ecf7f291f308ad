"""The client-side budget: Compute's per-scale-set limits as token buckets on an injectable clock."""

from __future__ import annotations

import pytest

from scaleset_operator.backends.azure.budget import COMPUTE_LIMITS, CallBudget, coarse
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import Throttled
from scaleset_operator.cloud.limits import SUBSCRIPTION_LIMITS

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


# -- the subscription's budget ------------------------------------------------------------------


def fleet(count: int, subscription: str = WEB.subscription_id) -> list[ScaleSetKey]:
    return [ScaleSetKey(subscription, "rg", f"vmss{i}") for i in range(count)]


def test_the_subscription_limits_are_computes() -> None:
    assert {k: (r.per_minute, r.burst) for k, r in SUBSCRIPTION_LIMITS.items()} == {
        "put": (125, 375),
        "update": (500, 1500),
        "delete": (175, 525),
        "high_cost_get": (360, 1080),
        "low_cost_get": (800, 2400),
    }


def test_every_scale_set_of_a_subscription_draws_on_one_budget(budget: CallBudget) -> None:
    """1,080 VM lists spread over 1,080 scale sets (one each, far inside each scale set's own budget)
    spend the subscription's burst: the next scale set waits, another subscription does not."""
    for key in fleet(1080):
        budget.take(key, "low_cost_get", "high_cost_get")
    with pytest.raises(Throttled) as error:
        budget.take(ScaleSetKey(WEB.subscription_id, "rg", "one-more"), "low_cost_get", "high_cost_get")
    assert error.value.code == "SubscriptionBudget"
    assert error.value.retry_after == pytest.approx(60 / 360, abs=0.01)
    assert WEB.subscription_id in error.value.message and "high-cost-get" in error.value.message
    assert "360/min" in error.value.message
    budget.take(OTHER_SUBSCRIPTION, "low_cost_get", "high_cost_get")


def test_a_refused_subscription_call_spends_nothing(budget: CallBudget) -> None:
    for key in fleet(1080):
        budget.take(key, "high_cost_get")
    before = budget.available(WEB, "low_cost_get"), budget.subscription_available(WEB.subscription_id, "low_cost_get")
    with pytest.raises(Throttled):
        budget.take(WEB, "low_cost_get", "high_cost_get")
    after = budget.available(WEB, "low_cost_get"), budget.subscription_available(WEB.subscription_id, "low_cost_get")
    assert after == before


def test_waiting_scale_sets_are_given_successive_slots(budget: CallBudget, clock: Clock) -> None:
    """A crowd refused at once comes back spread at the refill rate, not all at the same moment."""
    for key in fleet(375):
        budget.take(key, "put")
    waits = []
    for key in fleet(5, subscription=WEB.subscription_id)[:5]:
        with pytest.raises(Throttled) as error:
            budget.take(ScaleSetKey(key.subscription_id, "rg2", key.name), "put")
        waits.append(error.value.retry_after)
    assert waits == pytest.approx([0.48 * (i + 1) for i in range(5)], abs=0.01)  # 125 per minute
    clock.now += waits[0]
    budget.take(ScaleSetKey(WEB.subscription_id, "rg2", "vmss0"), "put")


def test_a_shard_holds_its_share_of_the_subscription(clock: Clock) -> None:
    third = CallBudget(clock=clock, subscription_share=1 / 3)
    for key in fleet(360):
        third.take(key, "high_cost_get")
    with pytest.raises(Throttled) as error:
        third.take(WEB, "high_cost_get")
    assert "this shard's 120/min" in error.value.message
    assert error.value.retry_after == pytest.approx(0.5, abs=0.01)


def test_the_wait_in_the_message_is_coarse_so_status_does_not_churn() -> None:
    assert [coarse(s) for s in (0.2, 1.0, 1.5, 4, 9.9, 14, 29, 59, 61, 119, 299, 601, 3000)] == [
        "1s", "1s", "2s", "5s", "10s", "15s", "30s", "1m", "2m", "2m", "5m", "11m", "50m",
    ]  # fmt: skip
