"""The settable properties of the SDK's ``VirtualMachineScaleSet`` model, read from the SDK itself.

azure-mgmt-compute 39 generates its models from TypeSpec: each property is a ``rest_field`` with
its REST name and a visibility list; read-only properties have visibility ``["read"]`` only (the
SDK's own ``_is_readonly``). A property a PUT can set has ``create`` or ``update`` visibility. This
walks that tree from ``VirtualMachineScaleSet`` and yields REST paths (``properties.`` included,
list and map levels transparent), so the CRD can be compared with what Azure accepts.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import azure.mgmt.compute.models._models as generated
from azure.mgmt.compute import models as sdk
from azure.mgmt.compute._utils.model_base import Model

_NAMESPACE = {**vars(generated), "_models": sdk}


def _model_in(annotation: Any) -> type[Model] | None:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        return next((m for m in map(_model_in, args) if m is not None), None)
    if origin in (list, dict):
        return _model_in(args[-1])
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return annotation
    return None


def settable_fields(cls: type[Model]) -> Iterator[tuple[str, type[Model] | None]]:
    """(REST name, nested model or None) of each property of ``cls`` a PUT can set."""
    cls.__new__(cls)  # the SDK computes _attr_to_rest_field on first instantiation
    hints = typing.get_type_hints(cls, _NAMESPACE, None)
    for attr, rest_field in cls._attr_to_rest_field.items():
        visibility = rest_field._visibility or []
        if "create" in visibility or "update" in visibility:
            yield rest_field._rest_name, _model_in(hints.get(attr))


def settable_paths(cls: type[Model] = sdk.VirtualMachineScaleSet, prefix: str = "") -> Iterator[str]:
    """Dotted REST paths of the leaf properties (a nested model with nothing settable is a leaf)."""
    for name, nested in settable_fields(cls):
        path = f"{prefix}{name}"
        children = list(settable_paths(nested, f"{path}.")) if nested is not None else []
        yield from children or [path]


def rest_names(cls: type[Model]) -> dict[str, type[Model] | None]:
    return dict(settable_fields(cls))
