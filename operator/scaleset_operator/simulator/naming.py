"""Instance naming: Azure's computer names are the prefix plus the base-36 instance ID.

The ID is zero-padded to 6 characters (``web000000``; ID 36 is ``web000010``), so names sort like IDs.
Flexible orchestration instead names each VM ``{scale set}_{8 hex}``, and that name is the instance ID.
"""

from __future__ import annotations

import uuid

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(number: int) -> str:
    if number < 0:
        raise ValueError("instance IDs are non-negative")
    digits = []
    while True:
        number, rest = divmod(number, 36)
        digits.append(_DIGITS[rest])
        if number == 0:
            return "".join(reversed(digits))


def computer_name(prefix: str, instance_number: int) -> str:
    return prefix + base36(instance_number).zfill(6)


def flexible_vm_name(scale_set_name: str, resource_id: str, sequence: int, salt: int = 0) -> str:
    """Azure names the VMs of a Flexible scale set ``{scale set}_{8-char guid}`` and the VM name is
    the instance ID. The suffix is derived from the scale set and a never-reused sequence number,
    so a run is reproducible; ``salt`` picks another suffix if one is already taken."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, f"{resource_id.lower()}/vm/{sequence}/{salt}").hex
    return f"{scale_set_name}_{digest[:8]}"


def flexible_computer_name(prefix: str, vm_name: str) -> str:
    """The computer name of a Flexible VM: the prefix plus 6 characters unique to the VM."""
    return prefix + vm_name.rsplit("_", 1)[-1][:6]
