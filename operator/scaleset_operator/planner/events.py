"""Kubernetes Events the planner asks for; the reconciler posts them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scaleset_operator.api.status import ObservationStatus
from scaleset_operator.planner.observation import Unknown


@dataclass(frozen=True)
class PlannedEvent:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


def normal(reason: str, message: str) -> PlannedEvent:
    return PlannedEvent("Normal", reason, message)


def warning(reason: str, message: str) -> PlannedEvent:
    return PlannedEvent("Warning", reason, message)


def failure(failure: Unknown, stored: ObservationStatus | None) -> PlannedEvent | None:
    """A Warning when a call starts failing (or fails differently), not on every retry."""
    if (
        stored is not None
        and stored.state == "Unknown"
        and stored.code == failure.code
        and stored.phase == failure.phase
    ):
        return None
    return warning(failure.reason, failure.describe())
