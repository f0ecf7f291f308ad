"""``Facts``: what the concerns plan from once the spec is valid and the cloud answered.

``decide`` narrows ``DecideInputs`` to this (spec, model and observed scale set all present), so no
concern has to ask again whether a fact is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import RolloutKind, RolloutResult, ScaleSetStatus
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.observed import ObservedInstance, ObservedScaleSet
from scaleset_operator.planner.health import has_health_signal
from scaleset_operator.planner.inputs import OperationView


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

    @property
    def capacity(self) -> int:
        return self.spec.sku.capacity

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
