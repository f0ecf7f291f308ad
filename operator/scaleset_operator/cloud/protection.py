"""What the operator sends to protect an instance: Azure's ``protectionPolicy`` of one scale set VM.

Azure keeps instance protection on each instance's own model (``virtualMachineScaleSetVMs`` update,
the VM's ``properties.protectionPolicy``), never on the scale set model, and has no batch call for
it: a change is one VM update per instance. Flexible scale sets take the same update on the scale
set's VM view (``.../virtualMachineScaleSets/{name}/virtualMachines/{vm name}``) since Compute
api-version 2023-09-01 (docs/azure.md, "Instance protection").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProtectionPolicy:
    """The protection one instance should have after the call."""

    instance_id: str
    protect_from_scale_in: bool
    protect_from_scale_set_actions: bool

    def describe(self) -> str:
        kinds = [
            name
            for name, on in (
                ("scale-in", self.protect_from_scale_in),
                ("scale set actions", self.protect_from_scale_set_actions),
            )
            if on
        ]
        return f"{self.instance_id}: " + (", ".join(kinds) if kinds else "unprotected")
