"""How rollouts ended (``status.lastRollouts``, one per kind, most recent first).

These typed records are what later passes decide from (a Faulted target is not retried; a
ScaleSetOperation that started or cancelled a rollout learns how it ended), and what the
``rollingUpgrade`` display is rendered from once no rollout runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scaleset_operator.api.status import RolloutResult
from scaleset_operator.planner.decision import FinishedRollout
from scaleset_operator.planner.timefmt import fmt

KINDS_KEPT = 3


def result_of(finished: FinishedRollout, now: datetime) -> RolloutResult:
    record = finished.record
    return RolloutResult(
        kind=record.kind,
        target=record.target,
        outcome=finished.outcome,
        startTime=record.startTime,
        endTime=fmt(now),
        startedBy=record.startedBy,
        cancelRequested=record.cancelRequested,
        successful=len(record.done),
        failed=len(record.failed),
        rolledBack=len(record.rolledBack),
        rollbackFailed=len(record.rollbackFailed),
        error=record.fault,
        operation=record.operation,
    )


def merged(
    previous: Sequence[RolloutResult], finished: Sequence[FinishedRollout], now: datetime
) -> tuple[RolloutResult, ...]:
    """``previous`` with this pass's endings in front (one entry per kind)."""
    results = list(previous)
    for ended in finished:
        result = result_of(ended, now)
        results = [result, *(r for r in results if r.kind != result.kind)]
    return tuple(results[:KINDS_KEPT])
