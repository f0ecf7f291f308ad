"""Typed records of canary steps, gates, drains and revisions, kept in ``ScaleSet.status``.

They are facts later passes decide from (never parsed back from messages): where a rollout stands
in its steps and what its gates measured (inside the intent record ``status.rollout``), the drain of
the batch in flight, the revisions rolled out, and the revision the cloud is pinned to by a rollback.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

GatePhase = Literal["Pending", "Passed", "Failed", "Error"]
Disruption = Literal["None", "Restart", "Reimage", "Replace"]
"""How much a change does to existing instances, least to most (rolloutPolicy.maxDisruption)."""
PreviewKind = Literal[
    "NoChange", "CapacityOnly", "NoInstanceImpact", "NewInstancesOnly", "ModelUpgrade", "ReimageRequired", "Refused"
]
PinReason = Literal["Rollback", "Abort", "GateFailed"]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
"""``status.Timestamp`` (status.py imports this module, so it cannot be imported from there)."""


class Record(BaseModel):
    """Like every status object: unknown fields are ignored (another operator version wrote them)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class GateStatus(Record):
    """A gate of the current step: its last measurement and the counts since the step was reached."""

    name: str
    phase: GatePhase = Field(default="Pending", description="The last measurement's result (Error: not measured).")
    passed: int = 0
    failed: int = 0
    errors: int = 0
    lastMeasured: Timestamp | None = None
    value: str | None = Field(default=None, description="The last value measured (Prometheus) or HTTP status.")
    message: str = ""


class StepProgress(Record):
    """Where a rollout with ``rolloutPolicy.steps`` stands."""

    index: int = Field(default=0, ge=0, description="The current step (0-based) in rolloutPolicy.steps.")
    reachedTime: Timestamp | None = Field(default=None, description="When its checkpoint was reached: the bake began.")
    promoted: bool = Field(default=False, description="A Promote operation ended the bake time or the pause.")
    gates: list[GateStatus] = Field(default_factory=list)


class BatchDrain(Record):
    """The drain hook of the batch in flight: its Jobs run before the batch's call is sent."""

    startTime: Timestamp
    endTime: Timestamp | None = Field(default=None, description="Every Job succeeded; the batch is sent after it.")
    jobs: list[str] = Field(default_factory=list, description="Job names (deterministic: a restart finds them).")
    succeeded: list[str] = Field(default_factory=list, description="Jobs seen succeeded (never run again).")
    failed: list[str] = Field(default_factory=list, description="Jobs seen failed on the last pass.")


class RevisionRecord(Record):
    """A model the operator rolled out, kept as an apps/v1 ControllerRevision owned by the ScaleSet."""

    revision: int
    name: str = Field(description="The ControllerRevision's name.")
    hash: str = Field(description="Hash of the revision's data (the model, Secret references only).")
    createdTime: Timestamp
    generation: int | None = Field(default=None, description="The ScaleSet generation that introduced it.")
    summary: str = Field(default="", description="What changed from the revision before it.")


class PinnedRevision(Record):
    """The cloud runs this revision on purpose although the spec says otherwise (a rollback). The pin is
    released when the spec's model changes again (a revert or a fix forward)."""

    revision: int
    name: str
    hash: str
    specHash: str = Field(description="The spec's model hash when pinned: any other value releases the pin.")
    reason: PinReason
    message: str
    since: Timestamp
    operation: str | None = None


class FieldChangeStatus(Record):
    path: str
    impact: str = Field(description="cloud/changes.py: NoInstanceImpact ... ReimageNeeded, Immutable.")
    reason: str


class ChangePreview(Record):
    """What the spec's latest change does, decided before it is acted on (and what ``scaleset-operator
    diff`` prints for a manifest not applied yet)."""

    generation: int
    hash: str = Field(description="The spec's model hash it describes.")
    baseRevision: int | None = Field(default=None, description="The revision it is compared with.")
    classification: PreviewKind
    disruption: Disruption = Field(description="The most the operator will do to existing instances for it.")
    message: str
    changes: list[FieldChangeStatus] = Field(default_factory=list, max_length=20)
    reimageInstances: list[str] = Field(
        default_factory=list, max_length=100, description="Instances a reimage is needed on to get the change."
    )
    held: bool = Field(default=False, description="Not sent to the cloud: it exceeds rolloutPolicy.maxDisruption.")
    approved: bool = Field(default=False, description="An ApproveChange operation let it through.")
