"""``ScaleSet.status``: what the operator observed and decided, in Azure's vocabulary.

Every field the operator writes is declared here, because the API server prunes undeclared status
fields silently. ``rollout`` is the operator's intent record: rollout state that cannot be
re-observed from the backend (the batch in flight, what was already done) is written here *before*
the backend is told to act, so a crash at any moment resumes without repeating or losing work.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ConditionStatus = Literal["True", "False", "Unknown"]
TIMESTAMP_FORMAT = {"format": "date-time"}
Timestamp = Annotated[str, Field(json_schema_extra=TIMESTAMP_FORMAT)]
"""An RFC 3339 UTC time as Kubernetes writes them (``2026-01-02T03:04:05Z``; planner/timefmt.py), on
the wall clock (with the simulator, simulated times are in ``ScaleSetStatus.simulatedClock``)."""
RollingUpgradeCode = Literal["RollingForward", "Completed", "Cancelled", "Faulted"]
RolloutKind = Literal["ModelUpgrade", "OSUpgrade", "ReimageAll"]
RolloutOutcome = Literal["Completed", "Cancelled", "Faulted"]


class StatusModel(BaseModel):
    """Status objects tolerate unknown fields (an older or newer operator may have written them)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


def _metav1_condition(schema: dict[str, Any]) -> None:
    """metav1.Condition requires a message (possibly empty) and defaults none of its fields."""
    schema["required"] = ["type", "status", "lastTransitionTime", "reason", "message"]
    schema["properties"]["message"].pop("default", None)


class Condition(StatusModel):
    """metav1.Condition: the same fields, limits and patterns as Kubernetes' own."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, json_schema_extra=_metav1_condition)

    type: str = Field(
        max_length=316,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    )
    status: ConditionStatus
    reason: str = Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    message: str = Field(default="", max_length=32768)
    lastTransitionTime: Timestamp
    observedGeneration: int | None = Field(default=None, ge=0)


class DataDiskStatus(StatusModel):
    lun: int
    diskSizeGB: int


class InstanceStatus(StatusModel):
    """One VM: its model view and instance view side by side, plus what still differs."""

    instanceId: str
    name: str
    zone: str | None = None
    faultDomain: int = 0
    updateDomain: int = 0
    latestModelApplied: bool
    imageVersion: str
    provisioningState: str
    powerState: str
    healthState: str
    dataDisks: list[DataDiskStatus] = Field(default_factory=list)
    protectFromScaleIn: bool = False
    protectFromScaleSetActions: bool = False
    lastUpgradeTime: Timestamp | None = None
    lastOperationError: ApiErrorBase | None = Field(
        default=None,
        description="Azure's error code and message of the instance's last failed operation "
        "(its instance view's ProvisioningState/failed status); target names the operation.",
    )
    differsFromModel: list[str] = Field(
        default_factory=list,
        description="What still differs from the model and what fixes it, e.g. "
        "'dataDisks[lun=0].diskSizeGB 32 != 64 (needs ReimageAll)'.",
    )
    requiredFixes: list[Literal["UpgradeInstances", "Reimage", "ReimageAll"]] = Field(
        default_factory=list,
        description="The instance actions that remove those differences (typed, for tools: no need to "
        "parse differsFromModel).",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )


class RollingUpgradeRunningStatus(StatusModel):
    code: RollingUpgradeCode
    startTime: Timestamp | None = None
    lastAction: Literal["Start", "Cancel"] | None = None
    lastActionTime: Timestamp | None = None
    endTime: Timestamp | None = None


class RollingUpgradeProgress(StatusModel):
    successfulInstanceCount: int = 0
    failedInstanceCount: int = 0
    inProgressInstanceCount: int = 0
    pendingInstanceCount: int = 0


class ApiErrorBase(StatusModel):
    code: str
    message: str
    target: str | None = None


class ApiError(ApiErrorBase):
    """Azure's ApiError: a code, a message, and per-target details (e.g. each failed instance's own
    error from the cloud)."""

    details: list[ApiErrorBase] = Field(default_factory=list)


class RollingUpgradeStatus(StatusModel):
    """Mirrors Azure's RollingUpgradeStatusInfo."""

    kind: RolloutKind = "ModelUpgrade"
    target: str | None = Field(
        default=None,
        description="Model hash or image version of the rollout; a Faulted or Cancelled target is not "
        "retried automatically (a new model or image version, or an operation, starts a new one).",
    )
    runningStatus: RollingUpgradeRunningStatus
    progress: RollingUpgradeProgress = Field(default_factory=RollingUpgradeProgress)
    error: ApiError | None = None


class ImageReferenceStatus(StatusModel):
    publisher: str | None = None
    offer: str | None = None
    sku: str | None = None
    version: str | None = None
    id: str | None = None


class RollbackStatusInfo(StatusModel):
    successfullyRolledbackInstanceCount: int = 0
    failedRolledbackInstanceCount: int = 0
    rollbackError: ApiError | None = None


class OSUpgradeHistoryEntry(StatusModel):
    """Azure's UpgradeOperationHistoricalStatusInfo, flattened."""

    runningStatus: RollingUpgradeRunningStatus
    progress: RollingUpgradeProgress = Field(default_factory=RollingUpgradeProgress)
    startedBy: Literal["Platform", "User"]
    targetImageReference: ImageReferenceStatus
    rollbackInfo: RollbackStatusInfo = Field(default_factory=RollbackStatusInfo)
    error: ApiError | None = None


class RolloutBatch(StatusModel):
    """The batch in flight: recorded before the backend is asked to act on it."""

    number: int
    instanceIds: list[str]
    action: Literal["Upgrade", "Reimage", "ReimageAll", "Rollback", "Surge"]
    startTime: Timestamp
    acted: bool = Field(default=False, description="The backend accepted the batch's call (so it is not sent again).")
    surgeInstanceIds: list[str] = Field(default_factory=list)
    surgeCapacity: int | None = Field(
        default=None, description="maxSurge: the capacity while the batch's replacements exist."
    )
    deleteSent: bool = Field(default=False, description="maxSurge: the old batch (or failed replacements) is going.")
    surgeFailed: bool = Field(
        default=False, description="maxSurge: the replacements were unhealthy; they are deleted, the old batch stays."
    )


class RolloutRecord(StatusModel):
    """The operator's intent record for the rollout in progress (not re-observable from the cloud)."""

    kind: RolloutKind
    target: str = Field(description="Model hash or image version the rollout drives instances to.")
    startTime: Timestamp
    startedBy: Literal["Platform", "User"] = "Platform"
    rollback: bool = True
    done: list[str] = Field(default_factory=list, description="Instance IDs already brought to the target.")
    failed: list[str] = Field(default_factory=list)
    rolledBack: list[str] = Field(default_factory=list)
    rollbackFailed: list[str] = Field(default_factory=list)
    batch: RolloutBatch | None = None
    batchesCompleted: int = 0
    lastBatchEndTime: Timestamp | None = None
    lastProgressTime: Timestamp | None = None
    previousImageVersions: dict[str, str] = Field(default_factory=dict)
    cancelRequested: bool = False
    fault: ApiError | None = Field(default=None, description="Set when a stop rule fired; final after rollback.")
    operation: str | None = Field(default=None, description="ScaleSetOperation that started it, if any.")


class RolloutResult(StatusModel):
    """How the last rollout of one kind ended: the facts later passes decide from (a Faulted or
    Cancelled target is not retried automatically), and what ``rollingUpgrade`` is rendered from."""

    kind: RolloutKind
    target: str
    outcome: RolloutOutcome
    startTime: Timestamp
    endTime: Timestamp
    startedBy: Literal["Platform", "User"] = "Platform"
    cancelRequested: bool = False
    successful: int = 0
    failed: int = 0
    rolledBack: int = 0
    rollbackFailed: int = 0
    error: ApiError | None = None
    operation: str | None = Field(default=None, description="ScaleSetOperation that started it, if any.")


class ObservationStatus(StatusModel):
    """What the operator could see of the cloud scale set on its last pass."""

    state: Literal["Observed", "Absent", "Unknown"] = Field(
        description="Observed; Absent (the cloud says it does not exist); Unknown (a call failed: the "
        "counts and instances in status are the last ones observed, before since)."
    )
    since: Timestamp = Field(description="When this state began.")
    phase: Literal["observe", "act"] | None = Field(
        default=None, description="Unknown only: reading the scale set failed, or a call made on it did."
    )
    cause: Literal["throttled", "transient", "unauthorized", "error"] | None = None
    code: str | None = Field(default=None, description="Azure's error code of the failed call.")
    message: str | None = None


class SimulatedClockStatus(StatusModel):
    """Simulator only (absent with Azure, whose clock is the wall clock)."""

    speed: float = Field(description="Simulated seconds per real second (scaleset-operator run --speed).")
    times: dict[str, Timestamp] = Field(
        default_factory=dict,
        description="The simulated time of each status time the operator measures from on later passes "
        "(the intent record, lastRollouts, observation.since, unhealthySince), by path, e.g. "
        "rollout.batch.startTime; the fields themselves show wall-clock UTC.",
    )


class ScaleSetStatus(StatusModel):
    observedGeneration: int | None = None
    conditions: list[Condition] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    replicas: int = 0
    readyReplicas: int = 0
    updatedReplicas: int = 0
    selector: str = Field(default="", description="Label selector string for the scale subresource (HPA).")
    currentImage: str | None = None
    upgradeState: str | None = None
    modelHash: str | None = None
    latestImageVersion: str | None = None
    lastImageCheckTime: Timestamp | None = None
    instances: list[InstanceStatus] = Field(default_factory=list)
    rollingUpgrade: RollingUpgradeStatus | None = None
    osUpgradeHistory: list[OSUpgradeHistoryEntry] = Field(default_factory=list, max_length=5)
    rollout: RolloutRecord | None = None
    lastRollouts: list[RolloutResult] = Field(
        default_factory=list,
        max_length=3,
        description="How the last rollout of each kind ended, most recent first.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["kind"]},
    )
    observation: ObservationStatus | None = None
    unhealthySince: Timestamp | None = Field(
        default=None,
        description="Since when at least one settled instance has been unhealthy (absent while none is). "
        "Once that lasts longer than rolloutPolicy.healthTimeout with nothing in progress, Stalled is True "
        "with reason InstancesUnhealthy.",
    )
    simulatedClock: SimulatedClockStatus | None = None
