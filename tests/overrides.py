"""Dotted-path overrides for test manifests: ``with_overrides(spec, **{"sku.capacity": 5})``."""

from __future__ import annotations

import copy
from typing import Any


def with_overrides(data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with each ``"a.b.c": value`` set (``None`` removes the key)."""
    result = copy.deepcopy(data)
    for path, value in overrides.items():
        node = result
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result
