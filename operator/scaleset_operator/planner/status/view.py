"""``View``: one pass's inputs, decision and outcome, as the setters read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from scaleset_operator.api.status import Condition, ConditionStatus, ScaleSetStatus
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.planner import simulated_time
from scaleset_operator.planner.decision import Decision, Failed, Outcome, Pending, Reason
from scaleset_operator.planner.inputs import DecideInputs
from scaleset_operator.planner.observation import Observed, Unknown, from_status


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
        """The policy clock (simulated with the simulator): for deciding, never for display."""
        return self.inputs.now

    def shown(self, moment: datetime) -> str:
        """A policy-clock time as status shows it: wall-clock UTC (``planner/simulated_time.py``)."""
        return simulated_time.shown(moment, self.inputs.clock)

    @cached_property
    def wall_now(self) -> str:
        """This pass on the wall clock: the time status records for what changes now."""
        return self.shown(self.now)

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
            return Reason(self.stale.reason, self.unobserved(self.stale))
        return None

    def unobserved(self, failure: Unknown) -> str:
        """Why the facts in status are the last ones observed, and since when."""
        return f"{failure.detail}; last observed before {self.shown(failure.since)}"

    def condition(self, kind: str, status: ConditionStatus, reason: str, message: str) -> Condition:
        """A condition whose ``lastTransitionTime`` moves only when its status changes."""
        old = next((c for c in self.previous.conditions if c.type == kind), None)
        since = old.lastTransitionTime if old is not None and old.status == status else self.wall_now
        return Condition(
            type=kind,
            status=status,
            reason=reason,
            message=message,
            lastTransitionTime=since,
            observedGeneration=self.inputs.generation,
        )
