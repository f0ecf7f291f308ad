"""Which instances a scale-in removes: Azure's scale-in policy, as a pure function.

- ``Default``: repeatedly take the zone with the most instances, within it the fault domain with
  the most instances, then the highest instance ID (Flexible orchestration, whose instance IDs are
  VM names: the most recently created, as the caller's ``sequence`` says).
- ``NewestVM`` / ``OldestVM``: still balance across zones first, then the newest / oldest
  created instance (ties: the higher / lower instance ID).

Instances protected from scale-in are never selected, but they still count toward the zone and
fault domain balance (they occupy capacity there). If too few instances are unprotected, fewer
than ``count`` IDs are returned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scaleset_operator.api.scaleset import ScaleInRule


@dataclass(frozen=True)
class ScaleInCandidate:
    instance_id: str
    zone: str | None
    fault_domain: int
    created_at: datetime
    protected: bool = False
    sequence: int | None = None
    """Order of creation, for IDs that are not numbers (Flexible VM names); None: the decimal ID."""

    @property
    def number(self) -> int:
        return self.sequence if self.sequence is not None else int(self.instance_id)


def select_for_scale_in(instances: Sequence[ScaleInCandidate], rule: ScaleInRule, count: int) -> list[str]:
    """IDs to remove, in removal order."""
    remaining = list(instances)
    chosen: list[str] = []
    for _ in range(max(0, count)):
        candidates = [i for i in remaining if not i.protected]
        if not candidates:
            break
        per_zone = Counter(i.zone for i in remaining)
        fullest = max(per_zone[c.zone] for c in candidates)
        pool = [c for c in candidates if per_zone[c.zone] == fullest]
        if rule == "NewestVM":
            pick = max(pool, key=lambda c: (c.created_at, c.number))
        elif rule == "OldestVM":
            pick = min(pool, key=lambda c: (c.created_at, c.number))
        else:
            per_fd = Counter((i.zone, i.fault_domain) for i in remaining)
            fullest_fd = max(per_fd[(c.zone, c.fault_domain)] for c in pool)
            pool = [c for c in pool if per_fd[(c.zone, c.fault_domain)] == fullest_fd]
            pick = max(pool, key=lambda c: c.number)
        chosen.append(pick.instance_id)
        remaining.remove(pick)
    return chosen
