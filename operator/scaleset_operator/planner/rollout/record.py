"""The intent record of a rollout (``status.rollout``) and one step of its state machine.

Helpers every part of the state machine uses to change the record: mark the batch sent, close a
batch into ``done``/``failed``, and collect Azure's own errors of failed instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scaleset_operator.api.status import ApiErrorBase, RolloutOutcome, RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.actions import Action
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.events import PlannedEvent
from scaleset_operator.planner.timefmt import fmt

SEND_REQUEUE_SECONDS = 1.0


@dataclass(frozen=True)
class BatchStep:
    """One pass of the state machine."""

    record: RolloutRecord | None
    actions: tuple[Action, ...] = ()
    events: tuple[PlannedEvent, ...] = ()
    finished: RolloutRecord | None = None
    """The record as it ended (see ``outcome``)."""
    outcome: RolloutOutcome | None = None
    waiting: Reason | None = None
    """Why the rollout is not moving right now."""
    requeue_after: float | None = None


def mark_batch_acted(record: RolloutRecord) -> RolloutRecord:
    """Once the backend accepted the batch's call: it is never sent again."""
    if record.batch is None:
        return record
    return record.model_copy(update={"batch": record.batch.model_copy(update={"acted": True})})


def batch_done(record: RolloutRecord, good: Sequence[str], bad: Sequence[str], now: datetime) -> RolloutRecord:
    """The batch in flight is over: its instances join ``done`` or ``failed``."""
    return record.model_copy(
        update={
            "done": [*record.done, *good],
            "failed": [*record.failed, *bad],
            "batch": None,
            "batchesCompleted": record.batchesCompleted + 1,
            "lastBatchEndTime": fmt(now),
            "lastProgressTime": fmt(now),
        }
    )


def instance_errors(ids: Sequence[str], by_id: dict[str, ObservedInstance]) -> list[ApiErrorBase]:
    """Azure's own error of each failed instance, when the cloud reported one."""
    return [
        ApiErrorBase(code=found.last_error.code, message=found.last_error.message, target=instance_id)
        for instance_id in ids
        if (found := by_id.get(instance_id)) is not None and found.last_error is not None
    ]
