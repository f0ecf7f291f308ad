"""Counts and instances: from the observation, or the last ones observed; never a false zero."""

from __future__ import annotations

from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.planner.decision import ACCEPTED, Decision
from scaleset_operator.planner.inputs import SpecProblem
from scaleset_operator.planner.observation import Absent, Observed
from scaleset_operator.planner.status import build_status, counts
from tests.planner.builders import inputs, scale_set, unknown, view


def last_observed() -> ScaleSetStatus:
    """What a pass that observed 20 healthy instances stored."""
    source = inputs(Observed(scale_set(20)))
    return build_status(source, Decision(observation=source.observation), ACCEPTED).scale_set


def test_observed_counts() -> None:
    source = inputs(Observed(scale_set(4, health_state="Unhealthy", latest_model_applied=False)))
    found = counts.fields(view(source))
    assert (found["replicas"], found["readyReplicas"], found["updatedReplicas"]) == (4, 0, 0)
    assert [i.name for i in found["instances"]] == ["web000000", "web000001", "web000002", "web000003"]


def test_an_unknown_observation_keeps_the_last_observed_counts_and_instances() -> None:
    stored = last_observed()
    for cause in ("throttled", "transient", "unauthorized", "error"):
        found = counts.fields(view(inputs(unknown(cause), status=stored)))
        assert (found["replicas"], found["readyReplicas"], found["updatedReplicas"]) == (20, 20, 20), cause
        assert found["instances"] == stored.instances


def test_an_unplannable_spec_keeps_them_too() -> None:
    stored = last_observed()
    found = counts.fields(view(inputs(problem=SpecProblem("SecretNotFound", "gone"), status=stored)))
    assert found["replicas"] == 20 and found["instances"] == stored.instances


def test_only_a_cloud_that_says_absent_reports_zero() -> None:
    found = counts.fields(view(inputs(Absent(), status=last_observed())))
    assert (found["replicas"], found["instances"]) == (0, [])
