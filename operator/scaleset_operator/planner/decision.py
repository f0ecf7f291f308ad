"""``Decision``: everything one pass decided, typed, and the outcome of acting on it.

``decide`` returns one ``Decision`` per pass; the reconciler executes its actions and reports with
``status.build_status(inputs, decision, outcome)``; nothing else decides. Each concern contributes
its own typed step (``ModelStep``, ``RolloutStep``, ``OSUpgradeCheck``, ``OperationStep``) and, in
priority order, what the ScaleSet is busy with (``progress``) and what blocks it (``blockers``):
the ``Reconciling``/``Stalled``/``Ready`` setters only summarise those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scaleset_operator.api.operation import Phase
from scaleset_operator.api.status import RollingUpgradeProgress, RolloutOutcome, RolloutRecord, RolloutResult
from scaleset_operator.planner import requeue
from scaleset_operator.planner.actions import Action
from scaleset_operator.planner.events import PlannedEvent
from scaleset_operator.planner.inputs import OperationView
from scaleset_operator.planner.observation import Observation, Unknown


@dataclass(frozen=True)
class Reason:
    """A condition's reason (CamelCase, for machines) and message (for people)."""

    reason: str
    message: str


@dataclass(frozen=True)
class ModelStep:
    """The scale set's model and capacity are pushed this pass (``ApplyModel``)."""

    kind: Literal["Create", "UpdateModel", "Scale"]
    capacity: int
    activity: Reason


@dataclass(frozen=True)
class FinishedRollout:
    record: RolloutRecord
    outcome: RolloutOutcome


@dataclass(frozen=True)
class RolloutStep:
    """The rollout after this pass: the intent record to store, what ended, why it waits."""

    record: RolloutRecord | None
    finished: tuple[FinishedRollout, ...] = ()
    results: tuple[RolloutResult, ...] = ()
    """``status.lastRollouts`` after this pass (the stored ones with this pass's endings in front)."""
    counts: RollingUpgradeProgress | None = None
    """Progress of ``record`` (when one runs)."""
    activity: Reason | None = None
    """What the rollout is doing or waiting for (RolloutProgressing's reason and message)."""
    moving: bool = True
    """False while held (paused, outside the window, pausing between batches)."""
    sends_batch: bool = False
    """This pass's actions carry the batch's call: accepted, the batch is marked acted."""
    stuck: Reason | None = None
    """No progress within ``progressDeadline``."""
    faulted: Reason | None = None
    """The last rollout of a kind Faulted and still applies (its target is still wanted): a person acts."""


OSUpgradeState = Literal[
    "RequirementsNotMet", "Rolling", "UpToDate", "Starting", "WaitingForImageCatalog", "NotRetried", "TooManyUnhealthy"
]


@dataclass(frozen=True)
class OSUpgradeCheck:
    """Where automatic OS image upgrades stand (only when enabled)."""

    state: OSUpgradeState
    reason: str
    message: str

    @property
    def ok(self) -> bool:
        return self.state in ("Rolling", "UpToDate", "Starting")


@dataclass(frozen=True)
class OperationChange:
    """The new state of a ScaleSetOperation; None fields keep what is stored."""

    phase: Phase
    reason: str
    message: str
    affected: tuple[str, ...] | None = None
    skipped: tuple[str, ...] | None = None
    acted: bool | None = None


@dataclass(frozen=True)
class OperationStep:
    view: OperationView
    change: OperationChange | None = None
    """None: the operation's status stays as stored."""
    sends: bool = False
    """This pass's actions carry the operation's call: accepted, it is marked acted."""


@dataclass(frozen=True)
class Pending:
    """The actions are about to be sent (the status written now is the intent)."""


@dataclass(frozen=True)
class Accepted:
    """The backend accepted every action (or there were none)."""


@dataclass(frozen=True)
class Failed:
    failure: Unknown


Outcome = Pending | Accepted | Failed
PENDING = Pending()
ACCEPTED = Accepted()


@dataclass(frozen=True)
class Effects:
    """What a concern asks for besides its typed step: backend calls, Events, when to look again."""

    actions: tuple[Action, ...] = ()
    events: tuple[PlannedEvent, ...] = ()
    requeue_after: float | None = None

    def __add__(self, other: Effects) -> Effects:
        waits = [w for w in (self.requeue_after, other.requeue_after) if w is not None]
        return Effects(self.actions + other.actions, self.events + other.events, min(waits) if waits else None)


@dataclass(frozen=True)
class Decision:
    observation: Observation
    actions: tuple[Action, ...] = ()
    events: tuple[PlannedEvent, ...] = ()
    requeue_after: float = requeue.IDLE_RESYNC_SECONDS
    model: ModelStep | None = None
    rollout: RolloutStep | None = None
    """None: not evaluated this pass (nothing observed); the stored record stays."""
    os_upgrade: OSUpgradeCheck | None = None
    operation: OperationStep | None = None
    progress: tuple[Reason, ...] = ()
    """What the ScaleSet is busy with, most important first (Reconciling)."""
    blockers: tuple[Reason, ...] = ()
    """What needs a person, most important first (Stalled)."""
    degraded: Reason | None = None
    """Settled instances are unhealthy (Ready=False when nothing is in progress)."""
    unhealthy_since: datetime | None = None
    """Since when ``degraded`` has held (``status.unhealthySince``); None when no instance is unhealthy."""
    observation_overdue: str | None = None
    """The scale set has not been observed for longer than this ``rolloutPolicy.progressDeadline``
    while retrying: a person should look (Stalled, with the cause)."""
    converged_message: str = "the scale set matches the model"

    def next_pass(self, outcome: Outcome, now: datetime) -> float:
        """Seconds until the next pass: as decided, or the capped backoff after a failed call."""
        if isinstance(outcome, Failed):
            return requeue.after_failure(outcome.failure, now)
        return self.requeue_after
