"""Call accounting: every backend call the engine served, so tests can assert call budgets.

Azure throttles per scale set (see DESIGN.md section 5); the operator must stay within budget, and
"one call per batch, never one per instance" is only a promise if a test can count the calls.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.simulator.faults import WRITE_KINDS, OperationKind

MAX_RECORDS = 100_000


@dataclass(frozen=True)
class Call:
    seq: int
    at: datetime
    kind: OperationKind
    key: ScaleSetKey | None
    instance_ids: tuple[str, ...] = ()
    error: str | None = None
    """The error code the call failed with, if it failed."""
    skipped: tuple[str, ...] = ()
    """Instances left alone because they are protected from scale set actions."""

    @property
    def write(self) -> bool:
        return self.kind in WRITE_KINDS


class CallLog:
    """Totals since start plus the most recent calls (bounded, for ``since(marker)`` queries)."""

    def __init__(self) -> None:
        self._seq = 0
        self._records: deque[Call] = deque(maxlen=MAX_RECORDS)
        self.totals: Counter[OperationKind] = Counter()
        self.per_scale_set: dict[ScaleSetKey, Counter[OperationKind]] = {}

    def record(self, call: Call) -> None:
        self._records.append(call)
        self.totals[call.kind] += 1
        if call.key is not None:
            self.per_scale_set.setdefault(call.key, Counter())[call.kind] += 1

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def __getitem__(self, kind: OperationKind) -> int:
        return self.totals[kind]

    def marker(self) -> int:
        """A point in the log; pass it to ``since``/``writes_since``/``reads_since``."""
        return self._seq

    def since(self, marker: int, key: ScaleSetKey | None = None) -> list[Call]:
        return [c for c in self._records if c.seq > marker and (key is None or c.key == key)]

    def writes_since(self, marker: int, key: ScaleSetKey | None = None) -> int:
        return sum(1 for c in self.since(marker, key) if c.write)

    def reads_since(self, marker: int, key: ScaleSetKey | None = None) -> int:
        return sum(1 for c in self.since(marker, key) if not c.write)

    def counts(self, key: ScaleSetKey | None = None) -> dict[str, int]:
        counter = self.totals if key is None else self.per_scale_set.get(key, Counter())
        return dict(sorted(counter.items()))

    def snapshot(self) -> dict[str, object]:
        def split(counter: Counter[OperationKind]) -> dict[str, object]:
            return {
                "reads": sum(n for k, n in counter.items() if k not in WRITE_KINDS),
                "writes": sum(n for k, n in counter.items() if k in WRITE_KINDS),
                "byOperation": dict(sorted(counter.items())),
            }

        return {
            "total": split(self.totals),
            "byScaleSet": {str(key): split(counter) for key, counter in self.per_scale_set.items()},
        }
