"""``View``: one pass's inputs, decision and outcome, as the setters read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from scaleset_operator.api.status import Condition, ConditionStatus, ScaleSetStatus
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner.decision import Decision, Failed, Outcome, Pending, Reason
from scaleset_operator.planner.inputs import DecideInputs
from scaleset_operator.planner.observation import Observed, Unknown, from_status
from scaleset_operator.planner.timefmt import fmt


@dataclass(frozen=True)
class View:
    inputs: DecideInputs
    decision: Decision
    outcome: Outcome

    @property
    def previous(self) -> ScaleSetStatus:
        """The status as stored before this pass."""
        return self.inputs.status

    @property
    def now(self) -> datetime:
        return self.inputs.now

    @cached_property
    def scale_set(self) -> ObservedScaleSet | None:
        """The scale set this pass observed (None: absent, or not observed)."""
        observation = self.decision.observation
        return observation.scale_set if isinstance(observation, Observed) else None

    @cached_property
    def failure(self) -> Unknown | None:
        """The call that failed: the observation, this pass's act, or (while retrying the act) the last one."""
        if isinstance(self.outcome, Failed):
            return self.outcome.failure
        if isinstance(self.decision.observation, Unknown):
            return self.decision.observation
        stored = self.previous.observation
        if isinstance(self.outcome, Pending) and stored is not None and stored.phase == "act":
            return from_status(stored, self.now)
        return None

    @cached_property
    def stale(self) -> Unknown | None:
        """The observation failed: the facts in status are the last ones observed."""
        failure = self.failure
        return failure if failure is not None and failure.phase == "observe" else None

    def missing(self) -> Reason | None:
        """Why a setter cannot know: the spec cannot be planned, or the cloud could not be read."""
        problem = self.inputs.problem
        if problem is not None:
            return Reason(problem.reason, problem.message)
        if self.stale is not None:
            return Reason(self.stale.reason, stale_message(self.stale))
        return None

    def condition(self, kind: str, status: ConditionStatus, reason: str, message: str) -> Condition:
        """A condition whose ``lastTransitionTime`` moves only when its status changes."""
        old = next((c for c in self.previous.conditions if c.type == kind), None)
        since = old.lastTransitionTime if old is not None and old.status == status else fmt(self.now)
        return Condition(
            type=kind,
            status=status,
            reason=reason,
            message=message,
            lastTransitionTime=since,
            observedGeneration=self.inputs.generation,
        )


def stale_message(failure: Unknown) -> str:
    return f"{failure.describe()}; status shows the scale set as last observed before {fmt(failure.since)}"
