"""The ``ScaleSetOperation`` resource: a one-shot, immutable request against one ScaleSet.

It is the GitOps-friendly form of Azure's imperative calls (manual upgrade, reimage, restart, ...):
commit the object, the operator carries it out once, and its status records when, on which
instances, and why it succeeded or failed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from scaleset_operator.api.base import ApiModel, cel, pattern_message, with_rules
from scaleset_operator.api.scaleset import ObjectMeta
from scaleset_operator.api.status import Condition, StatusModel, Timestamp

KIND = "ScaleSetOperation"
PLURAL = "scalesetoperations"

Action = Literal[
    "UpgradeInstances",
    "Reimage",
    "ReimageAll",
    "Restart",
    "DeleteInstances",
    "StartOSUpgrade",
    "CancelRollingUpgrade",
]
InstanceId = Annotated[
    str,
    Field(
        pattern=r"^([0-9]+|[A-Za-z0-9][A-Za-z0-9._-]{0,54}_[0-9a-fA-F]{8})$",
        max_length=64,
        description="An instance ID: a decimal number (Uniform orchestration) or the VM name Azure gave a "
        "Flexible scale set's VM, <scale set>_<8 hex> (e.g. web_1a2b3c4d); not a computer name (web000001).",
        json_schema_extra=pattern_message(
            "must be a decimal instance ID such as 3, or a Flexible VM name such as web_1a2b3c4d "
            "(not the computer name)"
        ),
    ),
]
Phase = Literal["Pending", "Running", "Succeeded", "Failed"]

# Actions that target instances; the others act on the scale set as a whole.
INSTANCE_ACTIONS = ("UpgradeInstances", "Reimage", "ReimageAll", "Restart", "DeleteInstances")

ACTION_DESCRIPTION = (
    "UpgradeInstances: bring the instances to the latest scale set model (Manual mode's manual upgrade). "
    "Reimage: replace the OS disk from the model's image; data disks are kept. "
    "ReimageAll: recreate ALL disks, OS and data: DATA ON DATA DISKS IS LOST. "
    "Restart: restart the instances. DeleteInstances: delete the instances (capacity shrinks). "
    "StartOSUpgrade: roll the latest OS image out now (started by User, no automatic rollback). "
    "CancelRollingUpgrade: stop the rollout in progress after the batch in flight."
)


class ScaleSetOperationSpec(ApiModel):
    model_config = with_rules(
        cel("self == oldSelf", "a ScaleSetOperation is immutable: create a new one instead"),
        cel(
            "!(self.action in ['UpgradeInstances', 'Reimage', 'ReimageAll', 'Restart', 'DeleteInstances'])"
            " || (has(self.instanceIds) && size(self.instanceIds) > 0) != self.allInstances",
            "set exactly one of instanceIds (non-empty) or allInstances: true for this action",
        ),
        cel(
            "self.action in ['UpgradeInstances', 'Reimage', 'ReimageAll', 'Restart', 'DeleteInstances']"
            " || (!has(self.instanceIds) && !self.allInstances)",
            "StartOSUpgrade and CancelRollingUpgrade act on the whole scale set: omit instanceIds and allInstances",
        ),
    )

    scaleSetName: str = Field(min_length=1, description="A ScaleSet in the same namespace.")
    action: Action = Field(description=ACTION_DESCRIPTION)
    instanceIds: list[InstanceId] | None = Field(
        default=None, max_length=1000, json_schema_extra={"x-kubernetes-list-type": "set"}
    )
    allInstances: bool = False

    @model_validator(mode="after")
    def _targets(self) -> ScaleSetOperationSpec:
        listed = bool(self.instanceIds)
        if self.action in INSTANCE_ACTIONS and listed == self.allInstances:
            raise ValueError("set exactly one of instanceIds (non-empty) or allInstances: true for this action")
        if self.action not in INSTANCE_ACTIONS and (self.instanceIds is not None or self.allInstances):
            raise ValueError(f"{self.action} acts on the whole scale set: omit instanceIds and allInstances")
        return self


class ScaleSetOperationStatus(StatusModel):
    observedGeneration: int | None = None
    phase: Phase = "Pending"
    conditions: list[Condition] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    startTime: Timestamp | None = None
    completionTime: Timestamp | None = None
    affectedInstances: list[str] = Field(default_factory=list)
    skippedInstances: list[str] = Field(
        default_factory=list, description="Instances left alone, e.g. protected from scale set actions."
    )
    message: str = ""
    acted: bool = Field(default=False, description="The backend call was made (never made twice).")


class ScaleSetOperation(ApiModel):
    model_config = ApiModel.model_config | {"extra": "ignore"}

    apiVersion: str = "scaleset.dev/v1alpha1"
    kind: Literal["ScaleSetOperation"] = "ScaleSetOperation"
    metadata: ObjectMeta
    spec: ScaleSetOperationSpec
    status: ScaleSetOperationStatus | None = None
