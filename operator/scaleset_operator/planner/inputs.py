"""Everything ``decide`` may look at, gathered by the reconciler before deciding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.desired import DesiredModel, desired_model
from scaleset_operator.planner.observation import Absent, Observation
from scaleset_operator.planner.simulated_time import SimulatedClock


@dataclass(frozen=True)
class OperationView:
    """A ScaleSetOperation as the reconciler read it (status possibly from the reconciler's own memory)."""

    name: str
    spec: ScaleSetOperationSpec
    status: ScaleSetOperationStatus
    generation: int = 1


@dataclass(frozen=True)
class SpecProblem:
    """Why nothing can be planned for this spec (``InvalidSpec``, ``SecretNotFound``,
    ``InvalidSecret``): a person must act."""

    reason: str
    message: str


@dataclass(frozen=True)
class DecideInputs:
    """One ScaleSet's facts for one pass. Exactly one of ``spec`` and ``problem`` is set."""

    name: str
    generation: int
    now: datetime
    status: ScaleSetStatus
    """As stored before this pass: the intent record and the typed facts earlier passes recorded (their
    times on the policy clock: ``simulated_time.policy_status``)."""
    spec: ScaleSetSpec | None = None
    desired: DesiredModel | None = field(default=None)
    """The model sent to the cloud (with the password resolved); derived from ``spec`` if not given."""
    problem: SpecProblem | None = None
    observation: Observation = field(default_factory=Absent)
    latest_image_version: str | None = None
    """What the model's image resolves to now when it asks for 'latest' (None: unknown / pinned)."""
    operation: OperationView | None = None
    """The oldest unfinished ScaleSetOperation for this ScaleSet, carried out in this pass."""
    clock: SimulatedClock | None = None
    """How ``now`` (simulated) reads on the wall clock; None when ``now`` is wall-clock time (Azure)."""

    def __post_init__(self) -> None:
        if (self.spec is None) == (self.problem is None):
            raise ValueError("DecideInputs needs exactly one of spec and problem")
        if self.desired is None and self.spec is not None:
            object.__setattr__(self, "desired", desired_model(self.spec))
