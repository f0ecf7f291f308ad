"""The two ways an operation's status changes: it runs, or it ends."""

from __future__ import annotations

from collections.abc import Sequence

from scaleset_operator.planner.decision import OperationChange


def running(
    message: str,
    *,
    affected: Sequence[str] | None = None,
    skipped: Sequence[str] | None = None,
    acted: bool | None = None,
) -> OperationChange:
    return OperationChange(
        "Running",
        "Running",
        message,
        affected=tuple(affected) if affected is not None else None,
        skipped=tuple(skipped) if skipped is not None else None,
        acted=acted,
    )


def finished(ok: bool, reason: str, message: str, *, skipped: Sequence[str] | None = None) -> OperationChange:
    return OperationChange(
        "Succeeded" if ok else "Failed", reason, message, skipped=tuple(skipped) if skipped is not None else None
    )
