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
from typing import Any, Literal

from scaleset_operator.api.autoscale import CapacityOwner
from scaleset_operator.api.operation import Phase
from scaleset_operator.api.rollout_status import BatchDrain, ChangePreview, PinnedRevision, RevisionRecord
from scaleset_operator.api.status import (
    AutoscaleStatus,
    BatchHistoryEntry,
    InstanceProtectionStatus,
    RollingUpgradeProgress,
    RolloutOutcome,
    RolloutRecord,
    RolloutResult,
)
from scaleset_operator.cloud.changes import FieldChange
from scaleset_operator.planner import requeue
from scaleset_operator.planner.actions import Action, DrainJob
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

    kind: Literal["Create", "UpdateModel", "Scale", "Retag"]
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
    blocked: Reason | None = None
    """A wait only a person ends (a drain Job failed or timed out)."""
    batches: tuple[BatchHistoryEntry, ...] = ()
    """``status.batchHistory`` after this pass (``rollout/history.py``)."""


@dataclass(frozen=True)
class RevisionWrite:
    """A ControllerRevision to write before the status that lists it (a new revision, or an old one whose
    model is rolled out again under a new number)."""

    record: RevisionRecord
    data: dict[str, Any]


@dataclass(frozen=True)
class RevisionStep:
    """``status.revisions``, ``status.pinnedRevision`` and ``status.changePreview`` after this pass."""

    revisions: tuple[RevisionRecord, ...]
    pinned: PinnedRevision | None
    write: RevisionWrite | None = None
    pruned: tuple[str, ...] = ()
    """ControllerRevisions no longer kept (deleted after the status that drops them is written)."""
    events: tuple[PlannedEvent, ...] = ()
    preview: ChangePreview | None = None
    """``status.changePreview``: what the spec's latest change does, held or approved."""


@dataclass(frozen=True)
class ManagementStep:
    """Whose scale set it is and how it differs from the spec this pass (``status.management``, the
    ``ModelDrifted`` condition): ``planner/adoption.py`` and ``planner/model_drift.py``."""

    origin: Literal["Created", "Adopted"] | None = None
    differences: tuple[FieldChange, ...] = ()
    """The cloud scale set against the spec (the capacity included), as observed this pass."""
    outside: bool = False
    """The differences were made outside the operator: the spec did not change since the scale set last
    matched it (``status.management.syncedGeneration``)."""
    observing: bool = False
    """managementPolicy Observe: reported, never corrected."""
    held: bool = False
    """Not this ScaleSet's scale set (AlreadyExists): nothing is managed, nothing recorded."""


OSUpgradeState = Literal[
    "RequirementsNotMet",
    "Rolling",
    "UpToDate",
    "Starting",
    "WaitingForImageCatalog",
    "NotRetried",
    "TooManyUnhealthy",
    "NotManaged",
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
    drain: BatchDrain | None = None


@dataclass(frozen=True)
class OperationStep:
    view: OperationView
    change: OperationChange | None = None
    """None: the operation's status stays as stored."""
    sends: bool = False
    """This pass's actions carry the operation's call: accepted, it is marked acted."""
    pin: PinnedRevision | None = None
    """A Rollback operation pins the cloud to this revision."""
    approves: int | None = None
    """An ApproveChange operation approves the held change of this generation."""


@dataclass(frozen=True)
class CapacityStep:
    """Who owns capacity this pass and the number a model push carries (``planner/capacity.py``)."""

    owner: CapacityOwner
    capacity: int
    """What ``ApplyModel`` carries: spec.sku.capacity, or the cloud's own number when the spec does not own it."""
    observed: int
    from_spec: bool
    """The spec's number is the desired one (it is written to the cloud when it differs)."""
    stale_spec: int | None = None
    """spec.sku.capacity while another owner has capacity (recorded for a safe handoff back)."""
    handoff: Reason | None = None
    """Back to Spec, but spec.sku.capacity is the stale number: the observed one is kept (a blocker)."""
    change: tuple[int, int] | None = None
    """The cloud's capacity changed since the last pass, and not by the operator: (old, new)."""


@dataclass(frozen=True)
class AutoscaleStep:
    """The autoscale setting this pass (``planner/autoscaling.py``): what status shows, what keeps the
    ScaleSet busy or needs a person."""

    status: AutoscaleStatus | None
    """``status.autoscale`` after this pass (None: no setting is relevant)."""
    activity: Reason | None = None
    blocker: Reason | None = None
    sends: bool = False
    """This pass's actions carry the setting's write or delete: accepted, it is Applied (or gone)."""


@dataclass(frozen=True)
class ProtectionStep:
    """spec.instanceProtection this pass: ``status.instanceProtection`` after it, the VM updates it sends
    (``SetProtection``), what it is doing and the entries that name no instance."""

    entries: tuple[InstanceProtectionStatus, ...] = ()
    activity: Reason | None = None
    not_found: Reason | None = None


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
    jobs: tuple[DrainJob, ...] = ()

    def __add__(self, other: Effects) -> Effects:
        waits = [w for w in (self.requeue_after, other.requeue_after) if w is not None]
        return Effects(
            self.actions + other.actions,
            self.events + other.events,
            min(waits) if waits else None,
            self.jobs + other.jobs,
        )


@dataclass(frozen=True)
class Decision:
    observation: Observation
    actions: tuple[Action, ...] = ()
    events: tuple[PlannedEvent, ...] = ()
    requeue_after: float = requeue.IDLE_RESYNC_SECONDS
    jobs: tuple[DrainJob, ...] = ()
    """Drain Jobs to create (Kubernetes, not the backend), after the intent is written."""
    model: ModelStep | None = None
    revision: RevisionStep | None = None
    """None: not evaluated this pass; the stored revisions, pin and change preview stay."""
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
    converged_reason: str = "Converged"
    management: ManagementStep | None = None
    """None: not evaluated this pass (nothing observed); ``status.management`` stays as stored."""
    protection: ProtectionStep | None = None
    """None: not evaluated this pass (nothing observed); ``status.instanceProtection`` stays."""
    capacity: CapacityStep | None = None
    """None: not evaluated this pass (nothing observed); the stored record stays."""
    autoscale: AutoscaleStep | None = None

    def next_pass(self, outcome: Outcome, now: datetime) -> float:
        """Seconds until the next pass: as decided, or the capped backoff after a failed call."""
        if isinstance(outcome, Failed):
            return requeue.after_failure(outcome.failure, now)
        return self.requeue_after
