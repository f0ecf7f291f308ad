"""One owner for capacity (``spec.capacityOwner``): the number of instances a pass keeps, and a safe
handoff back to the spec.

- ``Spec``: ``spec.sku.capacity`` (people, GitOps, an HPA/KEDA through the scale subresource) is
  the desired capacity, written to the cloud when it differs.
- ``Autoscale`` / ``External``: the cloud's capacity is whatever its owner made it. The operator
  never writes the spec's number: a model push carries the capacity it observed (and only if the
  scale set is still as observed, ``ApplyModel.etag``), and ``status.capacity`` reports it.
- Back to ``Spec``: ``spec.sku.capacity`` was not maintained while another owner had capacity, so
  writing it at once would jump to a stale number (CAPZ #3244). ``status.capacity.staleSpecCapacity``
  records the number the spec held meanwhile; until ``spec.sku.capacity`` differs from it the
  observed capacity is kept and a person is told (``CapacityHandoff``). Setting it to the observed
  number, or to any other, ends the handoff.

Capacity changes the operator did not make (the owner's) are reported once, as ``change``. The
operator's own temporary changes (a maxSurge batch) are not. Nothing here is decided from an
observation that failed: ``decide`` only gets here with the scale set observed.
"""

from __future__ import annotations

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import CapacityStatus, RolloutRecord
from scaleset_operator.planner.autoscale_observation import surging
from scaleset_operator.planner.decision import CapacityStep, Reason


def step(
    spec: ScaleSetSpec, observed: int, stored: CapacityStatus | None, rollout: RolloutRecord | None
) -> CapacityStep:
    owner = spec.capacityOwner
    change = _change(stored, observed, rollout)
    if owner != "Spec":
        return CapacityStep(owner, observed, observed, False, stale_spec=spec.sku.capacity, change=change)
    stale = stored.staleSpecCapacity if stored is not None else None
    wanted = spec.sku.capacity
    if stale is not None and wanted == stale and observed != stale:
        message = (
            f"capacityOwner is Spec again, but spec.sku.capacity {stale} is the number it held while another "
            f"owner had capacity: keeping the observed {observed} instead of jumping to it. Set "
            f"spec.sku.capacity (to {observed} to keep it) and the spec owns capacity again"
        )
        handoff = Reason("CapacityHandoff", message)
        return CapacityStep("Spec", observed, observed, False, stale_spec=stale, handoff=handoff, change=change)
    return CapacityStep("Spec", wanted, observed, True)


def _change(stored: CapacityStatus | None, observed: int, rollout: RolloutRecord | None) -> tuple[int, int] | None:
    """The cloud's capacity moved since the last pass while the operator did not write it."""
    if stored is None or stored.observed == observed or surging(rollout):
        return None
    return stored.observed, observed


def record(step: CapacityStep) -> CapacityStatus | None:
    """``status.capacity``: written while the spec does not own capacity (or hands it back)."""
    if step.stale_spec is None:
        return None
    return CapacityStatus(owner=step.owner, observed=step.observed, staleSpecCapacity=step.stale_spec)
