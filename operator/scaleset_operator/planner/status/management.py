"""``status.management``: what the operator must remember about the cloud scale set across passes
(whose it is, the Secrets' baseline, the entries the spec declares, the drift last reported, the
generation the scale set last matched), from the pass's ``ManagementStep`` and the outcome of acting.

- ``secretsBaseline`` moves only when a push was accepted (a push that failed or crashed is sent
  again), or is set once when a scale set is adopted: Azure never returns secrets, so the operator
  assumes the scale set holds the Secrets' values and pushes when they change;
- ``managedEntries``: the entries the spec declares, plus those released but not yet removed by an
  accepted push (so a failed push still removes them next time).
"""

from __future__ import annotations

from scaleset_operator.api.status import ManagementStatus, PushRecord
from scaleset_operator.planner.actions import ApplyModel
from scaleset_operator.planner.decision import Accepted
from scaleset_operator.planner.model_comparison import declared_entries, secrets_fingerprint
from scaleset_operator.planner.model_drift import fields
from scaleset_operator.planner.revisions import model_source
from scaleset_operator.planner.status.view import View


def record(view: View) -> ManagementStatus | None:
    step, previous = view.decision.management, view.previous.management
    if step is None:
        return previous
    if step.held:
        return previous or ManagementStatus()
    before = previous or ManagementStatus()
    pushed = isinstance(view.outcome, Accepted) and any(isinstance(a, ApplyModel) for a in view.decision.actions)
    return ManagementStatus(
        origin=step.origin or before.origin,
        since=view.wall_now if before.origin is None and step.origin is not None else before.since,
        secretsBaseline=_baseline(view, before, pushed),
        managedEntries=_entries(view, before, pushed),
        driftedFields=sorted({c.path for c in step.differences}) if step.outside or step.observing else [],
        syncedGeneration=view.inputs.generation if _synced(view) else before.syncedGeneration,
        syncedRevision=_source(view) if _synced(view) else before.syncedRevision,
        lastPush=_last_push(view, before, pushed),
    )


def _last_push(view: View, before: ManagementStatus, pushed: bool) -> PushRecord | None:
    """Counted while the same fields keep differing after pushes for the same spec; gone once in sync."""
    step = view.decision.management
    assert step is not None
    changed = fields(step.differences)
    if _synced(view) or (not changed and not pushed):
        return None
    if not pushed:
        return before.lastPush
    last, generation = before.lastPush, view.inputs.generation
    again = last is not None and last.generation == generation and last.fields == changed
    return PushRecord(generation=generation, fields=changed, attempts=last.attempts + 1 if again and last else 1)


def _baseline(view: View, before: ManagementStatus, pushed: bool) -> str | None:
    desired, step = view.inputs.desired, view.decision.management
    assert desired is not None and step is not None
    if pushed or (before.secretsBaseline is None and step.origin is not None and view.inputs.comparison is not None):
        return secrets_fingerprint(desired)
    return before.secretsBaseline


def _entries(view: View, before: ManagementStatus, pushed: bool) -> list[str]:
    step, comparison, spec = view.decision.management, view.inputs.comparison, view.inputs.spec
    assert step is not None and spec is not None
    if step.observing or step.origin is None:
        return before.managedEntries
    if comparison is None:
        return sorted(declared_entries(spec))
    return sorted(comparison.declared | (frozenset() if pushed else comparison.released))


def _source(view: View) -> str | None:
    """The revision whose model this pass sent instead of the spec's (None: the spec's own)."""
    spec = view.inputs.spec
    assert spec is not None
    return model_source(view.inputs.status, spec)


def _synced(view: View) -> bool:
    step = view.decision.management
    return step is not None and view.inputs.comparison is not None and not step.differences
