"""What the ARM endpoint keeps besides the engine: resource metadata, operations, the request log,
its own faults (slow responses) and auth settings.

The engine stays the single source of truth for scale sets and instances; ``reset`` swaps it for a
fresh one so a test session can keep one listening endpoint across tests.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import dataclass, field

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.simulator.arm.auth import AuthSettings
from scaleset_operator.simulator.arm.documents import SecretSealer, StoredScaleSet
from scaleset_operator.simulator.arm.operations import Operations
from scaleset_operator.simulator.engine import SimulatedCloud

COMPUTE_API_VERSIONS = frozenset({"2024-11-01", "2025-04-01", "2025-11-01", "2026-03-01", "2026-04-01"})
"""Compute API versions served: the stable ones from 2024-11-01 to the one azure-mgmt-compute 39 sends
(2026-04-01). Responses have that version's shapes whatever the version asked for."""
GALLERY_API_VERSIONS = frozenset({"2025-03-03", "2025-12-03", "2026-03-03"})
"""Gallery API versions served: the stable ones since 2024-11-01, up to azure-mgmt-compute 39's."""

SKU_API_VERSIONS = frozenset({"2021-07-01"})
"""Resource SKUs API version served (the one azure-mgmt-compute 39's ``resource_skus`` sends)."""
AUTOSCALE_API_VERSIONS = frozenset({"2022-10-01"})
"""Microsoft.Insights autoscale settings (azure-mgmt-monitor 7)."""
METRICS_API_VERSIONS = frozenset({"2024-02-01"})
"""Microsoft.Insights metrics (azure-mgmt-monitor 7)."""

POLL_OPERATIONS = frozenset({"operation.status", "operation.result"})


@dataclass
class ArmSettings:
    poll_retry_after: int = 1
    """``Retry-After`` (seconds) on accepted operations and while they are in progress; 0 omits it,
    and the client falls back to its own polling interval."""
    page_size: int = 100
    """VMs per page of the VM list (``nextLink`` beyond)."""


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    method: str
    operation: str
    """``vmss.get``, ``vmss.put``, ``vms.list``, ``vmss.<action>``, ``operation.status`` ..."""
    status: int
    scale_set: ScaleSetKey | None
    client: str = ""
    """The request's User-Agent (the operator appends ``shard/I/N`` when sharded)."""


@dataclass
class RequestLog:
    """Every request the endpoint answered, for call-budget assertions (bounded to the last 100k)."""

    records: list[LoggedRequest] = field(default_factory=list)
    limit: int = 100_000

    def record(self, method: str, operation: str, status: int, scale_set: ScaleSetKey | None, client: str = "") -> None:
        seq = self.records[-1].seq + 1 if self.records else 1
        self.records.append(LoggedRequest(seq, method, operation, status, scale_set, sys.intern(client)))
        if len(self.records) > self.limit:
            del self.records[: len(self.records) - self.limit]

    def marker(self) -> int:
        return self.records[-1].seq if self.records else 0

    def since(self, marker: int = 0) -> list[LoggedRequest]:
        return [r for r in self.records if r.seq > marker]

    def counts(self, marker: int = 0) -> dict[str, int]:
        return dict(sorted(Counter(r.operation for r in self.since(marker)).items()))

    def summary(self, marker: int = 0) -> dict[str, int]:
        """reads (Compute GETs), writes (PUT/PATCH/POST/DELETE) and polls (operation status) since ``marker``."""
        records = self.since(marker)
        polls = sum(1 for r in records if r.operation in POLL_OPERATIONS)
        reads = sum(1 for r in records if r.method == "GET" and r.operation not in POLL_OPERATIONS)
        return {"reads": reads, "writes": len(records) - reads - polls, "polls": polls, "total": len(records)}


@dataclass
class SlowResponses:
    """The next ``count`` requests wait ``seconds`` (real time) before being answered."""

    seconds: float = 0.0
    count: int = 0

    def take(self) -> float:
        if self.count <= 0:
            return 0.0
        self.count -= 1
        return self.seconds


class ArmState:
    def __init__(self, cloud: SimulatedCloud, settings: ArmSettings | None = None, auth: AuthSettings | None = None):
        self.settings = settings if settings is not None else ArmSettings()
        self.auth = auth if auth is not None else AuthSettings()
        self.requests = RequestLog()
        self.slow = SlowResponses()
        self.reset(cloud)

    def reset(self, cloud: SimulatedCloud) -> None:
        """Serve a fresh engine (tests); the request log, auth and settings stay."""
        self.cloud = cloud
        self.documents: dict[ScaleSetKey, StoredScaleSet] = {}
        """Each scale set as its client wrote it (``documents.py``): secrets only as keyed markers."""
        self.sealer = SecretSealer(os.urandom(32))
        self.operations = Operations(cloud)
        self.slow = SlowResponses()
        self.auth.expired = False
