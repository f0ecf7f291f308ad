"""Kubernetes Events the planner asks for; the reconciler posts them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class PlannedEvent:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


def normal(reason: str, message: str) -> PlannedEvent:
    return PlannedEvent("Normal", reason, message)


def warning(reason: str, message: str) -> PlannedEvent:
    return PlannedEvent("Warning", reason, message)
