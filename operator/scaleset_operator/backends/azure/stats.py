"""Call accounting for the Azure backend: the hook a metrics exporter reads.

Kept free of any metrics library on purpose: the backend only counts, and whoever wires Prometheus
(or a test) reads ``snapshot()`` or the counters. Operations are the backend's verbs (``get``,
``apply``, ``reimage`` ...), plus ``<verb>.lro`` for the outcome of the background poller.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal

ThrottleSource = Literal["client", "server"]
"""``client``: the operator's own budget refused the call; ``server``: Azure answered 429."""


@dataclass
class CallStats:
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(operation, outcome) -> count; outcome is ``ok`` or an error kind (``throttled``, ``transient`` ...)."""
    throttle_waits: Counter[tuple[str, ThrottleSource]] = field(default_factory=Counter)
    """(operation, source) -> how many times a call was refused with a wait."""
    throttle_seconds: defaultdict[tuple[str, ThrottleSource], float] = field(default_factory=lambda: defaultdict(float))
    """(operation, source) -> the sum of the waits asked for, in seconds."""

    def record(self, operation: str, outcome: str) -> None:
        self.calls[(operation, outcome)] += 1

    def record_throttle(self, operation: str, seconds: float, source: ThrottleSource) -> None:
        self.throttle_waits[(operation, source)] += 1
        self.throttle_seconds[(operation, source)] += seconds

    def count(self, operation: str | None = None, outcome: str | None = None) -> int:
        return sum(
            n
            for (op, out), n in self.calls.items()
            if (operation is None or op == operation) and (outcome is None or out == outcome)
        )

    def snapshot(self) -> dict[str, object]:
        return {
            "calls": [{"operation": op, "outcome": out, "count": n} for (op, out), n in sorted(self.calls.items())],
            "throttleWaits": [
                {"operation": op, "source": src, "count": n, "seconds": self.throttle_seconds[(op, src)]}
                for (op, src), n in sorted(self.throttle_waits.items())
            ],
        }
