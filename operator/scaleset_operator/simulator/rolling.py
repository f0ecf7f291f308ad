"""Azure's own upgrade policy, as data: what a client other than the operator asks the platform to do.

The operator always writes ``upgradePolicy.mode = Manual`` and orchestrates upgrades itself
(docs/azure.md). Any other Azure client may set ``Automatic`` or ``Rolling``; then Azure moves the
instances on its own, and so does the simulator (``platform_upgrades.py``). This module holds the
parsed policy (Azure's names, defaults and ranges), the record of one rolling upgrade as
``rollingUpgrades/latest`` and ``osUpgradeHistory`` report it, and the small rules shared by both:
the batch size and the "more than N percent" checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.scaleset import ImageReference

PlatformMode = Literal["Automatic", "Rolling", "Manual"]
RunningCode = Literal["RollingForward", "Completed", "Cancelled", "Faulted"]
UpgradeKind = Literal["model", "os"]

BEFORE_BATCH = "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade"
AFTER_BATCH = "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade"

_PERCENTS = {
    "maxBatchInstancePercent": (5, 100),
    "maxUnhealthyInstancePercent": (5, 100),
    "maxUnhealthyUpgradedInstancePercent": (0, 100),
}


@dataclass(frozen=True)
class RollingPolicy:
    """Azure's ``rollingUpgradePolicy`` with its defaults (20/20/20, no pause)."""

    max_batch_percent: int = 20
    max_unhealthy_percent: int = 20
    max_unhealthy_upgraded_percent: int = 20
    pause: timedelta = timedelta(0)
    prioritize_unhealthy: bool = False
    max_surge: bool = False

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RollingPolicy:
        """Raises ``ValueError`` naming the field, like Azure's ``InvalidParameter``."""
        percents = {}
        for name, (low, high) in _PERCENTS.items():
            value = raw.get(name, 20)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"upgradePolicy.rollingUpgradePolicy.{name} must be an integer from {low} to {high}")
            percents[name] = value
        try:
            pause = parse_duration(str(raw.get("pauseTimeBetweenBatches") or "PT0S"))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches: {exc}") from None
        return cls(
            max_batch_percent=percents["maxBatchInstancePercent"],
            max_unhealthy_percent=percents["maxUnhealthyInstancePercent"],
            max_unhealthy_upgraded_percent=percents["maxUnhealthyUpgradedInstancePercent"],
            pause=pause,
            prioritize_unhealthy=bool(raw.get("prioritizeUnhealthyInstances", False)),
            max_surge=bool(raw.get("maxSurge", False)),
        )

    def as_json(self) -> dict[str, Any]:
        seconds = int(self.pause.total_seconds())
        return {
            "maxBatchInstancePercent": self.max_batch_percent,
            "maxUnhealthyInstancePercent": self.max_unhealthy_percent,
            "maxUnhealthyUpgradedInstancePercent": self.max_unhealthy_upgraded_percent,
            "pauseTimeBetweenBatches": f"PT{seconds}S",
            "prioritizeUnhealthyInstances": self.prioritize_unhealthy,
            "maxSurge": self.max_surge,
        }


@dataclass(frozen=True)
class PlatformPolicy:
    """``upgradePolicy`` as the platform applies it. Manual (the default) moves nothing by itself."""

    mode: PlatformMode = "Manual"
    rolling: RollingPolicy = field(default_factory=RollingPolicy)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> PlatformPolicy:
        raw = raw or {}
        mode = raw.get("mode", "Manual")
        for known in ("Automatic", "Rolling", "Manual"):
            if isinstance(mode, str) and mode.lower() == known.lower():
                rolling = raw.get("rollingUpgradePolicy") or {}
                if not isinstance(rolling, Mapping):
                    raise ValueError("upgradePolicy.rollingUpgradePolicy must be an object")
                return cls(mode=_mode(known), rolling=RollingPolicy.from_json(rolling))
        raise ValueError(f"upgradePolicy.mode {mode!r} is not one of Automatic, Rolling, Manual")


def _mode(value: str) -> PlatformMode:
    return "Automatic" if value == "Automatic" else "Rolling" if value == "Rolling" else "Manual"


@dataclass
class RollingUpgrade:
    """One rolling upgrade the platform runs: a model rollout (Rolling mode) or an OS upgrade
    (``osRollingUpgrade``). ``batch`` holds the instances being upgraded (with maxSurge: the old
    ones to replace), ``surge`` their replacements."""

    kind: UpgradeKind
    policy: RollingPolicy
    started_at: datetime
    started_by: Literal["User", "Platform"] = "User"
    target_image: ImageReference | None = None
    target_version: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    code: RunningCode = "RollingForward"
    last_action: Literal["Start", "Cancel"] = "Start"
    last_action_at: datetime | None = None
    ended_at: datetime | None = None
    batch: list[str] = field(default_factory=list)
    surge: list[str] = field(default_factory=list)
    successful: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    pending: int = 0
    cancel_requested: bool = False
    error: tuple[str, str] | None = None

    @property
    def running(self) -> bool:
        return self.code == "RollingForward"

    @property
    def in_progress(self) -> int:
        return len(self.surge or self.batch)

    def finish(self, code: RunningCode, at: datetime, error: tuple[str, str] | None = None) -> None:
        self.code = code
        self.ended_at = at
        self.error = error
        self.batch, self.surge = [], []


def batch_size(total: int, percent: int) -> int:
    """``percent`` of the instance count, at least one (so 5 or fewer instances go one at a time)."""
    return max(1, total * percent // 100)


def over(count: int, total: int, percent: int) -> bool:
    """More than ``percent`` percent of ``total``? (Azure's checks are "exceeds", never "reaches".)"""
    return total > 0 and count * 100 > percent * total
