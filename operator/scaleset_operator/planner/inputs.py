"""Everything ``decide`` may look at, gathered by the reconciler before deciding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.desired import DesiredModel, desired_model
from scaleset_operator.cloud.refusals import CloudFacts
from scaleset_operator.planner.autoscale_observation import AutoscaleObservation
from scaleset_operator.planner.model_comparison import Comparison, compare
from scaleset_operator.planner.observation import Absent, Observation, Observed
from scaleset_operator.planner.simulated_time import SimulatedClock


@dataclass(frozen=True)
class OperationView:
    """A ScaleSetOperation as the reconciler read it (status possibly from the reconciler's own memory)."""

    name: str
    spec: ScaleSetOperationSpec
    status: ScaleSetOperationStatus
    generation: int = 1


@dataclass(frozen=True)
class GateMeasurement:
    """One measurement of a step's gate by the reconciler's gate runner (never a secret in it)."""

    step: int
    reached: str
    """The step's ``reachedTime``: a measurement never counts for another step or rollout."""
    gate: str
    result: Literal["Passed", "Failed", "Error"]
    value: str | None
    message: str


@dataclass(frozen=True)
class JobState:
    """A drain Job as Kubernetes reports it."""

    name: str
    phase: Literal["Running", "Succeeded", "Failed"]
    message: str = ""


@dataclass(frozen=True)
class RevisionData:
    """A ControllerRevision's data as read by the reconciler (the model, Secret references only)."""

    name: str
    data: dict[str, Any]


@dataclass(frozen=True)
class SpecProblem:
    """Why nothing can be planned for this spec (``InvalidSpec``, ``SecretNotFound``,
    ``InvalidSecret``, ``SecretForbidden``, or Azure's code of a refusal, ``planner/preflight.py``):
    a person must act."""

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
    """The model sent to the cloud (with the password resolved); derived from ``spec`` if not given. While
    a rollback pin applies or a change is held (``status.pinnedRevision``, ``status.changePreview``), the
    pinned or held revision's model (``model_spec``). Once the scale set is observed, it is the observed
    model with that spec over it (``comparison``)."""
    model_spec: ScaleSetSpec | None = None
    """The spec whose model is sent: a pinned or held revision's; None: ``spec`` itself."""
    problem: SpecProblem | None = None
    observation: Observation = field(default_factory=Absent)
    latest_image_version: str | None = None
    """What the model's image resolves to now when it asks for 'latest' (None: unknown / pinned)."""
    operation: OperationView | None = None
    """The oldest unfinished ScaleSetOperation for this ScaleSet, carried out in this pass."""
    gate_measurements: tuple[GateMeasurement, ...] = ()
    """The gates ``rollout.gates.due`` asked for, measured in this pass's observe phase."""
    jobs: dict[str, JobState] = field(default_factory=dict)
    """The drain Jobs of the batch in flight, by name (read only while a batch drains)."""
    base_revision: RevisionData | None = None
    """The base revision's data (``revisions.base``), read when the spec's model differs from it: what the
    change preview and the new revision's summary compare with."""
    autoscale: AutoscaleObservation | None = None
    """The autoscale setting, read when it matters (``autoscale_observation.wanted``); None: not read."""
    cloud_facts: CloudFacts | None = None
    """Regions, VM sizes, the image's OS disk size (None: not known this pass; those rules wait)."""
    clock: SimulatedClock | None = None
    """How ``now`` (simulated) reads on the wall clock; None when ``now`` is wall-clock time (Azure)."""
    comparison: Comparison | None = field(default=None, init=False)
    """The observed model against the spec (``model_drift.compare``); None when the scale set was
    not observed, or the backend did not say what model it holds."""

    def __post_init__(self) -> None:
        if (self.spec is None) == (self.problem is None):
            raise ValueError("DecideInputs needs exactly one of spec and problem")
        if self.desired is None and self.spec is not None:
            object.__setattr__(self, "desired", desired_model(self.model_spec or self.spec))
        observation = self.observation
        if self.spec is None or self.desired is None or not isinstance(observation, Observed):
            return
        if observation.scale_set.model is not None:
            found = compare(
                self.model_spec or self.spec, self.desired, observation.scale_set.model, self.status.management
            )
            object.__setattr__(self, "comparison", found)
            object.__setattr__(self, "desired", found.desired)
