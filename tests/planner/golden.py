"""Golden logs (cluster-api ``testdata/*.golden`` style): a canonical rollout, pass by pass, as lines a
person can read and review in a diff. Regenerate with ``UPDATE_GOLDEN=1 pytest tests/planner``.

A line is written for each pass that acted, posted an Event, or changed what the status says::

    t+  42s  batch 2 Upgrade [1,6]  | UpgradeInstances 1,6 | BatchStarted | Ready=F:RollingForward ... | replicas ...

(time since the scenario's start | the batch in the intent record | the backend calls made | the Events
posted | the conditions (T/F/U and reason), the counts and the observation state after the pass).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scaleset_operator.planner import actions as act
from scaleset_operator.reconciler import PassResult
from tests.harness import Run

TESTDATA = Path(__file__).parent / "testdata"
CONDITIONS = ("Ready", "Reconciling", "Stalled", "RolloutProgressing", "AutomaticOSUpgrade")


@dataclass
class GoldenLog:
    start: datetime
    lines: list[str] = field(default_factory=list)
    _last_state: str = ""
    _events_seen: int = 0

    @classmethod
    def of(cls, run: Run) -> GoldenLog:
        """A log from now on (earlier Events and passes are not part of it)."""
        return cls(run.now(), _events_seen=len(run.events))

    def record(self, run: Run, result: PassResult | None) -> None:
        """A ``Run.converge`` check: one line when something happened or changed."""
        if result is None:
            self.lines.append(f"{self._time(run)}  (operator crashed and restarted)")
            return
        state = self._state(run)
        actions = "; ".join(act.describe(a) for a in result.actions)
        events = ", ".join(reason for _, reason, _ in run.events[self._events_seen :])
        self._events_seen = len(run.events)
        if not actions and not events and state == self._last_state:
            return
        self._last_state = state
        self.lines.append(f"{self._time(run)}  {self._batch(run):<36}| {actions or '-'} | {events or '-'} | {state}")

    def _time(self, run: Run) -> str:
        return f"t+{(run.now() - self.start).total_seconds():5.0f}s"

    @staticmethod
    def _batch(run: Run) -> str:
        record = run.status.rollout
        if record is None or record.batch is None:
            return "-"
        batch = record.batch
        sent = "" if batch.acted else " (recorded)"
        return f"batch {batch.number} {batch.action} [{','.join(batch.instanceIds)}]{sent}"

    @staticmethod
    def _state(run: Run) -> str:
        status = run.status
        found = {c.type: c for c in status.conditions}
        shown = [f"{t}={found[t].status[0]}:{found[t].reason}" for t in CONDITIONS if t in found]
        counts = f"replicas {status.replicas}/{status.readyReplicas} ready/{status.updatedReplicas} updated"
        observation = status.observation.state if status.observation else "-"
        return f"{' '.join(shown)} | {counts} | {observation}"


def assert_golden(name: str, lines: list[str]) -> None:
    path = TESTDATA / f"{name}.golden"
    text = "\n".join(lines) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text()
    assert text == expected, f"{name} differs from {path} (UPDATE_GOLDEN=1 regenerates it; review the diff)"
