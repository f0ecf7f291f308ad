"""``decide``: the two kstatus deadlines it plans besides rollouts (docs/gitops.md).

- settled with unhealthy instances: ``Stalled`` (a blocker) once that has lasted
  ``rolloutPolicy.healthTimeout``, never while something is in progress; the pass at the deadline is
  planned, so the flip needs no outside event;
- the scale set unobservable while retrying: overdue once that has lasted
  ``rolloutPolicy.progressDeadline`` (credentials refused are a blocker at once, in the setters).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner import requeue
from scaleset_operator.planner.decide import decide
from scaleset_operator.planner.decision import ACCEPTED
from scaleset_operator.planner.inputs import DecideInputs
from scaleset_operator.planner.observation import Observed
from scaleset_operator.planner.status import build_status
from scaleset_operator.planner.timefmt import fmt
from tests.planner.builders import SPEC, T0, inputs, scale_set, unknown
from tests.planner.specs import changed

HEALTH_TIMEOUT = 300.0  # the default PT5M


def sick(**first: object) -> ObservedScaleSet:
    """Five settled instances, the first one with ``first`` (Unhealthy unless told otherwise)."""
    found = scale_set(5)
    changed = replace(found.instances[0], **({"health_state": "Unhealthy"} | first))
    return replace(found, instances=(changed, *found.instances[1:]))


def unhealthy_for(seconds: float | None, observed: ObservedScaleSet | None = None) -> DecideInputs:
    since = fmt(T0 - timedelta(seconds=seconds)) if seconds is not None else None
    return inputs(Observed(observed or sick()), status=ScaleSetStatus(unhealthySince=since))


UNHEALTHY: list[tuple[str, float | None, ObservedScaleSet | None, bool, float]] = [
    # case, unhealthy for (None: first seen now), observed, stalled, next pass after
    ("first seen: the grace begins", None, None, False, requeue.IDLE_RESYNC_SECONDS),
    ("within the grace: look again at its end", 290, None, False, 10.0),
    ("at the end of the grace", HEALTH_TIMEOUT, None, True, requeue.IDLE_RESYNC_SECONDS),
    ("long past it", 3600, None, True, requeue.IDLE_RESYNC_SECONDS),
    (
        "past it but an instance is still booting: in progress, not stalled",
        3600,
        replace(sick(), instances=(*sick().instances[:4], replace(sick().instances[4], provisioning_state="Updating"))),
        False,
        requeue.BUSY_RESYNC_SECONDS,
    ),
]


@pytest.mark.parametrize(
    ("case", "lasted", "observed", "stalled", "wait"), UNHEALTHY, ids=[row[0] for row in UNHEALTHY]
)
def test_settled_unhealthy_instances_stall_after_the_health_timeout(
    case: str, lasted: float | None, observed: ObservedScaleSet | None, stalled: bool, wait: float
) -> None:
    decision = decide(unhealthy_for(lasted, observed))
    assert decision.degraded is not None and decision.degraded.reason == "InstancesUnhealthy"
    assert decision.unhealthy_since == (T0 - timedelta(seconds=lasted) if lasted is not None else T0)
    assert [b.reason for b in decision.blockers] == (["InstancesUnhealthy"] if stalled else [])
    assert decision.requeue_after == wait
    assert not decision.actions


def test_the_stalled_condition_is_the_ready_one_and_clears_on_recovery() -> None:
    given = unhealthy_for(HEALTH_TIMEOUT + 1)
    status = build_status(given, decide(given), ACCEPTED).scale_set
    found = {c.type: c for c in status.conditions}
    assert (found["Ready"].status, found["Ready"].reason) == ("False", "InstancesUnhealthy")
    assert (found["Reconciling"].status, found["Reconciling"].reason) == ("False", "Idle")
    assert (found["Stalled"].status, found["Stalled"].reason) == ("True", "InstancesUnhealthy")
    assert found["Stalled"].message == found["Ready"].message == "1 instances are unhealthy: web000000"
    assert status.unhealthySince == "2026-01-05T11:54:59Z"

    recovered = inputs(Observed(scale_set(5)), status=status)
    after = build_status(recovered, decide(recovered), ACCEPTED).scale_set
    assert {c.type: c.status for c in after.conditions}["Stalled"] == "False"
    assert after.unhealthySince is None


def test_a_spec_change_still_rolls_out_while_stalled_by_unhealthy_instances() -> None:
    stored = ScaleSetStatus(unhealthySince=fmt(T0 - timedelta(hours=1)))
    edited = inputs(Observed(sick()), status=stored, spec=changed(SPEC, **{"sku.name": "Standard_D4s_v5"}))
    decision = decide(edited)
    assert decision.actions, "the edit may be the fix: it is acted on"
    assert not decision.blockers


UNOBSERVED: list[tuple[str, str, float, str | None, float]] = [
    # case, cause, trouble lasted, overdue, next pass after
    ("throttled, just started", "throttled", 0, None, requeue.BUSY_RESYNC_SECONDS),
    ("unavailable for a while", "transient", 600, None, requeue.MAX_TRANSIENT_BACKOFF_SECONDS),
    ("five seconds before the deadline: look again at it", "transient", 1795, None, 5.0),
    ("at the deadline", "transient", 1800, "PT30M", requeue.MAX_TRANSIENT_BACKOFF_SECONDS),
    ("throttled past the deadline", "throttled", 7200, "PT30M", requeue.BUSY_RESYNC_SECONDS),
    ("credentials refused: a blocker anyway, not overdue", "unauthorized", 7200, None, 60.0),
]


@pytest.mark.parametrize(("case", "cause", "lasted", "overdue", "wait"), UNOBSERVED, ids=[row[0] for row in UNOBSERVED])
def test_an_unobservable_scale_set_is_overdue_after_the_progress_deadline(
    case: str, cause: str, lasted: float, overdue: str | None, wait: float
) -> None:
    failure = replace(unknown(cause), since=T0 - timedelta(seconds=lasted))
    decision = decide(inputs(failure))
    assert decision.observation_overdue == overdue
    assert decision.requeue_after == wait
    assert not decision.actions and not decision.blockers
