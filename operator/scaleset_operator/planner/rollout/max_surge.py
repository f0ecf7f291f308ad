"""maxSurge: a batch is replaced instead of upgraded in place.

The batch's replacements are created on the new model (a surge of capacity, recorded before it is
sent); once they are healthy the old batch is deleted. Replacements that fail are deleted instead and
the old instances stay. ``surgeInstanceIds`` holds the replacements; ``surgeFailed`` says whether they
are the ones being deleted (unhealthy) or the old batch is; ``deleteSent`` is recorded before that
delete, so a crash never deletes the wrong instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scaleset_operator.api.status import ApiError, RolloutBatch, RolloutRecord
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.actions import Action, DeleteInstances
from scaleset_operator.planner.decision import Reason
from scaleset_operator.planner.events import normal, warning
from scaleset_operator.planner.health import is_deciding, is_healthy
from scaleset_operator.planner.rolling_policy import AFTER_BATCH_CODE, exceeds
from scaleset_operator.planner.rollout.record import SEND_REQUEUE_SECONDS, BatchStep, batch_done, instance_errors
from scaleset_operator.planner.rollout.strategies import Strategy
from scaleset_operator.planner.timefmt import fmt, parse, seconds_since

WAIT_REQUEUE_SECONDS = 2.0


def settle(
    record: RolloutRecord,
    batch: RolloutBatch,
    instances: Sequence[ObservedInstance],
    strategy: Strategy,
    signal: bool,
    now: datetime,
) -> BatchStep:
    if batch.deleteSent:
        return _deleting(record, batch, instances, strategy, now)
    old = set(batch.instanceIds)
    started = parse(batch.startTime)
    surge = [i for i in instances if i.instance_id not in old and i.created_at >= started]
    timed_out = seconds_since(batch.startTime, now) > strategy.policy.health_timeout.total_seconds()
    if (len(surge) < len(old) or any(is_deciding(i) for i in surge)) and not timed_out:
        waiting = Reason(
            "WaitingForBatch", f"batch {batch.number}: waiting for {len(old)} replacements to become healthy"
        )
        return BatchStep(record, waiting=waiting, requeue_after=WAIT_REQUEUE_SECONDS)
    good = [i.instance_id for i in surge if strategy.at_target(i) and is_healthy(i, signal)]
    ok = len(good) >= len(old)
    bad = [i.instance_id for i in surge]
    updated = batch.model_copy(
        update={"surgeInstanceIds": good if ok else bad, "deleteSent": True, "surgeFailed": not ok}
    )
    record = record.model_copy(update={"batch": updated, "lastProgressTime": fmt(now)})
    if ok:
        message = f"batch {batch.number}: replacements {', '.join(good)} healthy; deleting {', '.join(old)}"
        return BatchStep(record, (DeleteInstances(tuple(batch.instanceIds)),), (normal("SurgeHealthy", message),))
    message = f"batch {batch.number}: replacements {', '.join(bad) or '(none)'} unhealthy; deleting them"
    actions: tuple[Action, ...] = (DeleteInstances(tuple(bad)),) if bad else ()
    return BatchStep(record, actions, (warning("BatchUnhealthy", message),))


def _deleting(
    record: RolloutRecord,
    batch: RolloutBatch,
    instances: Sequence[ObservedInstance],
    strategy: Strategy,
    now: datetime,
) -> BatchStep:
    """The delete was recorded: (re)send it until the instances are gone, then close the batch."""
    by_id = {i.instance_id: i for i in instances}
    ok = not batch.surgeFailed
    going = batch.instanceIds if ok else batch.surgeInstanceIds
    left = [i for i in going if i in by_id]
    if left:
        resend = tuple(i for i in left if by_id[i].provisioning_state != "Deleting")
        actions: tuple[Action, ...] = (DeleteInstances(resend),) if resend else ()
        waiting = Reason("WaitingForBatch", f"batch {batch.number}: deleting {', '.join(left)}")
        return BatchStep(record, actions, waiting=waiting, requeue_after=SEND_REQUEUE_SECONDS)
    finished = batch_done(record, batch.instanceIds if ok else [], [] if ok else batch.instanceIds, now)
    done, failed = finished.done, finished.failed
    if not ok and exceeds(len(failed), len(done) + len(failed), strategy.policy.max_unhealthy_upgraded_percent):
        fault = ApiError(
            code=AFTER_BATCH_CODE,
            message=f"batch {batch.number}: the replacements for {', '.join(batch.instanceIds)} were unhealthy; "
            f"{len(failed)} of {len(done) + len(failed)} upgraded instances failed",
            target=batch.instanceIds[0],
            details=instance_errors(batch.surgeInstanceIds, by_id),
        )
        finished = finished.model_copy(update={"fault": fault})
    verb = "replaced" if ok else "kept (their replacements failed)"
    event = normal("BatchCompleted", f"batch {batch.number}: {verb} {', '.join(batch.instanceIds)}")
    return BatchStep(finished, events=(event,))
