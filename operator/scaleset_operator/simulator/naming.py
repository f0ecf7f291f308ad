"""Instance naming: Azure's computer names are the prefix plus the base-36 instance ID.

The ID is zero-padded to 6 characters (``web000000``; ID 36 is ``web000010``), so names sort like IDs.
"""

from __future__ import annotations

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
