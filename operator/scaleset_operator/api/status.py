"""``ScaleSet.status``: what the operator observed and decided, in Azure's vocabulary.

Every field the operator writes is declared here, because the API server prunes undeclared status
fields silently. ``rollout`` is the operator's intent record: rollout state that cannot be
re-observed from the backend (the batch in flight, what was already done) is written here *before*
the backend is told to act, so a crash at any moment resumes without repeating or losing work.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scaleset_operator.api.autoscale import CapacityOwner
from scaleset_operator.api.rollout_status import (
    BatchDrain,
    ChangePreview,
    PinnedRevision,
    RevisionRecord,
    StepProgress,
)

ConditionStatus = Literal["True", "False", "Unknown"]
TIMESTAMP_FORMAT = {"format": "date-time"}
Timestamp = Annotated[str, Field(json_schema_extra=TIMESTAMP_FORMAT)]
"""An RFC 3339 UTC time as Kubernetes writes them (``2026-01-02T03:04:05Z``; planner/timefmt.py), on
the wall clock (with the simulator, simulated times are in ``ScaleSetStatus.simulatedClock``)."""
RollingUpgradeCode = Literal["RollingForward", "Completed", "Cancelled", "Faulted"]
RolloutKind = Literal["ModelUpgrade", "OSUpgrade", "ReimageAll", "Rollback"]
RolloutOutcome = Literal["Completed", "Cancelled", "Faulted"]
BatchAction = Literal["Upgrade", "Reimage", "ReimageAll", "Rollback", "Surge"]
BatchResult = Literal["InProgress", "Succeeded", "Failed", "Abandoned"]


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


class MaintenanceRedeployStatus(StatusModel):
    """Azure's ``maintenanceRedeployStatus``: present only while maintenance is planned for the instance."""

    isCustomerInitiatedMaintenanceAllowed: bool = Field(
        description="A PerformMaintenance operation may start it now (within the self-service window)."
    )
    preMaintenanceWindowStartTime: Timestamp | None = None
    preMaintenanceWindowEndTime: Timestamp | None = Field(
        default=None, description="After it, the platform does the maintenance itself."
    )


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
    requiredFixes: list[Literal["UpgradeInstances", "Reimage", "ReimageAll", "Replace"]] = Field(
        default_factory=list,
        description="The instance actions that remove those differences (typed, for tools: no need to "
        "parse differsFromModel).",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    maintenanceRedeployStatus: MaintenanceRedeployStatus | None = None


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
    action: BatchAction
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
    drain: BatchDrain | None = Field(default=None, description="rolloutPolicy.drain: the Jobs run before the call.")
    deleteTime: Timestamp | None = Field(default=None, description="maxSurge: when the delete was recorded.")


class BatchHistoryEntry(StatusModel):
    """One batch of a rollout as it happened: written in the same status write as the batch's intent
    (when it starts) and as its settlement (when it ends), so it survives any crash."""

    kind: RolloutKind
    target: str = Field(description="The rollout's target (model hash, image version, disk sizes).")
    rolloutStartTime: Timestamp
    number: int
    action: BatchAction
    instanceIds: list[str]
    startTime: Timestamp
    endTime: Timestamp | None = None
    result: BatchResult = Field(
        default="InProgress",
        description="Succeeded (every instance reached the target healthy), Failed (some did not), or "
        "Abandoned (the rollout was cancelled or retargeted, or its record dropped, before the batch "
        "settled).",
    )
    succeeded: list[str] = Field(default_factory=list, description="Instances upgraded (or restored) healthy.")
    failed: list[str] = Field(default_factory=list, description="Instances unhealthy after the batch.")


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
    step: StepProgress | None = Field(default=None, description="rolloutPolicy.steps: the current step.")
    revision: int | None = Field(default=None, description="The revision a model upgrade or rollback rolls out.")
    rollbackRequested: bool = Field(
        default=False, description="On its fault, roll the instances it changed back (Abort, onGateFailure)."
    )
    drainSeconds: int = Field(
        default=0, description="Time spent warning instances before disrupting them (drain Jobs, Scheduled Events)."
    )
    stoppedBy: str | None = Field(default=None, description="The Abort operation that stopped it.")
    approvedInstances: list[str] = Field(
        default_factory=list,
        description="osRollingUpgradeDeferral: instances an ApproveRollingUpgrade operation let through.",
    )


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
    revision: int | None = None
    drainSeconds: int = 0
    stoppedBy: str | None = Field(default=None, description="The Abort operation that stopped it.")


class InstanceProtectionStatus(StatusModel):
    """One instance whose protection the operator manages: what it sets (or removes) and where that
    stands. Also the record of what the operator set, so removing a spec entry removes the protection
    while protection set by others (the portal) is left alone."""

    instance: str = Field(description="The spec.instanceProtection entry (an instance being unprotected: its ID).")
    instanceId: str | None = Field(default=None, description="The instance it names (absent when none matches).")
    protectFromScaleIn: bool = False
    protectFromScaleSetActions: bool = False
    state: Literal["Applied", "Applying", "Removing", "InstanceNotFound"] = Field(
        description="Applied (the instance has it); Applying / Removing (the VM update is sent or waits for "
        "the instance's operation to end); InstanceNotFound (no instance has that ID or computer name)."
    )


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


class PushRecord(StatusModel):
    """The last model push made to correct fields, to stop pushing what Azure does not keep."""

    generation: int = Field(description="The ScaleSet generation the push was made for.")
    fields: list[str] = Field(default_factory=list, description="The fields it was to change.")
    attempts: int = Field(default=1, description="Pushes in a row that found the same fields differing.")


class ManagementStatus(StatusModel):
    """What the operator must remember about the cloud scale set across passes, beyond what it can
    read back from Azure (planner/adoption.py, planner/model_drift.py)."""

    origin: Literal["Created", "Adopted"] | None = Field(
        default=None,
        description="Created: this ScaleSet created the scale set. Adopted: it existed (spec.adopt, or it "
        "carried the operator's hash tags) and this ScaleSet took it over, keeping what the spec does not set.",
    )
    since: Timestamp | None = Field(default=None, description="When it was created or adopted.")
    secretsBaseline: str | None = Field(
        default=None,
        description="Fingerprint of what Azure never returns (admin password, protected settings, user data) "
        "as last sent, or as assumed on adoption: when a Secret changes, the model is pushed again.",
    )
    managedEntries: list[str] = Field(
        default_factory=list,
        description="Entries of keyed lists and maps the spec declares (tags, extensions, NICs, data disks ...): "
        "one removed from the spec later is removed from the scale set; entries added by others are kept.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    driftedFields: list[str] = Field(
        default_factory=list,
        description="Fields of the cloud scale set found changed outside the operator (managementPolicy "
        "Observe: every field that differs from the spec) when last observed.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    syncedGeneration: int | None = Field(
        default=None,
        description="The ScaleSet generation whose spec the scale set last matched: a difference found while "
        "the generation is still this one was made outside the operator (drift), not by a spec change.",
    )
    syncedRevision: str | None = Field(
        default=None,
        description="The revision whose model the scale set last matched when it was not the spec's (a rollback "
        "pin, a held change): a rollback or a release within one generation is the operator's change, not drift.",
    )
    lastPush: PushRecord | None = Field(
        default=None,
        description="The last push that was to change fields, until the scale set matches the spec: the "
        "operator pushes the same fields twice at most, then reports them (ModelNotApplied).",
    )


class CapacityStatus(StatusModel):
    """Who owns the number of instances, and the number the cloud has (written while the spec does
    not own it, and during a handoff back to the spec)."""

    owner: CapacityOwner = Field(description="spec.capacityOwner as of the last pass.")
    observed: int = Field(ge=0, description="The cloud scale set's capacity as last observed.")
    staleSpecCapacity: int | None = Field(
        default=None,
        ge=0,
        description="spec.sku.capacity as it stood while another owner had capacity. After a switch back "
        "to Spec, the operator keeps the observed capacity until spec.sku.capacity differs from this "
        "value (no jump to a stale number).",
    )


class ScaleActionStatus(StatusModel):
    """One capacity change made by autoscale (or by another owner), as the operator observed it, with
    the rule and metric value that explain it."""

    time: Timestamp = Field(description="When the operator observed the change (within one pass of it).")
    oldCapacity: int = Field(ge=0)
    newCapacity: int = Field(ge=0)
    reason: str = Field(
        max_length=64,
        description="Azure's decision: ScaleOut, ScaleIn, BelowMinimum, AboveMaximum, DefaultCapacity; "
        "Unexplained when the rules in force do not explain it (a person or another tool).",
    )
    profile: str | None = Field(default=None, max_length=256)
    rule: int | None = Field(default=None, ge=0, description="Index of the rule in the profile.")
    metricName: str | None = Field(default=None, max_length=256)
    metricValue: float | None = Field(default=None, description="The metric value the rule compared.")
    threshold: float | None = None
    message: str = Field(default="", max_length=1024)


class AutoscaleStatus(StatusModel):
    """The autoscale setting that decides the capacity (``spec.autoscale``, or one made elsewhere)
    and what it did, as the operator explains it from the same rules the cloud evaluates."""

    name: str = Field(max_length=260, description="The Microsoft.Insights/autoscaleSettings resource.")
    state: Literal["Applied", "Applying", "Conflict", "Deleting", "External"] = Field(
        description="Applied: the cloud holds spec.autoscale. Applying: it is being written. Conflict: "
        "another setting targets the scale set (Azure allows one); it is left alone. Deleting: "
        "spec.autoscale was removed. External: a setting made elsewhere (capacityOwner External)."
    )
    enabled: bool
    profile: str | None = Field(default=None, max_length=256, description="The profile in force.")
    profileKind: Literal["FixedDate", "Recurrence", "Default"] | None = None
    minimum: int | None = Field(default=None, ge=0, description="The limits in force (as applied).")
    maximum: int | None = Field(default=None, ge=0)
    heldMinimum: int | None = Field(
        default=None,
        ge=0,
        description="While a rollout runs: every profile's minimum is raised to this (the capacity the "
        "rollout needs), so autoscale does not scale in until the rollout ends; restored after.",
    )
    lastScaleAction: ScaleActionStatus | None = None
    nextActionTime: Timestamp | None = Field(
        default=None, description="Until then the last scale action's cooldown holds the rules that could act."
    )
    nextProfileChange: Timestamp | None = Field(
        default=None, description="When a fixed-date window opens or closes or a recurrence profile starts."
    )


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
        max_length=4,
        description="How the last rollout of each kind ended, most recent first.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["kind"]},
    )
    observation: ObservationStatus | None = None
    revisions: list[RevisionRecord] = Field(
        default_factory=list,
        max_length=100,
        description="The models rolled out (ControllerRevisions), newest first.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["revision"]},
    )
    pinnedRevision: PinnedRevision | None = Field(
        default=None, description="A rollback holds the cloud at this revision until the spec's model changes."
    )
    changePreview: ChangePreview | None = Field(default=None, description="What the spec's latest change does.")
    capacity: CapacityStatus | None = None
    autoscale: AutoscaleStatus | None = None
    batchHistory: list[BatchHistoryEntry] = Field(
        default_factory=list,
        max_length=20,
        description="The last 20 rollout batches, oldest first: instances, start, end, result. Recorded "
        "with the intent record, so what happened can be read after any crash (Events are notifications "
        "and may be lost).",
    )
    unhealthySince: Timestamp | None = Field(
        default=None,
        description="Since when at least one settled instance has been unhealthy (absent while none is). "
        "Once that lasts longer than rolloutPolicy.healthTimeout with nothing in progress, Stalled is True "
        "with reason InstancesUnhealthy.",
    )
    simulatedClock: SimulatedClockStatus | None = None
    management: ManagementStatus | None = None
    instanceProtection: list[InstanceProtectionStatus] = Field(
        default_factory=list,
        description="spec.instanceProtection as applied, plus instances whose protection is being removed.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["instance"]},
    )
