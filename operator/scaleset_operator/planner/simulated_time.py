"""Two clocks: the policy clock the planner decides with (``now``), and the wall clock people read.

With Azure they are one clock and nothing here applies. With the simulator the planner runs on
simulated time (``--speed N``: N simulated seconds per real second; the admin endpoint can jump it
ahead), so a five-minute health timeout passes in 15 real seconds at ``--speed 20``. Status shows
what people expect of a Kubernetes status, wall-clock UTC:

- display times (conditions' ``lastTransitionTime``, ``rollingUpgrade``, ``osUpgradeHistory``,
  instances' ``lastUpgradeTime``, a ScaleSetOperation's times) are rendered on the wall clock
  (``status.view.View.shown``);
- the typed records policy measures from across passes (``POLICY_FIELDS``: the intent record, how
  rollouts ended, the observation, ``unhealthySince``) are written on the wall clock too, and their
  simulated values kept beside them in ``status.simulatedClock.times`` by path (``displayed``);
  ``policy_status`` puts those back before the planner reads the stored status, so the planner only
  ever sees simulated time and a health timeout is measured in simulated seconds across passes.

The mapping is linear and exact (``SimulatedClock.to_wall``), so the same simulated time always
shows as the same wall time and an idle pass renders the very same status (no writes). Advancing
the simulator's clock moves the mapping: times written afterwards are shown on the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scaleset_operator.api.status import TIMESTAMP_FORMAT, ScaleSetStatus, SimulatedClockStatus
from scaleset_operator.planner.timefmt import fmt, parse

POLICY_FIELDS = ("rollout", "lastRollouts", "observation", "unhealthySince")
"""Status fields whose times the planner reads back (in simulated time) on later passes."""

Model = TypeVar("Model", bound=BaseModel)
TimeMap = Callable[[str, str], str]
"""(path in status, stored time) -> the time to put there."""


@dataclass(frozen=True)
class SimulatedClock:
    """How the simulator's clock reads on the wall: simulated ``origin`` was wall ``wall_origin``,
    and simulated time runs ``speed`` times faster since (``simulator.clock.ScaledClock``)."""

    origin: datetime
    wall_origin: datetime
    speed: float

    def to_wall(self, moment: datetime) -> datetime:
        return self.wall_origin + (moment - self.origin) / self.speed


def shown(moment: datetime, clock: SimulatedClock | None) -> str:
    """A policy-clock time as status shows it: wall-clock UTC."""
    return fmt(clock.to_wall(moment) if clock is not None else moment)


def displayed(status: ScaleSetStatus, clock: SimulatedClock | None) -> ScaleSetStatus:
    """``status`` as written: its policy fields' simulated times shown on the wall clock, the
    simulated ones kept in ``simulatedClock.times`` (nothing changes without a simulated clock)."""
    if clock is None:
        return status
    simulated: dict[str, str] = {}

    def show(path: str, value: str) -> str:
        wall = shown(parse(value), clock)
        if wall != value:
            simulated[path] = value
        return wall

    result = _map_times(status, show, "", POLICY_FIELDS)
    return result.model_copy(update={"simulatedClock": SimulatedClockStatus(speed=clock.speed, times=simulated)})


def policy_status(stored: ScaleSetStatus) -> ScaleSetStatus:
    """The stored status as the planner reads it: policy fields back in simulated time."""
    clock = stored.simulatedClock
    if clock is None or not clock.times:
        return stored
    times = clock.times
    return _map_times(stored, lambda path, value: times.get(path, value), "", POLICY_FIELDS)


def _map_times(model: Model, change: TimeMap, prefix: str, only: tuple[str, ...] | None = None) -> Model:
    """A copy of ``model`` with every timestamp (in ``only`` at the top) replaced by ``change``."""
    update: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        if only is not None and name not in only:
            continue
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, str) and _is_timestamp(info):
            new: Any = change(path, value)
        elif isinstance(value, BaseModel):
            new = _map_times(value, change, f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            new = [_map_times(item, change, f"{path}[{i}].") for i, item in enumerate(value)]
        else:
            continue
        if new != value:
            update[name] = new
    return model.model_copy(update=update) if update else model


def _is_timestamp(info: FieldInfo) -> bool:
    if info.json_schema_extra == TIMESTAMP_FORMAT:
        return True
    return any(_annotated_timestamp(arg) for arg in get_args(info.annotation))


def _annotated_timestamp(annotation: Any) -> bool:
    if get_origin(annotation) is not Annotated:
        return False
    return any(isinstance(m, FieldInfo) and m.json_schema_extra == TIMESTAMP_FORMAT for m in annotation.__metadata__)
