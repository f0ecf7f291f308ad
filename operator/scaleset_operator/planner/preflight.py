"""Azure's refusals, before Azure: nothing is written that Azure would refuse.

``cloud/refusals.py`` holds each rule with Azure's error code and message. The planner checks the
model it is about to send, with the Secret values resolved and the outside facts the backend
reported (regions, VM sizes and zones, the image's OS disk size; ``DecideInputs.cloud_facts``).
A refused model is a spec problem like an invalid spec: no cloud write, ``Stalled=True`` with
Azure's code as the reason and every refusal in the message, each naming its field.
"""

from __future__ import annotations

from scaleset_operator.cloud.desired import scale_set_key
from scaleset_operator.cloud.refusals import refusals
from scaleset_operator.planner.inputs import DecideInputs, SpecProblem


def problem(inputs: DecideInputs) -> SpecProblem | None:
    """The refusals of this pass's model, as one problem (the first one's code is the reason)."""
    spec, desired = inputs.spec, inputs.desired
    if spec is None or desired is None:
        return None
    name = scale_set_key(spec, inputs.name).name
    found = refusals(desired, spec.sku.capacity, name, inputs.cloud_facts)
    if not found:
        return None
    message = "Azure would refuse the scale set: " + "; ".join(f"{r.describe()} ({r.code})" for r in found)
    return SpecProblem(found[0].code, message)
