"""Autoscale meets rollouts: while a batch is in flight, the autoscale setting applied to the cloud
has every profile's minimum raised, so autoscale cannot scale in under the rollout.

The cloud evaluates autoscale, so the operator's lever is the setting it applies. A scale-in picks
its instances by the scale-in policy, which knows nothing of the batch in flight; so:

- **a batch in flight** (upgraded, reimaged, rolled back, or maxSurge replacements): the minimum is
  the capacity (``heldMinimum``), raised as autoscale scales out; no scale-in can remove an
  instance of the batch. A maxSurge batch holds its surge capacity until the old batch is deleted,
  then the capacity it returns to. Azure's own arithmetic leaves no room anyway with the default
  policy: the batch (20%) already uses the whole ``maxUnhealthyInstancePercent`` (20%);
- **between batches** (a pause, a hold, outside the maintenance window): autoscale may scale in,
  down to the capacity at which the instances already unhealthy stay within
  ``maxUnhealthyInstancePercent`` (what the before-batch rule needs); with every instance healthy,
  the spec's own minimum;
- **scale-out** is never held: the model is pushed before any batch, so new instances get it.

The raised setting is applied in the same pass as (and before) the batch's call, and restored when
the rollout ends, by the usual comparison of the setting's hash: nothing is stored but the rollout's
own intent record, so a crash at any point resumes with the right setting.
"""

from __future__ import annotations

import math

from scaleset_operator.api.autoscale import MAX_CAPACITY, AutoscaleSettings, ScaleCapacity
from scaleset_operator.api.status import RolloutRecord
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.health import is_unhealthy
from scaleset_operator.planner.rollout.strategies import strategy_for


def floor(facts: Facts, record: RolloutRecord | None) -> int | None:
    """The lowest capacity autoscale may reach while ``record`` (the rollout after this pass) runs;
    None: no rollout, or nothing to hold."""
    if record is None:
        return None
    observed = facts.scale_set.capacity
    batch = record.batch
    if batch is None:
        return _between_batches(facts, record)
    if batch.action == "Surge" and batch.surgeCapacity is not None:
        if not batch.deleteSent:
            return max(observed, batch.surgeCapacity)
        going = batch.surgeInstanceIds if batch.surgeFailed else batch.instanceIds
        return max(0, batch.surgeCapacity - len(going))
    return observed


def _between_batches(facts: Facts, record: RolloutRecord) -> int | None:
    percent = strategy_for(facts, record).policy.max_unhealthy_percent
    unhealthy = sum(1 for i in facts.instances if is_unhealthy(i, facts.signal))
    if unhealthy == 0 or percent <= 0:
        return None
    return min(facts.scale_set.capacity, math.ceil(unhealthy * 100 / percent))


def held(settings: AutoscaleSettings, minimum: int) -> AutoscaleSettings:
    """``settings`` with every profile's minimum at least ``minimum`` (its maximum and default
    raised with it when needed); unchanged when every profile already allows no less."""
    minimum = min(minimum, MAX_CAPACITY)
    if all(p.capacity.minimum >= minimum for p in settings.profiles):
        return settings
    profiles = []
    for profile in settings.profiles:
        limits = profile.capacity
        low = max(limits.minimum, minimum)
        high = max(limits.maximum, low)
        capacity = ScaleCapacity(minimum=low, maximum=high, default=min(max(limits.default, low), high))
        profiles.append(profile.model_copy(update={"capacity": capacity}))
    return settings.model_copy(update={"profiles": profiles})
