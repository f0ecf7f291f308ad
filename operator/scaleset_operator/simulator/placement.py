"""Where a new instance lands: zone, fault domain and update domain.

Azure spreads a scale set evenly; the simulator does the same greedily and deterministically: the
zone with the fewest instances (ties: the model's zone order), then within that zone the least-used
fault domain and update domain (ties: the lowest number). Pure functions, so the spread is testable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

UPDATE_DOMAIN_COUNT = 5


@dataclass(frozen=True)
class Slot:
    zone: str | None
    fault_domain: int
    update_domain: int


def place(
    existing: Sequence[Slot],
    zones: Sequence[str],
    fault_domain_count: int,
    count: int,
    update_domain_count: int = UPDATE_DOMAIN_COUNT,
) -> list[Slot]:
    """Slots for ``count`` new instances, each placed as if the previous ones already existed."""
    occupied = list(existing)
    placed: list[Slot] = []
    fault_domains = max(1, fault_domain_count)
    for _ in range(count):
        zone: str | None = None
        if zones:
            per_zone = Counter(slot.zone for slot in occupied)
            zone = min(zones, key=lambda z: (per_zone[z], zones.index(z)))
        in_zone = [slot for slot in occupied if slot.zone == zone]
        per_fd = Counter(slot.fault_domain for slot in in_zone)
        per_ud = Counter(slot.update_domain for slot in in_zone)
        fault_domain = min(range(fault_domains), key=lambda fd: (per_fd[fd], fd))
        update_domain = min(range(update_domain_count), key=lambda ud: (per_ud[ud], ud))
        slot = Slot(zone, fault_domain, update_domain)
        occupied.append(slot)
        placed.append(slot)
    return placed
