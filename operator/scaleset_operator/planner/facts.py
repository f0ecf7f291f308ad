"""``Facts``: what the concerns plan from once the spec is valid and the cloud answered.

``decide`` narrows ``DecideInputs`` to this (spec, model and observed scale set all present), so no
concern has to ask again whether a fact is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from scaleset_operator.api.rollout_status import PinnedRevision
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import RolloutKind, RolloutResult, ScaleSetStatus
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.observed import ObservedInstance, ObservedScaleSet
from scaleset_operator.planner import capacity
from scaleset_operator.planner.autoscale_observation import AutoscaleObservation
from scaleset_operator.planner.decision import CapacityStep
from scaleset_operator.planner.health import has_health_signal
from scaleset_operator.planner.inputs import GateMeasurement, JobState, OperationView, RevisionData
from scaleset_operator.planner.model_comparison import Comparison


@dataclass(frozen=True)
class Facts:
    name: str
    generation: int
    now: datetime
    spec: ScaleSetSpec
    desired: DesiredModel
    status: ScaleSetStatus
    scale_set: ObservedScaleSet
    latest_image_version: str | None = None
    operation: OperationView | None = None
    gate_measurements: tuple[GateMeasurement, ...] = ()
    jobs: dict[str, JobState] = field(default_factory=dict)
    pinned: PinnedRevision | None = None
    """The rollback pin, while it applies: ``desired`` is then the pinned revision's model."""
    base_revision: RevisionData | None = None
    comparison: Comparison | None = None
    """The observed model against the spec, field by field (``model_comparison``); None when the
    backend did not say what model the scale set holds."""
    autoscale: AutoscaleObservation | None = None

    @cached_property
    def capacity_owner(self) -> CapacityStep:
        """Who owns capacity and the number this pass keeps (``planner/capacity.py``)."""
        return capacity.step(self.spec, self.scale_set.capacity, self.status.capacity, self.status.rollout)

    @property
    def capacity(self) -> int:
        """The desired capacity: spec.sku.capacity, or the cloud's own when the spec does not own it."""
        return self.capacity_owner.capacity

    @property
    def instances(self) -> tuple[ObservedInstance, ...]:
        return self.scale_set.instances

    @cached_property
    def signal(self) -> bool:
        """The scale set has a health signal (probe or Application Health extension)."""
        return has_health_signal(self.spec)

    @cached_property
    def model_hash(self) -> str:
        return self.desired.model_hash()

    def last_rollout(self, kind: RolloutKind) -> RolloutResult | None:
        """How the last rollout of this kind ended (the typed record in status)."""
        return next((r for r in self.status.lastRollouts if r.kind == kind), None)
