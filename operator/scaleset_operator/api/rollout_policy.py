"""The operator's rollout knobs beyond Azure's rolling policy (``spec.rolloutPolicy``): canary steps
with bake time, gates and manual holds, what a failed gate does, the revision history, and the
drain hook that warns an instance before it is disrupted.

None of these are sent to Azure. Without ``steps`` a rollout is Azure's rolling upgrade exactly;
with them, the rolling policy still sizes the batches, but a batch never crosses a step's
checkpoint (docs/rollouts.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from scaleset_operator.api.base import ApiModel, cel, pattern_message, with_rules
from scaleset_operator.api.durations import Duration

GateOperator = Literal["LessThan", "LessThanOrEqual", "GreaterThan", "GreaterThanOrEqual"]
GateFailurePolicy = Literal["Stop", "Rollback"]

_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


class LocalSecretReference(ApiModel):
    name: str = Field(min_length=1, max_length=253, description="A Secret in the ScaleSet's namespace.")


class PrometheusGate(ApiModel):
    """An instant query (Prometheus HTTP API ``/api/v1/query``) compared with a threshold."""

    secretRef: LocalSecretReference = Field(
        description="Secret with key url (the Prometheus base URL, e.g. http://prometheus.monitoring:9090) and, "
        "for authentication, token (a bearer token) or username and password (basic auth)."
    )
    query: str = Field(min_length=1, max_length=4096, description="PromQL; a scalar, or a vector of samples.")
    operator: GateOperator = Field(description="The gate passes while every sample is <operator> threshold.")
    threshold: float


class HttpGate(ApiModel):
    """A GET that must answer with the expected status."""

    url: str = Field(
        pattern=r"^https?://\S+$",
        max_length=2048,
        description="No credentials in it.",
        json_schema_extra=pattern_message("must be an http:// or https:// URL"),
    )
    expectedStatus: int = Field(default=200, ge=100, le=599)


class Gate(ApiModel):
    """A check measured during a step's bake time, in the operator (never on the instances)."""

    model_config = with_rules(
        cel("has(self.prometheus) != has(self.http)", "a gate has exactly one of prometheus or http"),
    )

    name: str = Field(
        pattern=_NAME,
        max_length=63,
        json_schema_extra=pattern_message("must be lowercase letters, digits and '-', e.g. error-rate"),
    )
    prometheus: PrometheusGate | None = None
    http: HttpGate | None = None
    interval: Duration = Field(default="PT30S", description="How often the gate is measured while its step bakes.")
    failureLimit: int = Field(
        default=0, ge=0, le=100, description="Failed measurements tolerated; one more fails the gate."
    )

    @model_validator(mode="after")
    def _one_check(self) -> Gate:
        if (self.prometheus is None) == (self.http is None):
            raise ValueError("a gate has exactly one of prometheus or http")
        return self


def _no_properties(schema: dict[str, Any]) -> None:
    """Written without ``properties: {}`` (the API server drops the empty map when it stores the CRD, and a
    server-side apply of the CRD by another manager, e.g. Helm, then conflicts)."""
    schema.pop("properties", None)


class Pause(ApiModel):
    """``pause: {}``: hold at the step until a ``Promote`` operation."""

    model_config = ApiModel.model_config | {"json_schema_extra": _no_properties}


class RolloutStep(ApiModel):
    """A checkpoint: once this share of the rollout's instances is done, bake, check, maybe hold."""

    model_config = with_rules(
        cel("has(self.percent) != has(self.count)", "a step has exactly one of percent or count"),
    )

    percent: int | None = Field(default=None, ge=1, le=100, description="Share of the rollout's instances.")
    count: int | None = Field(default=None, ge=1, le=1000, description="Number of the rollout's instances.")
    bakeTime: Duration = Field(
        default="PT0S", description="How long the checkpoint is watched (instance health and gates) before going on."
    )
    pause: Pause | None = Field(default=None, description="Hold after the bake until a Promote operation.")
    gates: list[Gate] = Field(
        default_factory=list,
        max_length=10,
        description="Checks that must pass during the bake time.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )

    @model_validator(mode="after")
    def _one_size(self) -> RolloutStep:
        if (self.percent is None) == (self.count is None):
            raise ValueError("a step has exactly one of percent or count")
        return self

    def checkpoint(self, total: int) -> int:
        """How many of the rollout's ``total`` instances are done once this step is reached."""
        if self.percent is not None:
            return min(total, max(1, -(-total * self.percent // 100)))
        return min(total, self.count or 0)

    def describe(self) -> str:
        return f"{self.percent}%" if self.percent is not None else f"{self.count} instances"


class DrainHook(ApiModel):
    """A Job the operator runs for each instance before disrupting it (upgrade, reimage, restart,
    removal); the batch is sent once every Job of the batch succeeded."""

    jobTemplate: dict[str, Any] = Field(
        description="A batch/v1 JobTemplateSpec ({metadata, spec}); each container gets SCALESET_NAME, "
        "INSTANCE_NAME, INSTANCE_ID and DISRUPTION (Upgrade, Reimage, ReimageAll, Restart, Delete) as "
        "environment variables.",
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    timeout: Duration = Field(default="PT10M", description="A Job not finished by then blocks the batch.")

    @model_validator(mode="after")
    def _has_spec(self) -> DrainHook:
        template = self.jobTemplate.get("spec", {}).get("template", {}).get("spec", {})
        if not isinstance(template, dict) or not template.get("containers"):
            raise ValueError("drain.jobTemplate needs spec.template.spec.containers")
        return self
