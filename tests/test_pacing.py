"""Resync pacing: idle ScaleSets of a subscription are looked at again just often enough that their
reads use the configured share of the subscription's Compute budget, however many there are."""

from __future__ import annotations

import random

import pytest

from scaleset_operator.pacing import ResyncPacing

SUB = "00000000-0000-0000-0000-000000000001"
OTHER = "00000000-0000-0000-0000-000000000002"
FLOOR = 30.0


def pacing(share: float = 0.5) -> ResyncPacing:
    return ResyncPacing(share=share, rng=random.Random(7))


def test_a_small_fleet_keeps_the_planners_resync() -> None:
    p = pacing()
    for i in range(10):
        p.track(("ns", f"s{i}"), SUB, 10)
    assert p.idle_delay(("ns", "s0"), FLOOR, first=False) == pytest.approx(FLOOR, rel=0.11)


def test_a_thousand_scale_sets_stretch_the_resync_to_half_the_vm_list_budget() -> None:
    p = pacing()
    for i in range(1000):
        p.track(("ns", f"s{i}"), SUB, 10)
    assert p.interval(SUB) == pytest.approx(1000 * 60 / 180)  # 5.6 minutes
    reads = p.reads_per_minute(SUB, FLOOR)
    assert reads["high_cost_get"] == pytest.approx(180)  # 50% of 360 VM lists a minute
    assert reads["low_cost_get"] == pytest.approx(180)  # 22.5% of 800 scale set GETs


def test_the_share_is_configurable() -> None:
    p = pacing(share=0.25)
    for i in range(1000):
        p.track(("ns", f"s{i}"), SUB, 10)
    assert p.reads_per_minute(SUB, FLOOR)["high_cost_get"] == pytest.approx(90)


def test_large_scale_sets_cost_a_vm_list_request_per_page() -> None:
    p = pacing()
    for i in range(100):
        p.track(("ns", f"s{i}"), SUB, 250)  # three pages of 100 VMs each
    assert p.interval(SUB) == pytest.approx(300 * 60 / 180)


def test_subscriptions_are_paced_separately_and_forgetting_shrinks_the_interval() -> None:
    p = pacing()
    for i in range(900):
        p.track(("ns", f"s{i}"), SUB, 10)
    p.track(("ns", "lonely"), OTHER, 10)
    assert p.interval(OTHER) == pytest.approx(60 / 180)
    assert p.idle_delay(("ns", "lonely"), FLOOR, first=False) < FLOOR * 1.11
    for i in range(450):
        p.forget(("ns", f"s{i}"))
    assert p.interval(SUB) == pytest.approx(450 * 60 / 180)
    p.track(("ns", "s500"), SUB, 10)  # tracking again with the same size changes nothing
    assert p.interval(SUB) == pytest.approx(450 * 60 / 180)
    assert p.subscriptions() == sorted([SUB, OTHER])


def test_phases_spread_over_the_interval_then_keep_it() -> None:
    p = pacing()
    for i in range(1000):
        p.track(("ns", f"s{i}"), SUB, 10)
    interval = p.interval(SUB)
    first = [p.idle_delay(("ns", f"s{i}"), FLOOR, first=True) for i in range(1000)]
    assert 0 <= min(first) < interval * 0.05 and interval * 0.95 < max(first) <= interval
    per_minute = sum(1 for d in first if d < 60)
    assert per_minute == pytest.approx(180, rel=0.25), "the first minute after a mass creation reads at the share"
    later = [p.idle_delay(("ns", f"s{i}"), FLOOR, first=False) for i in range(100)]
    assert all(interval * 0.9 <= d <= interval * 1.1 for d in later)


def test_the_share_must_be_a_fraction() -> None:
    with pytest.raises(ValueError, match="share"):
        ResyncPacing(share=0)
    with pytest.raises(ValueError, match="share"):
        ResyncPacing(share=1.5)
