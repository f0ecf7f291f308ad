"""``spec.managementPolicy`` and ``spec.adopt``: how far a ScaleSet acts on its cloud scale set, and
whether it may take over one that already exists.

Named after the peers' switches (docs/azure.md, "Adoption, observe-only and drift"): Crossplane's
``spec.managementPolicies`` (``["*"]`` or ``["Observe"]``) and Azure Service Operator's
``serviceoperator.azure.com/reconcile-policy`` annotation (``manage`` or ``skip``). A single value
is enough here: deleting is already ``spec.deletionPolicy`` (Crossplane splits it out the same
way), and there is no late initialisation to switch off (the operator never writes the spec).
"""

from __future__ import annotations

from typing import Literal

ManagementPolicy = Literal["Manage", "Observe"]

MANAGEMENT_POLICY_DESCRIPTION = (
    "Manage (default): the operator creates the scale set, pushes the model, converges the capacity, "
    "rolls instances out and corrects changes made outside it. Observe: read only: the operator reports "
    "the scale set, its instances and how it differs from the spec (condition ModelDrifted), and writes "
    "nothing to the cloud: no create, no model push, no scaling, no rollout, no operation, and deleting "
    "the ScaleSet leaves the scale set in place whatever deletionPolicy says."
)

ADOPT_DESCRIPTION = (
    "Take over a scale set that already exists in Azure and was not created by this operator (no "
    "scaleset.dev hash tags). Without it such a ScaleSet stalls with reason AlreadyExists and writes "
    "nothing. Adopting keeps every property the spec does not set; the first pass writes nothing when "
    "the spec already matches. Not needed with managementPolicy Observe."
)
