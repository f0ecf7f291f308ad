"""Autoscale meets rollouts: the minimum a rollout holds, and the settings applied meanwhile."""

from __future__ import annotations

import pytest

from scaleset_operator.api.status import RolloutBatch, RolloutRecord
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner.autoscale_guard import floor, held
from tests.planner.autoscale_specs import owned, settings
from tests.planner.builders import facts, instance, scale_set
from tests.planner.specs import make_spec

T = "2026-01-05T11:00:00Z"
SPEC = make_spec(**{"sku.capacity": 2, **owned(maximum=20)})


def record(batch: RolloutBatch | None = None) -> RolloutRecord:
    return RolloutRecord(kind="ModelUpgrade", target="abc", startTime=T, batch=batch)


def batch(action: str = "Upgrade", **extra: object) -> RolloutBatch:
    return RolloutBatch.model_validate(
        {"number": 1, "instanceIds": ["0", "1"], "action": action, "startTime": T, **extra}
    )


def with_unhealthy(count: int, unhealthy: int) -> object:
    observed = scale_set(count)
    bad = tuple(instance(i, health_state="Unhealthy") if i < unhealthy else observed.instances[i] for i in range(count))
    return observed.__class__(**{**observed.__dict__, "instances": bad})


CASES = [
    ("no rollout: nothing held", scale_set(10), None, None),
    ("between batches, every instance healthy: nothing held", scale_set(10), record(), None),
    ("a batch in flight: the capacity", scale_set(10), record(batch()), 10),
    ("a rollback batch in flight: the capacity", scale_set(10), record(batch("Rollback")), 10),
    ("maxSurge replacements coming: the surge capacity", scale_set(10), record(batch("Surge", surgeCapacity=12)), 12),
    (
        "maxSurge, autoscale scaled out meanwhile: the larger",
        scale_set(13),
        record(batch("Surge", surgeCapacity=12)),
        13,
    ),
    (
        "maxSurge, the old batch being deleted: what is left",
        scale_set(12),
        record(batch("Surge", surgeCapacity=12, deleteSent=True, surgeInstanceIds=["10", "11"])),
        10,
    ),
    (
        "maxSurge, the failed replacements being deleted: what is left",
        scale_set(12),
        record(batch("Surge", surgeCapacity=12, deleteSent=True, surgeFailed=True, surgeInstanceIds=["10", "11"])),
        10,
    ),
    # maxUnhealthyInstancePercent 20: 1 unhealthy needs 5 instances, 3 need 15 (capped at the 10 there are).
    ("between batches, 1 of 10 unhealthy: 5 keep it within 20%", with_unhealthy(10, 1), record(), 5),
    ("between batches, 3 of 10 unhealthy: all 10", with_unhealthy(10, 3), record(), 10),
]


@pytest.mark.parametrize(("case", "observed", "rollout", "expected"), CASES, ids=[c[0] for c in CASES])
def test_floor(case: str, observed: ObservedScaleSet, rollout: RolloutRecord | None, expected: int | None) -> None:
    assert floor(facts(observed, spec=SPEC), rollout) == expected


def test_held_raises_every_profile_and_keeps_them_valid() -> None:
    base = settings(minimum=2, maximum=5, default=3)
    raised = held(base, 7)
    limits = raised.profiles[0].capacity
    assert (limits.minimum, limits.maximum, limits.default) == (7, 7, 7)
    assert raised.profiles[0].rules == base.profiles[0].rules
    assert held(base, 4).profiles[0].capacity.model_dump() == {"minimum": 4, "maximum": 5, "default": 4}


def test_held_changes_nothing_the_profiles_already_allow() -> None:
    base = settings(minimum=4, maximum=10)
    assert held(base, 3) is base
    assert held(base, 4) is base
