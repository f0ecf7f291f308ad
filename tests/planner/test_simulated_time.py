"""Status times on the wall clock while the planner runs on simulated time (``run --speed N``).

``planner/simulated_time.py``: display times are wall-clock UTC; the records policy measures from keep
their simulated times in ``status.simulatedClock.times`` and get them back before the planner reads
them. Nothing of this with Azure (no simulated clock): the status is the one the planner built.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from scaleset_operator.api.status import ObservationStatus, RolloutBatch, RolloutRecord, ScaleSetStatus
from scaleset_operator.planner.simulated_time import SimulatedClock, displayed, policy_status
from scaleset_operator.planner.timefmt import fmt, parse
from tests.harness import Run, new_run
from tests.planner.specs import changed, make_spec

ORIGIN = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
X20 = SimulatedClock(ORIGIN, ORIGIN, 20.0)
STORED = ScaleSetStatus(
    rollout=RolloutRecord(
        kind="ModelUpgrade",
        target="abc",
        startTime="2026-01-05T12:10:00Z",  # 600 simulated s = 30 real s after the origin
        lastProgressTime="2026-01-05T12:20:00Z",
        batch=RolloutBatch(number=2, instanceIds=["1"], action="Upgrade", startTime="2026-01-05T12:20:00Z"),
    ),
    observation=ObservationStatus(state="Observed", since="2026-01-05T12:00:00Z"),
    unhealthySince="2026-01-05T13:00:00Z",
)


def test_policy_times_are_shown_on_the_wall_clock_and_kept_simulated_beside() -> None:
    shown = displayed(STORED, X20)
    assert shown.rollout is not None and shown.rollout.batch is not None
    assert (shown.rollout.startTime, shown.rollout.batch.startTime) == ("2026-01-05T12:00:30Z", "2026-01-05T12:01:00Z")
    assert shown.unhealthySince == "2026-01-05T12:03:00Z"
    assert shown.simulatedClock is not None and shown.simulatedClock.speed == 20.0
    assert shown.simulatedClock.times == {
        "rollout.startTime": "2026-01-05T12:10:00Z",
        "rollout.batch.startTime": "2026-01-05T12:20:00Z",
        "rollout.lastProgressTime": "2026-01-05T12:20:00Z",
        "unhealthySince": "2026-01-05T13:00:00Z",
    }, "times that read the same on both clocks (the origin) need no simulated copy"
    assert policy_status(shown).model_copy(update={"simulatedClock": None}) == STORED, "the planner reads them back"


def test_without_a_simulated_clock_nothing_is_added() -> None:
    assert displayed(STORED, None) is STORED
    assert policy_status(STORED) is STORED


def times(value: Any, path: str = "") -> dict[str, str]:
    """Every RFC 3339 time in a status (as written), by path, except the simulated copies."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "simulatedClock":
                found.update(times(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.update(times(item, f"{path}[{i}]"))
    elif isinstance(value, str) and len(value) == 20 and value.endswith("Z") and value[10] == "T":
        found[path] = value
    return found


def rolled(speed: float | None) -> Run:
    return new_run(make_spec(**{"sku.capacity": 4}), speed=speed)


async def test_at_speed_20_status_shows_wall_clock_times_and_the_rollout_runs_on_simulated_time() -> None:
    fast, plain = rolled(20.0), rolled(None)
    seen: list[tuple[str, str]] = []

    def no_time_ahead_of_the_wall(run: Run, _: object) -> None:
        wall = fmt(run.wall_now())
        late = {p: t for p, t in times(run.raw_status).items() if t > wall}
        assert not late, f"status times ahead of the wall clock ({wall}): {late}"
        record, simulated = run.status.rollout, run.status.simulatedClock
        if record is not None and simulated is not None:
            seen.append((record.startTime, simulated.times["rollout.startTime"]))

    for run in (fast, plain):
        await run.converge(check=no_time_ahead_of_the_wall)
        run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
        await run.converge(check=no_time_ahead_of_the_wall)
    assert fast.actions == plain.actions, "the same batches at the same simulated times: policy is unchanged"
    assert fast.now() - fast.wall_origin > timedelta(minutes=2), "the rollout took simulated minutes"
    wall, simulated = seen[-1]
    assert fmt(fast.wall_origin + (parse(simulated) - fast.wall_origin) / 20) == wall
    assert plain.status.simulatedClock is None, "with a wall clock (Azure) nothing extra is written"

    writes = fast.kube.patches
    for _ in range(5):
        await fast.step()
        fast.clock.advance(30)
    assert fast.kube.patches == writes, "an idle converged ScaleSet writes nothing, whatever the clocks read"


async def test_the_health_timeout_is_measured_in_simulated_time() -> None:
    run = rolled(20.0)
    await run.converge()
    run.cloud.set_health_override(run.key, "0", "Unhealthy")
    await run.step()
    assert run.status.simulatedClock is not None
    since = run.status.simulatedClock.times["unhealthySince"]
    assert run.status.unhealthySince == fmt(run.wall_now()) and parse(since) == parse(fmt(run.now()))
    result = await run.step()
    assert result is not None and 0 < result.requeue_after <= 300
    run.clock.advance(299)
    await run.step()
    assert run.condition("Stalled") is not None and run.condition("Stalled")[0] == "False"  # type: ignore[index]
    run.clock.advance(1)
    await run.step()
    stalled = run.condition("Stalled")
    assert stalled is not None and stalled[:2] == ("True", "InstancesUnhealthy")
    transition = next(c.lastTransitionTime for c in run.status.conditions if c.type == "Stalled")
    assert transition == fmt(run.wall_now()), "15 real seconds after it began at x20, on the wall clock"
