"""Per-instance host metrics in simulated time, driven by a load the user sets.

Each scale set has a load (percent of CPU, ``DEFAULT_LOAD`` until someone sets it with
``scaleset-operator sim load NAME 80``); an instance may have its own (``--instance ID``), and new
instances start at the scale set's. Once per simulated minute every running instance reports one
sample of each metric, computed from its load:

=========================  ===============================================  =========
metric                     value at load L (percent)                         unit
=========================  ===============================================  =========
Percentage CPU             L                                                 Percent
Network In Total           L x 2,000,000 (bytes received in the minute)      Bytes
Network Out Total          L x 1,000,000 (bytes sent in the minute)          Bytes
Available Memory Bytes     8 GiB x (1 - 0.8 L / 100)                          Bytes
=========================  ===============================================  =========

Only running instances report (creating and deleting ones do not), so a time window over a scale
set that just grew averages over the instances that were up, as Azure's metrics do. Samples are
kept for ``RETENTION`` (the longest autoscale time window, 12 hours, plus a margin); catching up
over a longer jump of the clock records only that much.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scaleset_operator.autoscale import MetricSample
from scaleset_operator.autoscale.metrics import sample_order

DEFAULT_LOAD = 20.0
SAMPLE_INTERVAL = timedelta(minutes=1)
RETENTION = timedelta(hours=13)
MEMORY_BYTES = 8 * 1024**3

METRICS: Mapping[str, tuple[str, Callable[[float], float]]] = {
    "Percentage CPU": ("Percent", lambda load: load),
    "Network In Total": ("Bytes", lambda load: load * 2_000_000),
    "Network Out Total": ("Bytes", lambda load: load * 1_000_000),
    "Available Memory Bytes": ("Bytes", lambda load: MEMORY_BYTES * (1 - 0.8 * load / 100)),
}
"""Metric name -> (unit, value at a load in percent)."""


def check_load(percent: float) -> float:
    if not 0 <= percent <= 100:
        raise ValueError(f"load must be between 0 and 100 percent, not {percent:g}")
    return float(percent)


def metric_name(name: str) -> str | None:
    """The simulator's spelling of a metric name (Azure's names are case-insensitive), or None."""
    return next((known for known in METRICS if known.lower() == name.lower()), None)


@dataclass
class MetricStore:
    """One scale set's samples: a row per simulated minute with every reporting instance's load."""

    rows: deque[tuple[datetime, dict[str, float]]] = field(default_factory=deque)

    def record(self, at: datetime, loads: Mapping[str, float]) -> None:
        self.rows.append((at, dict(loads)))
        while self.rows and self.rows[0][0] < at - RETENTION:
            self.rows.popleft()

    def samples(self, names: Iterable[str], start: datetime, end: datetime) -> dict[str, list[MetricSample]]:
        """Samples of each known metric in ``[start, end)``, keyed by the name as asked."""
        rows = [(at, loads) for at, loads in self.rows if start <= at < end]
        result: dict[str, list[MetricSample]] = {}
        for name in names:
            known = metric_name(name)
            if known is None:
                continue
            value = METRICS[known][1]
            found = [MetricSample(i, at, value(load)) for at, loads in rows for i, load in loads.items()]
            result[name] = sorted(found, key=sample_order)
        return result

    def latest(self) -> tuple[datetime, dict[str, float]] | None:
        return self.rows[-1] if self.rows else None


def values_at(load: float) -> dict[str, float]:
    """Every metric's value for one instance at ``load`` percent."""
    return {name: compute(load) for name, (_, compute) in METRICS.items()}


def next_sample_time(after: datetime) -> datetime:
    """The next whole simulated minute strictly after ``after``."""
    floor = after.replace(second=0, microsecond=0)
    return floor + SAMPLE_INTERVAL


def catching_up(at: datetime, now: datetime) -> bool:
    """A sample this far in the past would be dropped at once: skip computing it."""
    return at < now - RETENTION
