"""The batch history (``status.batchHistory``): each rollout batch's instances, start, end and result.

Events say the same (``BatchStarted``, ``BatchCompleted``) but are notifications: a crash right
after a batch can lose them. The history is derived from the intent record itself, the record this
pass found against the records it leaves (the one it keeps, and any that ended), so it changes in
the very status write that records a batch (its intent) or settles it, and nothing a crash can
interrupt lies between the two. Bounded to the last ``HISTORY_BATCHES`` batches, oldest first.

A batch is identified by its number, action and start time (a rollback batch reuses its batch's
number). It ends when no record this pass leaves still holds it; its instances then sit in the
ending record's ``done``/``failed`` (``rolledBack``/``rollbackFailed`` for a rollback batch), or in
neither when the rollout was cancelled or retargeted before the batch settled (``Abandoned``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scaleset_operator.api.status import BatchHistoryEntry, BatchResult, RolloutBatch, RolloutRecord
from scaleset_operator.planner.decision import FinishedRollout
from scaleset_operator.planner.timefmt import fmt

HISTORY_BATCHES = 20

BatchKey = tuple[int, str, str]


def _key(batch: RolloutBatch) -> BatchKey:
    return (batch.number, batch.action, batch.startTime)


def _entry_key(entry: BatchHistoryEntry) -> BatchKey:
    return (entry.number, entry.action, entry.startTime)


def update(
    previous: Sequence[BatchHistoryEntry],
    before: RolloutRecord | None,
    after: RolloutRecord | None,
    finished: Sequence[FinishedRollout],
    now: datetime,
) -> tuple[BatchHistoryEntry, ...]:
    """``previous`` with the batches that ended this pass closed and the ones recorded this pass added."""
    left = [f.record for f in finished] + ([after] if after is not None else [])
    in_flight = {_key(r.batch): r for r in left if r.batch is not None}
    entries = list(previous)
    if before is not None and before.batch is not None and _key(before.batch) not in in_flight:
        entries = [_closed(e, before.batch, left, now) if _entry_key(e) == _key(before.batch) else e for e in entries]
    known = {_entry_key(e) for e in entries}
    for key, record in in_flight.items():
        if key not in known:
            assert record.batch is not None
            entries.append(_started(record, record.batch))
    return tuple(entries[-HISTORY_BATCHES:])


def _started(record: RolloutRecord, batch: RolloutBatch) -> BatchHistoryEntry:
    return BatchHistoryEntry(
        kind=record.kind,
        target=record.target,
        rolloutStartTime=record.startTime,
        number=batch.number,
        action=batch.action,
        instanceIds=list(batch.instanceIds),
        startTime=batch.startTime,
    )


def _closed(
    entry: BatchHistoryEntry, batch: RolloutBatch, left: Sequence[RolloutRecord], now: datetime
) -> BatchHistoryEntry:
    members = set(batch.instanceIds)
    good: set[str] = set()
    bad: set[str] = set()
    for record in left:
        good.update(record.rolledBack if batch.action == "Rollback" else record.done)
        bad.update(record.rollbackFailed if batch.action == "Rollback" else record.failed)
    succeeded = [i for i in batch.instanceIds if i in good & members]
    failed = [i for i in batch.instanceIds if i in bad & members]
    result: BatchResult = "Failed" if failed else "Succeeded" if succeeded else "Abandoned"
    return entry.model_copy(update={"endTime": fmt(now), "result": result, "succeeded": succeeded, "failed": failed})
