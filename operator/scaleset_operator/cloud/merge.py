"""Spec-shaped scale set documents, read, merged and compared field by field, with the API model as
the schema.

A *document* is a scale set model as JSON under the spec's names (``cloud/wire.from_arm`` reads one
from Azure's resource body). Three operations, all driven by the pydantic models (which field is an
object, a list keyed by ``name``/``lun``, a map, or a value):

- ``document(model)``: what a spec *sets*: every field that is not None, not an empty list or map
  (defaults count as set: ``orchestrationMode: Uniform`` is a choice, whatever a dump would omit);
- ``merge(schema, observed, desired, released)``: the document to send: the observed one with the
  desired fields written over it. Objects merge field by field; keyed lists (``extensions`` by name,
  ``dataDisks`` by lun ...) and maps (``tags``, ``userAssignedIdentities``) entry by entry, so an
  entry someone else added is kept; ``released`` names the entries the spec declared before and no
  longer does (those are dropped). A value the desired document does not set keeps the observed one;
  anything else the desired document sets replaces it. This is what makes a PUT never drop what a
  user or another tool set (Azure Service Operator merges a scale set's extensions the same way);
- ``differences(schema, old, new)``: the fields that differ, keyed list items and map entries matched
  by key; ARM resource IDs and locations compared the way Azure does (case-insensitively).

Paths use the notation of ``cloud/changes.py`` (``virtualMachineProfile.storageProfile.dataDisks[lun=0]``,
``tags[env]``), each with its *pattern* (keys removed: ``...dataDisks[]``, ``tags[]``), which is what
the change rules match (a map key may hold dots: ``tags[app.kubernetes.io/name]``).
"""

from __future__ import annotations

import copy
import functools
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    """What sits at a field: an ``object`` (``model``), a ``keyed`` list of objects (``model``, ``key``),
    a ``map`` (``model`` of its values, or None for plain values), or a ``value`` (compared whole;
    ``default``: the model's default, which a value the cloud does not show is taken as: a model
    default is Azure's, or the operator's where it sends it on every PUT)."""

    kind: typing.Literal["object", "keyed", "map", "value"]
    model: type[BaseModel] | None = None
    key: str | None = None
    default: Any = None


VALUE = Shape("value")


@dataclass(frozen=True)
class Difference:
    path: str
    pattern: str
    old: Any
    new: Any


def _inner(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return inner[0] if len(inner) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def shape(info: FieldInfo) -> Shape:
    annotation = _inner(info.annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if _is_model(annotation):
        return Shape("object", annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    keys = extra.get("x-kubernetes-list-map-keys")
    if origin is list and isinstance(keys, list) and keys and _is_model(args[0]):
        return Shape("keyed", args[0], str(keys[0]))
    if origin is dict and args and (_is_model(args[1]) or args[1] is str):
        return Shape("map", args[1] if _is_model(args[1]) else None)
    if isinstance(info.default, (str, int, float)):
        return Shape("value", default=info.default)  # an absent value is taken as the default
    return VALUE


@functools.cache
def _fields(model: type[BaseModel]) -> tuple[tuple[str, Shape], ...]:
    """Each field of ``model`` with its shape (computed once per model: every pass compares)."""
    return tuple((name, shape(info)) for name, info in model.model_fields.items())


# -- what a spec sets ----------------------------------------------------------------------------------


def document(instance: BaseModel) -> JsonDict:
    """Every field ``instance`` sets, as JSON (None and empty lists or maps are not set)."""
    doc: JsonDict = {}
    for name, field_shape in _fields(type(instance)):
        value = getattr(instance, name)
        if value is None or (isinstance(value, (list, dict)) and not value):
            continue
        if field_shape.kind == "object":
            doc[name] = document(value)
        elif field_shape.kind == "keyed":
            doc[name] = [document(item) for item in value]
        elif field_shape.kind == "map" and field_shape.model is not None:
            doc[name] = {key: document(item) for key, item in value.items()}
        else:
            doc[name] = to_jsonable_python(value)
    return doc


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (list, dict)) and not value)


# -- keys ----------------------------------------------------------------------------------------------


def _arm_id(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith("/subscriptions/")


def _match(key: Any) -> Any:
    """How keys and values compare: ARM resource IDs case-insensitively (Azure returns them in any case)."""
    return key.lower() if _arm_id(key) else key


def _entries(value: Any, field_shape: Shape) -> dict[Any, tuple[str, Any]]:
    """A keyed list or a map as {match key: (key as written, entry)}."""
    if field_shape.kind == "keyed":
        assert field_shape.key is not None
        listed = value if isinstance(value, list) else []
        return {
            _match(item.get(field_shape.key)): (str(item.get(field_shape.key)), item)
            for item in listed
            if isinstance(item, dict)
        }
    mapped = value if isinstance(value, dict) else {}
    return {_match(key): (str(key), item) for key, item in mapped.items()}


def _entry_path(path: str, field_shape: Shape, key: str) -> str:
    return f"{path}[{field_shape.key}={key}]" if field_shape.kind == "keyed" else f"{path}[{key}]"


def entries(schema: type[BaseModel], doc: Mapping[str, Any], path: str = "") -> set[str]:
    """The paths of every keyed list item and map entry in ``doc`` (nested ones too)."""
    found: set[str] = set()
    for name, field_shape in _fields(schema):
        value, child = doc.get(name), f"{path}.{name}" if path else name
        if _empty(value):
            continue
        if field_shape.kind == "object" and field_shape.model is not None and isinstance(value, dict):
            found |= entries(field_shape.model, value, child)
        elif field_shape.kind in ("keyed", "map"):
            for key, item in _entries(value, field_shape).values():
                entry = _entry_path(child, field_shape, key)
                found.add(entry)
                if field_shape.model is not None and isinstance(item, dict):
                    found |= entries(field_shape.model, item, entry)
    return found


# -- merge -----------------------------------------------------------------------------------------------


def merge(
    schema: type[BaseModel],
    observed: Mapping[str, Any],
    desired: Mapping[str, Any],
    released: frozenset[str] = frozenset(),
) -> JsonDict:
    """``observed`` with ``desired`` written over it, field by field (see the module docstring); a new
    document: neither input is changed."""
    return _merge(schema, copy.deepcopy(dict(observed)), copy.deepcopy(dict(desired)), released, "")


def _merge(
    schema: type[BaseModel], observed: JsonDict, desired: JsonDict, released: frozenset[str], path: str
) -> JsonDict:
    """On copies the caller owns: parts of both end up in the result, nothing is copied again."""
    merged = dict(observed)
    for name, field_shape in _fields(schema):
        child = f"{path}.{name}" if path else name
        value = _merged(field_shape, observed.get(name), desired.get(name), released, child)
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _merged(field_shape: Shape, old: Any, new: Any, released: frozenset[str], path: str) -> Any:
    if field_shape.kind == "object" and field_shape.model is not None:
        if _empty(new):
            return old
        return _merge(field_shape.model, old if isinstance(old, dict) else {}, new, released, path)
    if field_shape.kind in ("keyed", "map"):
        return _merged_entries(field_shape, old, new, released, path)
    return old if _empty(new) else new


def _merged_entries(field_shape: Shape, old: Any, new: Any, released: frozenset[str], path: str) -> Any:
    before, after = _entries(old, field_shape), _entries(new, field_shape)
    result: dict[Any, tuple[str, Any]] = {}
    for match, (key, item) in after.items():
        found = before.get(match)
        if found is not None and field_shape.model is not None and isinstance(item, dict):
            item = _merge(field_shape.model, found[1], item, released, _entry_path(path, field_shape, key))
        result[match] = (key, item)
    for match, (key, item) in before.items():
        if match not in after and _entry_path(path, field_shape, key) not in released:
            result[match] = (key, item)
    if not result:
        return None
    if field_shape.kind == "keyed":
        return [item for _, item in result.values()]
    return {key: item for key, item in result.values()}


# -- compare ---------------------------------------------------------------------------------------------


def _normal(value: Any) -> Any:
    """A value as Azure compares it: ARM IDs in any case, empty lists and maps as unset."""
    if isinstance(value, dict):
        return {_match(k): _normal(v) for k, v in value.items() if not _empty(v)} or None
    if isinstance(value, list):
        return [_normal(v) for v in value] or None
    return _match(value)


def differences(
    schema: type[BaseModel],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: str = "",
    pattern: str = "",
) -> Iterator[Difference]:
    """Changed leaves from ``old`` to ``new``; a keyed item or map entry added or removed is one change."""
    for name, field_shape in _fields(schema):
        child = f"{path}.{name}" if path else name
        child_pattern = f"{pattern}.{name}" if pattern else name
        yield from _field_differences(field_shape, old.get(name), new.get(name), child, child_pattern)


def _field_differences(field_shape: Shape, a: Any, b: Any, path: str, pattern: str) -> Iterator[Difference]:
    objects = isinstance(a, dict) or isinstance(b, dict)
    if field_shape.kind == "object" and field_shape.model is not None and objects and not (_empty(a) and _empty(b)):
        yield from differences(
            field_shape.model, a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}, path, pattern
        )
        return
    if field_shape.kind in ("keyed", "map"):
        yield from _entry_differences(field_shape, a, b, path, pattern)
        return
    if field_shape.default is not None:
        a, b = (field_shape.default if _empty(v) else v for v in (a, b))
    if _normal(a) != _normal(b):
        yield Difference(path, pattern, None if _empty(a) else a, None if _empty(b) else b)


def _entry_differences(field_shape: Shape, a: Any, b: Any, path: str, pattern: str) -> Iterator[Difference]:
    before, after = _entries(a, field_shape), _entries(b, field_shape)
    for match in [*before, *(m for m in after if m not in before)]:
        old, new = before.get(match), after.get(match)
        key = (old or new or ("", None))[0]
        entry, entry_pattern = _entry_path(path, field_shape, key), f"{pattern}[]"
        if old is None or new is None:
            yield Difference(entry, entry_pattern, old[1] if old else None, new[1] if new else None)
        elif field_shape.model is not None and isinstance(old[1], dict) and isinstance(new[1], dict):
            yield from differences(field_shape.model, old[1], new[1], entry, entry_pattern)
        elif _normal(old[1]) != _normal(new[1]):
            yield Difference(entry, entry_pattern, old[1], new[1])
