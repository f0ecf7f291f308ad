"""What one pass learned from the cloud: the scale set, that it does not exist, or nothing.

An observation can fail, and "could not observe" is a state of its own with its cause, never "no
scale set": planned like Absent, a failed GET would re-create the scale set and report 0 replicas.

- ``Observed``: the cloud answered with the scale set (and its instances);
- ``Absent``: the cloud said it does not exist (404, or the backend returned None);
- ``Unknown``: the cloud could not be read (``phase="observe"``), or a call made on it failed so its
  state after the call is not known (``phase="act"``); ``cause`` says why and ``since`` since when
  (carried over from the stored status while the trouble lasts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scaleset_operator.api.status import ObservationStatus, ScaleSetStatus
from scaleset_operator.cloud.errors import BackendError, Throttled, Unauthorized
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner.timefmt import parse

Cause = Literal["throttled", "transient", "unauthorized", "error"]
Phase = Literal["observe", "act"]

CAUSE_REASONS: dict[Cause, str] = {
    "throttled": "Throttled",
    "transient": "BackendUnavailable",
    "unauthorized": "BackendUnauthorized",
    "error": "BackendError",
}
"""The condition reason each cause is reported with."""


@dataclass(frozen=True)
class Observed:
    scale_set: ObservedScaleSet


@dataclass(frozen=True)
class Absent:
    """The cloud says the scale set does not exist."""


@dataclass(frozen=True)
class Unknown:
    cause: Cause
    phase: Phase
    code: str
    message: str
    since: datetime
    retry_after: float | None = None

    @property
    def needs_person(self) -> bool:
        """Retrying alone will not fix it (credentials, a refused request)."""
        return self.cause in ("unauthorized", "error")

    @property
    def reason(self) -> str:
        return CAUSE_REASONS[self.cause]

    @property
    def detail(self) -> str:
        """Azure's code and message: ``ServiceUnavailable: the service is temporarily unavailable``."""
        return f"{self.code}: {self.message}"

    def describe(self) -> str:
        verb = "reading the scale set" if self.phase == "observe" else "a call to the cloud"
        return f"{verb} failed: {self.detail}"


Observation = Observed | Absent | Unknown


def cause_of(error: BackendError) -> Cause:
    if isinstance(error, Throttled):
        return "throttled"
    if isinstance(error, Unauthorized):
        return "unauthorized"
    return "transient" if error.retryable else "error"


def unknown(error: BackendError, phase: Phase, previous: ScaleSetStatus, now: datetime) -> Unknown:
    """The failure of a backend call as an observation; ``since`` is the start of the trouble (the
    stored status says when it began if the previous pass failed too)."""
    stored = previous.observation
    message = error.message
    if stored is not None and stored.state == "Unknown" and stored.code == error.code and stored.phase == phase:
        message = stored.message or message  # the same trouble: keep its first words (no rewrite per retry)
    return Unknown(
        cause=cause_of(error),
        phase=phase,
        code=error.code,
        message=message,
        since=trouble_since(stored, now),
        retry_after=getattr(error, "retry_after", None),
    )


def trouble_since(stored: ObservationStatus | None, now: datetime) -> datetime:
    if stored is not None and stored.state == "Unknown":
        return parse(stored.since)
    return now


def from_status(stored: ObservationStatus, now: datetime) -> Unknown | None:
    """The failure the stored status reports, if it reports one (to carry it while retrying)."""
    if stored.state != "Unknown" or stored.cause is None or stored.phase is None:
        return None
    return Unknown(
        cause=stored.cause,
        phase=stored.phase,
        code=stored.code or "Unknown",
        message=stored.message or "",
        since=trouble_since(stored, now),
    )
