"""Small builders for table tests of the planner's parts: instances, scale sets, inputs, views."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.observed import ObservedImage, ObservedInstance, ObservedScaleSet
from scaleset_operator.planner.decision import ACCEPTED, Decision, Outcome
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.inputs import DecideInputs, SpecProblem
from scaleset_operator.planner.observation import Absent, Observation, Observed, Unknown
from scaleset_operator.planner.status.view import View
from tests.planner.specs import make_spec

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SPEC = make_spec()
MODEL = desired_model(SPEC)


def instance(iid: int = 0, **overrides: Any) -> ObservedInstance:
    base = ObservedInstance(
        instance_id=str(iid),
        name=f"web{iid:06d}",
        zone=None,
        fault_domain=0,
        update_domain=iid % 5,
        latest_model_applied=True,
        image=ObservedImage(version="2024.02.15", publisher="Canonical"),
        data_disks={0: 32},
        os_profile_fingerprint=MODEL.os_profile_fingerprint(),
        provisioning_state="Succeeded",
        power_state="running",
        health_state="Healthy",
        created_at=T0 - timedelta(hours=1, seconds=-iid),
    )
    return replace(base, **overrides)


def scale_set(count: int = 5, **instance_overrides: Any) -> ObservedScaleSet:
    return ObservedScaleSet(
        name="web",
        location="westeurope",
        capacity=count,
        model_hash=MODEL.model_hash(),
        settings_hash=MODEL.settings_hash(),
        provisioning_state="Succeeded",
        instances=tuple(instance(i, **instance_overrides) for i in range(count)),
    )


def unknown(cause: str = "throttled", phase: str = "observe", code: str = "TooManyRequests") -> Unknown:
    return Unknown(cause=cause, phase=phase, code=code, message="slow down", since=T0 - timedelta(seconds=30))  # type: ignore[arg-type]


def inputs(
    observation: Observation | None = None,
    *,
    spec: Any = SPEC,
    status: ScaleSetStatus | None = None,
    problem: SpecProblem | None = None,
    **extra: Any,
) -> DecideInputs:
    return DecideInputs(
        name="web",
        generation=2,
        now=T0,
        status=status or ScaleSetStatus(),
        spec=None if problem is not None else spec,
        problem=problem,
        observation=observation or (Absent() if problem is not None else Observed(scale_set(5))),
        **extra,
    )


def facts(observed: ObservedScaleSet | None = None, *, spec: Any = SPEC, **extra: Any) -> Facts:
    return Facts(
        name="web",
        generation=2,
        now=T0,
        spec=spec,
        desired=desired_model(spec),
        status=extra.pop("status", ScaleSetStatus()),
        scale_set=observed or scale_set(5),
        **extra,
    )


def view(source: DecideInputs | None = None, outcome: Outcome = ACCEPTED, **decision: Any) -> View:
    source = source or inputs()
    decision.setdefault("observation", source.observation)
    return View(source, Decision(**decision), outcome)
