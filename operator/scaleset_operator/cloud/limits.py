"""Azure Compute's published throttling limits (DESIGN.md section 5): facts about the cloud.

Compute meters calls in buckets that refill per minute up to a burst, per scale set and per
subscription; a spent bucket answers 429 with ``Retry-After``. Two parts of the operator read these
numbers, which is why they live here and not in the Azure backend:

- the Azure backend's client-side budget (``backends/azure/budget.py``) refuses a call that Azure
  would throttle, before sending it;
- the fleet's resync pacing (``pacing.py``) spaces the idle re-observations of every ScaleSet of a
  subscription so that their steady-state reads use only a share of the subscription's budget,
  whichever backend runs (the fake backend models Azure's call pattern).

The subscription's budget is shared by every client of the subscription (the portal, Terraform,
autoscale, other controllers): a controller that spends it all hurts everyone else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

BudgetKind = Literal["put", "update", "delete", "high_cost_get", "low_cost_get", "vm_update"]
"""PUT (create/update the model), update (POST actions: manual upgrade, reimage, restart, delete
instances), delete (the scale set), high-cost GET (the VM list with instance views), low-cost GET
(the scale set), vm_update (an action on one VM: Flexible orchestration has no batch actions)."""


@dataclass(frozen=True)
class Rate:
    per_minute: float
    burst: int

    def scaled(self, share: float) -> Rate:
        """This rate split ``1/share`` ways (a shard's part of a subscription's budget)."""
        return Rate(per_minute=self.per_minute * share, burst=max(1, math.floor(self.burst * share)))


SCALE_SET_LIMITS: Mapping[BudgetKind, Rate] = {
    "put": Rate(per_minute=4, burst=12),
    "update": Rate(per_minute=4, burst=12),
    "high_cost_get": Rate(per_minute=10, burst=30),
    "low_cost_get": Rate(per_minute=12, burst=36),
    "vm_update": Rate(per_minute=500, burst=1500),
}
"""Per scale set (``Microsoft.Compute/...VMScaleSet3Min`` policies), except the kinds in
``SUBSCRIPTION_KINDS``, whose bucket is the subscription's. Deleting the scale set is metered per
subscription only."""

SUBSCRIPTION_KINDS: frozenset[BudgetKind] = frozenset({"vm_update"})
"""Calls on single VMs ("update VMSS VMs"): Compute meters them per subscription only."""

SUBSCRIPTION_LIMITS: Mapping[BudgetKind, Rate] = {
    "put": Rate(per_minute=125, burst=375),
    "update": Rate(per_minute=500, burst=1500),
    "delete": Rate(per_minute=175, burst=525),
    "high_cost_get": Rate(per_minute=360, burst=1080),
    "low_cost_get": Rate(per_minute=800, burst=2400),
}
"""Per subscription, shared by every scale set in it (and every other client of the subscription)."""

VMS_PER_PAGE = 100
"""VMs per page of the VM list; every further page is one more high-cost GET."""


def observation_cost(instances: int) -> Mapping[BudgetKind, int]:
    """The calls one observation of a scale set makes: its GET and one VM list request per page."""
    return {"low_cost_get": 1, "high_cost_get": max(1, math.ceil(instances / VMS_PER_PAGE))}
