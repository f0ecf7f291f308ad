"""The scale set as Azure's JSON (the ARM resource body), to and from the operator's model.

The API model uses Azure's names and nesting, so the body is mostly a dump of the model. What
differs is kept here, in one place, for the Azure backend (which hands the body to the SDK) and
the ARM-compatible simulator (which reads it back):

- ``spec`` is flat where Azure splits the resource: ``location``, ``tags``, ``sku``, ``zones``,
  ``identity``, ``plan``, ``extendedLocation`` and ``placement`` sit at the top of the resource,
  everything else under ``properties``;
- secrets: a spec holds ``*SecretRef`` references, the body holds the values
  (``osProfile.adminPassword``, ``userData``, each extension's ``protectedSettings``);
- the cloud scale set is always in Manual upgrade mode (see ``backends/azure/mapping.py``) and
  ``orchestrationMode`` is always sent (Azure's default depends on the api-version);
- the operator's own knobs (``azure``, ``deletionPolicy``, ``paused``, ``rolloutPolicy``) and its
  ``upgradePolicy`` are not Azure's and are never sent.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD, USER_DATA, protected_settings

JsonDict = dict[str, Any]
TOP_LEVEL = ("identity", "plan", "extendedLocation", "placement")
"""Properties that sit at the top of the ARM resource (besides location, tags, sku, zones)."""
MANUAL = "Manual"


def to_arm(model: DesiredModel, capacity: int, tags: Mapping[str, str]) -> JsonDict:
    """The full resource body for a PUT: model, capacity, tags, Manual upgrade mode, secrets."""
    properties: JsonDict = model.properties.model_dump(mode="json", exclude_none=True)
    properties.pop("tags", None)
    top = {name: properties.pop(name) for name in TOP_LEVEL if name in properties}
    body: JsonDict = {
        "location": model.location,
        "tags": dict(tags),
        "sku": {"name": model.sku_name, "tier": model.sku_tier, "capacity": capacity},
        **top,
        "properties": {
            "upgradePolicy": {"mode": MANUAL},
            "overprovision": model.overprovision,
            "platformFaultDomainCount": model.platform_fault_domain_count,
            "scaleInPolicy": model.scale_in_policy.model_dump(mode="json", exclude_none=True),
            **properties,
            "orchestrationMode": model.properties.orchestrationMode,
            "virtualMachineProfile": vm_profile(model),
        },
    }
    if model.zones:
        body["zones"] = list(model.zones)
    return body


def vm_profile(model: DesiredModel) -> JsonDict:
    """``virtualMachineProfile`` with secret values in place of their references."""
    profile: JsonDict = model.profile.model_dump(mode="json", exclude_none=True)
    os_profile = profile["osProfile"]
    os_profile.pop("adminPasswordSecretRef", None)
    if model.admin_password is not None:
        os_profile["adminPassword"] = model.admin_password
    if profile.pop("userDataSecretRef", None) is not None:
        profile[USER_DATA] = model.secret_values[USER_DATA]
    image = profile["storageProfile"]["imageReference"]
    if "id" in image:
        profile["storageProfile"]["imageReference"] = {"id": image["id"]}
    extensions = profile.get("extensionProfile", {})
    for ext in extensions.get("extensions", []):
        if ext["properties"].pop("protectedSettingsSecretRef", None) is not None:
            ext["properties"]["protectedSettings"] = model.secret_values[protected_settings(ext["name"])]
    _drop_empty(extensions, "extensions")
    _drop_empty(profile, "extensionProfile", "networkProfile")
    return profile


def _drop_empty(node: JsonDict, *names: str) -> None:
    for name in names:
        if name in node and not node[name]:
            del node[name]


def from_arm(body: Mapping[str, Any]) -> tuple[JsonDict, dict[str, Any]]:
    """A resource body -> (the spec-shaped model Azure holds, secret values by target).

    Only what the API model has is kept (read-only and unknown properties are dropped); the spec's
    operator-only fields (``azure`` ...) are absent, and so are secrets, returned separately.
    """
    properties = dict(body.get("properties") or {})
    spec: JsonDict = {name: body[name] for name in ("location", "sku", "zones", "tags", *TOP_LEVEL) if name in body}
    spec.update({k: v for k, v in properties.items() if k not in ("virtualMachineProfile", "upgradePolicy")})
    profile = copy.deepcopy(properties.get("virtualMachineProfile") or {})
    secrets = _take_secrets(profile)
    spec["virtualMachineProfile"] = profile
    return prune(ScaleSetSpec, spec), secrets


class ShapeError(ValueError):
    """A property the model has as an object (or a list) is something else in the body."""


def _object(value: Any, where: str) -> JsonDict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ShapeError(f"{where} must be a JSON object")
    return value


def _take_secrets(profile: JsonDict) -> dict[str, Any]:
    secrets: dict[str, Any] = {}
    os_profile = _object(profile.get("osProfile"), "virtualMachineProfile.osProfile")
    if os_profile.get("adminPassword") is not None:
        secrets[ADMIN_PASSWORD] = os_profile.pop("adminPassword")
    if profile.get(USER_DATA) is not None:
        secrets[USER_DATA] = profile.pop(USER_DATA)
    extensions = _object(profile.get("extensionProfile"), "virtualMachineProfile.extensionProfile")
    for ext in extensions.get("extensions") or []:
        props = _object(_object(ext, "extensions[]").get("properties"), "extensions[].properties")
        if props.get("protectedSettings") is not None:
            secrets[protected_settings(ext.get("name", ""))] = props.pop("protectedSettings")
    return secrets


def prune(model: type[BaseModel], data: Any, where: str = "") -> JsonDict:
    """``data`` reduced to the fields ``model`` has, recursively (Azure's extra properties dropped).

    Raises ``ShapeError`` where an object is expected and something else is found; values are not
    validated otherwise: the caller validates the result with the model it wants.
    """
    result: JsonDict = {}
    for name, info in model.model_fields.items():
        value = _object(data, where or model.__name__).get(name)
        if value is not None:
            result[name] = _prune_value(info.annotation, value, f"{where}.{name}" if where else name)
    return result


def _prune_value(annotation: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _prune_value(inner[0], value, where) if len(inner) == 1 else value
    if origin is list:
        if not isinstance(value, list):
            raise ShapeError(f"{where} must be a JSON array")
        return [_prune_value(args[0], item, f"{where}[]") for item in value]
    if origin is dict and args:
        return {key: _prune_value(args[1], item, f"{where}.{key}") for key, item in _object(value, where).items()}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return prune(annotation, value, where)
    return value
