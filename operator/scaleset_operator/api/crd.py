"""Generate the CustomResourceDefinitions in ``crds/`` from the pydantic models.

One source of truth: the models define names, types, ranges, defaults and CEL rules
(``x-kubernetes-validations``); this module turns pydantic's JSON Schema into a *structural*
OpenAPI v3 schema the API server accepts: ``$ref`` inlined, ``Optional`` collapsed (absent, never
null), defaults materialised (including ``default_factory`` ones) so the API server applies them,
free-form maps marked ``x-kubernetes-preserve-unknown-fields``.

Then the Kubernetes API conventions every field gets, present or future (:func:`_conventions`):
every array says how server-side apply merges it (``x-kubernetes-list-type``: ``atomic`` unless the
model declares ``set`` or ``map``), and a ``pattern`` that comes with a message
(``base.pattern_message``) becomes a CEL rule, so a bad value is refused with that message under the
field's path instead of with the regular expression. Timestamps carry ``format: date-time`` through
their type (``status.Timestamp``).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, NoDefault
from pydantic_core import PydanticUndefined, core_schema, to_jsonable_python

from scaleset_operator import GROUP, VERSION
from scaleset_operator.api import operation, scaleset
from scaleset_operator.api.base import PATTERN_MESSAGE
from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus

Schema = dict[str, Any]
_DROP = {"title", "examples"}


class _WithFactoryDefaults(GenerateJsonSchema):
    """pydantic leaves ``default_factory`` defaults out of the schema; the API server needs them.

    Nested models default to ``{}``: the API server then applies the nested fields' own defaults.
    """

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is None:
            return schema.get("default", NoDefault)
        value = factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return {}
        return to_jsonable_python(value)


def _structural(node: Any, defs: dict[str, Schema]) -> Any:
    if isinstance(node, list):
        return [_structural(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**copy.deepcopy(target), **node}
    if "allOf" in node and len(node["allOf"]) == 1:
        node = {**node.pop("allOf")[0], **node}
        return _structural(node, defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        if len(options) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return _structural({**options[0], **rest}, defs)
    if node.get("default", PydanticUndefined) is None:
        del node["default"]
    if node.get("additionalProperties") is False:
        del node["additionalProperties"]  # structural schemas prune unknown fields instead
    if node.get("type") == "object" and node.get("additionalProperties") is True:
        del node["additionalProperties"]
        node["x-kubernetes-preserve-unknown-fields"] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    out: Schema = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "properties":
            out[key] = {name: _structural(prop, defs) for name, prop in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _structural(value, defs)
        elif key == "description" and isinstance(value, str):
            out[key] = " ".join(value.split())
        else:
            out[key] = value
    return out


def _pattern_rule(node: Schema, path: str) -> Schema:
    """``pattern`` + message -> ``self.matches(...)`` with that message (RE2, as the pattern)."""
    regex: str = node.pop("pattern")
    message: str = node.pop(PATTERN_MESSAGE)
    if "'" in regex:
        raise ValueError(f"{path}: a pattern with a quote cannot be written as a CEL raw string")
    if "maxLength" not in node:
        # Without a bound the API server estimates the rule's cost from the request size and refuses it.
        raise ValueError(f"{path}: a pattern checked by CEL needs max_length")
    return {"rule": f"self.matches(r'{regex}')", "message": message}


def _conventions(node: Any, path: str = "", bounded: bool = True) -> Any:
    """Apply the conventions every field gets (module docstring) to a structural schema, in place.

    ``bounded``: every enclosing array has ``maxItems``; the API server estimates a rule's cost from
    those bounds and refuses the CRD when a rule inside an unbounded array could cost too much.
    """
    if not isinstance(node, dict):
        return node
    if node.get("type") == "array":
        node.setdefault("x-kubernetes-list-type", "atomic")
    if PATTERN_MESSAGE in node:
        if "pattern" not in node:
            raise ValueError(f"{path}: pattern_message() on a field without a pattern")
        if not bounded:
            raise ValueError(f"{path}: a pattern checked by CEL inside a list needs max_length on the list")
        rules = node.setdefault("x-kubernetes-validations", [])
        rules.insert(0, _pattern_rule(node, path))
    for name, prop in node.get("properties", {}).items():
        _conventions(prop, f"{path}.{name}", bounded)
    if "items" in node:
        _conventions(node["items"], f"{path}[]", bounded and "maxItems" in node)
    if isinstance(node.get("additionalProperties"), dict):
        _conventions(node["additionalProperties"], f"{path}[*]", bounded and "maxProperties" in node)
    return node


def openapi_schema(model: type[BaseModel]) -> Schema:
    """The structural OpenAPI v3 schema of one pydantic model, with the conventions applied."""
    raw = model.model_json_schema(schema_generator=_WithFactoryDefaults)
    defs = raw.pop("$defs", {})
    result: Schema = _conventions(_structural(raw, defs), model.__name__)
    return result


def _crd(
    *,
    kind: str,
    plural: str,
    short_names: list[str],
    description: str,
    spec: type[BaseModel],
    status: type[BaseModel],
    columns: list[Schema],
    scale: bool,
) -> Schema:
    subresources: Schema = {"status": {}}
    if scale:
        subresources["scale"] = {
            "specReplicasPath": ".spec.sku.capacity",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".status.selector",
        }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short_names,
                "categories": ["scaleset-operator"],  # not "scaleset": that is the singular name
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": subresources,
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": description,
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": openapi_schema(spec),
                                "status": openapi_schema(status),
                            },
                        }
                    },
                }
            ],
        },
    }


def _column(name: str, path: str, kind: str = "string", priority: int = 0, description: str = "") -> Schema:
    column: Schema = {"name": name, "type": kind, "jsonPath": path}
    if priority:
        column["priority"] = priority
    if description:
        column["description"] = description
    return column


def scaleset_crd() -> Schema:
    return _crd(
        kind=scaleset.KIND,
        plural=scaleset.PLURAL,
        short_names=["vmss"],
        description="A virtual machine scale set, managed declaratively. spec is the scale set model "
        "(Azure's field names); status is what the operator observed and did.",
        spec=ScaleSetSpec,
        status=ScaleSetStatus,
        scale=True,
        columns=[
            _column("Desired", ".spec.sku.capacity", "integer"),
            _column("Current", ".status.replicas", "integer"),
            _column("Up-To-Date", ".status.updatedReplicas", "integer"),
            _column("Ready", ".status.readyReplicas", "integer"),
            _column("Image", ".status.currentImage"),
            _column("Upgrade", ".status.upgradeState"),
            _column("Age", ".metadata.creationTimestamp", "date"),
            _column("Mode", ".spec.upgradePolicy.mode", priority=1),
            _column("Reason", ".status.conditions[?(@.type=='Ready')].reason", priority=1),
        ],
    )


def operation_crd() -> Schema:
    return _crd(
        kind=operation.KIND,
        plural=operation.PLURAL,
        short_names=["vmssop"],
        description="A one-shot, immutable operation on a ScaleSet's instances: " + operation.ACTION_DESCRIPTION,
        spec=ScaleSetOperationSpec,
        status=ScaleSetOperationStatus,
        scale=False,
        columns=[
            _column("ScaleSet", ".spec.scaleSetName"),
            _column("Action", ".spec.action"),
            _column("Phase", ".status.phase"),
            _column("Instances", ".status.affectedInstances", priority=0),
            _column("Age", ".metadata.creationTimestamp", "date"),
            _column("Message", ".status.message", priority=1),
        ],
    )


def all_crds() -> list[Schema]:
    return [scaleset_crd(), operation_crd()]


def file_name(crd: Schema) -> str:
    """kubebuilder's naming: ``<group>_<plural>.yaml``."""
    return f"{GROUP}_{crd['spec']['names']['plural']}.yaml"


def render(crd: Schema) -> str:
    header = "# Generated from the pydantic models by `scaleset-operator crds`. Do not edit.\n"
    return header + yaml.safe_dump(crd, sort_keys=False, width=120)
