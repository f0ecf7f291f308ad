"""Everything the planner may look at, gathered by the reconciler before planning."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.desired import DesiredModel, desired_model
from scaleset_operator.cloud.observed import ObservedScaleSet

if TYPE_CHECKING:
    from scaleset_operator.planner.operations import OperationView


@dataclass(frozen=True)
class BackendFailure:
    """The last backend call failed; the planner turns this into conditions (no actions this pass)."""

    code: str
    message: str
    retryable: bool
    retry_after: float | None = None
    kind: str = "error"
    """``throttled`` (a 429, or the operator's own budget), ``unauthorized`` (401/403, credentials),
    or ``error``; decides the condition reason."""


@dataclass(frozen=True)
class PlanInputs:
    name: str
    generation: int
    spec: ScaleSetSpec
    observed: ObservedScaleSet | None
    status: ScaleSetStatus
    now: datetime
    desired: DesiredModel = field(default=None)  # type: ignore[assignment]
    latest_image_version: str | None = None
    """What the model's image resolves to now when it asks for 'latest' (None: unknown / pinned)."""
    backend_failure: BackendFailure | None = None
    deleting: bool = False
    operation: OperationView | None = None
    """The oldest unfinished ScaleSetOperation for this ScaleSet, carried out in this pass."""

    def __post_init__(self) -> None:
        if self.desired is None:
            object.__setattr__(self, "desired", desired_model(self.spec))

    @property
    def capacity(self) -> int:
        return self.spec.sku.capacity
