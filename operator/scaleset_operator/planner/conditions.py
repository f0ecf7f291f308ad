"""The status conditions, one function each, computed from one ``Situation``.

kstatus semantics (Flux, ``kubectl wait``): ``Reconciling=True`` -> in progress; ``Stalled=True`` ->
failed; ``Ready=True`` -> current. Each carries a reason a person can act on.
``lastTransitionTime`` only moves when a condition's status changes, so an idle ScaleSet rewrites
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scaleset_operator.api.status import Condition, ConditionStatus
from scaleset_operator.planner.timefmt import fmt


@dataclass(frozen=True)
class Situation:
    """The one summary every condition is derived from."""

    generation: int
    progressing: tuple[str, str] | None = None
    """(reason, message) while the operator is still converging."""
    stalled: tuple[str, str] | None = None
    """(reason, message) when it cannot progress without a person."""
    rollout: tuple[bool, str, str] | None = None
    """(moving, reason, message) while a rollout exists or is blocked."""
    reimage_required: tuple[int, str] | None = None
    os_upgrade: tuple[bool, str, str] | None = None
    """(ok, reason, message) when automatic OS upgrades are enabled."""
    ready_message: str = "the scale set matches the model"
    degraded: tuple[str, str] | None = None
    """(reason, message) when nothing is in progress but instances are settled and unhealthy."""


def _condition(
    kind: str,
    status: ConditionStatus,
    reason: str,
    message: str,
    generation: int,
    previous: list[Condition],
    now: datetime,
) -> Condition:
    old = next((c for c in previous if c.type == kind), None)
    since = old.lastTransitionTime if old is not None and old.status == status else fmt(now)
    return Condition(
        type=kind,
        status=status,
        reason=reason,
        message=message,
        lastTransitionTime=since,
        observedGeneration=generation,
    )


def ready(s: Situation, previous: list[Condition], now: datetime) -> Condition:
    if s.stalled is not None:
        return _condition("Ready", "False", s.stalled[0], s.stalled[1], s.generation, previous, now)
    if s.progressing is not None:
        return _condition("Ready", "False", s.progressing[0], s.progressing[1], s.generation, previous, now)
    if s.degraded is not None:
        return _condition("Ready", "False", s.degraded[0], s.degraded[1], s.generation, previous, now)
    return _condition("Ready", "True", "Converged", s.ready_message, s.generation, previous, now)


def reconciling(s: Situation, previous: list[Condition], now: datetime) -> Condition:
    if s.progressing is not None and s.stalled is None:
        return _condition("Reconciling", "True", s.progressing[0], s.progressing[1], s.generation, previous, now)
    return _condition("Reconciling", "False", "Idle", "nothing to do", s.generation, previous, now)


def stalled(s: Situation, previous: list[Condition], now: datetime) -> Condition:
    if s.stalled is not None:
        return _condition("Stalled", "True", s.stalled[0], s.stalled[1], s.generation, previous, now)
    return _condition("Stalled", "False", "Progressing", "no blocker", s.generation, previous, now)


def rollout_progressing(s: Situation, previous: list[Condition], now: datetime) -> Condition | None:
    if s.rollout is None:
        return None
    moving, reason, message = s.rollout
    return _condition("RolloutProgressing", "True" if moving else "False", reason, message, s.generation, previous, now)


def reimage_required(s: Situation, previous: list[Condition], now: datetime) -> Condition:
    if s.reimage_required is None or s.reimage_required[0] == 0:
        return _condition(
            "ReimageRequired",
            "False",
            "NoDrift",
            "every instance matches its model",
            s.generation,
            previous,
            now,
        )
    _, message = s.reimage_required
    return _condition("ReimageRequired", "True", "DisksOrOSProfileDiffer", message, s.generation, previous, now)


def automatic_os_upgrade(s: Situation, previous: list[Condition], now: datetime) -> Condition | None:
    if s.os_upgrade is None:
        return None
    ok, reason, message = s.os_upgrade
    return _condition("AutomaticOSUpgrade", "True" if ok else "False", reason, message, s.generation, previous, now)


def all_conditions(s: Situation, previous: list[Condition], now: datetime) -> list[Condition]:
    found = [
        ready(s, previous, now),
        reconciling(s, previous, now),
        stalled(s, previous, now),
        reimage_required(s, previous, now),
        rollout_progressing(s, previous, now),
        automatic_os_upgrade(s, previous, now),
    ]
    return [c for c in found if c is not None]
