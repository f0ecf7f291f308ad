"""The scale set resource as the client wrote it: every property kept, read back unchanged.

Azure stores the whole resource a PUT sends and a GET returns it, whatever the client set: identity,
security and diagnostics profiles, Spot priority, repair policies, properties newer than any typed
model. The engine models only what drives instances (``parse.desired_model``), so the endpoint keeps
the document itself beside the engine's typed state and renders a GET from it, with the values only
the server knows (``provisioningState``, ``uniqueId``, ``timeCreated``, ``etag``, the capacity the
engine holds) written over it. Nothing here depends on the typed model: a property nobody has
modelled yet still round-trips.

PATCH merges the patch into the stored document as JSON Merge Patch does (RFC 7386: objects merge
key by key, anything else, lists included, replaces; ``null`` removes), then the result is applied
like a PUT.

Secrets: ``osProfile.adminPassword`` and each extension's ``protectedSettings`` are accepted but
never returned (Azure omits them on GET) and never kept in clear: the document keeps, per secret,
only an HMAC under a key that lives in this process's memory, enough to tell "changed" from "same".
A write that omits a secret keeps the stored one, as Azure does (a client that read the resource
back cannot send what the GET never returned). ``userData`` is returned only with
``$expand=userData``, as on Azure.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.simulator.arm.render import SCALE_SET_TYPE, etag

JsonObject = dict[str, Any]

READ_ONLY_TOP = ("id", "name", "type", "etag")
READ_ONLY_PROPERTIES = ("provisioningState", "uniqueId", "timeCreated")
IDENTITY_READ_ONLY = ("principalId", "tenantId", "clientId")
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
"""The tenant the simulator's identities live in (any fixed GUID would do)."""
OS_PROFILE = ("properties", "virtualMachineProfile", "osProfile")
EXTENSIONS = ("properties", "virtualMachineProfile", "extensionProfile", "extensions")


@dataclass
class StoredScaleSet:
    """One scale set's document: what the client wrote minus read-only fields and secrets."""

    body: JsonObject
    created_at: datetime
    unique_id: str
    secrets: dict[str, str] = field(default_factory=dict)
    """Secret path (``osProfile.adminPassword``, ``extensions[name].protectedSettings``) -> HMAC."""

    @property
    def properties(self) -> JsonObject:
        return cast(JsonObject, self.body.get("properties") or {})

    @property
    def orchestration_mode(self) -> str:
        return str(self.properties.get("orchestrationMode") or "Uniform")


class SecretSealer:
    """Keyed, non-reversible markers for secrets; the key is random per endpoint and never stored."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def seal(self, value: Any) -> str:
        raw = json.dumps(value, sort_keys=True).encode()
        return hmac.new(self._key, raw, hashlib.sha256).hexdigest()


def _child(obj: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(name)
    return obj


def _extensions(body: JsonObject) -> Iterator[tuple[str, JsonObject]]:
    for item in _child(body, *EXTENSIONS) or []:
        props = item.get("properties") if isinstance(item, dict) else None
        if isinstance(props, dict):
            yield str(item.get("name")), props


def strip_secrets(body: JsonObject, sealer: SecretSealer) -> dict[str, str]:
    """Remove every secret from ``body`` (in place); return their sealed markers by path."""
    sealed: dict[str, str] = {}
    os_profile = _child(body, *OS_PROFILE)
    if isinstance(os_profile, dict) and "adminPassword" in os_profile:
        sealed["osProfile.adminPassword"] = sealer.seal(os_profile.pop("adminPassword"))
    for name, props in _extensions(body):
        if "protectedSettings" in props:
            sealed[f"extensions[{name}].protectedSettings"] = sealer.seal(props.pop("protectedSettings"))
    return sealed


def strip_read_only(body: JsonObject) -> JsonObject:
    """The fields only the server writes, removed (a client doing GET-modify-PUT sends them back)."""
    for name in READ_ONLY_TOP:
        body.pop(name, None)
    identity = body.get("identity")
    if isinstance(identity, dict):
        for name in IDENTITY_READ_ONLY:
            identity.pop(name, None)
        for assigned in (identity.get("userAssignedIdentities") or {}).values():
            if isinstance(assigned, dict):
                for name in IDENTITY_READ_ONLY:
                    assigned.pop(name, None)
    props = body.get("properties")
    if isinstance(props, dict):
        for name in READ_ONLY_PROPERTIES:
            props.pop(name, None)
        profile = props.get("virtualMachineProfile")
        if isinstance(profile, dict):
            profile.pop("timeCreated", None)
    return body


def accept(
    body: JsonObject, sealer: SecretSealer, previous: StoredScaleSet | None, created_at: datetime, unique_id: str
) -> StoredScaleSet:
    """The document to keep for a PUT (or a merged PATCH) body; the caller's body is not changed."""
    clean = strip_read_only(copy.deepcopy(body))
    secrets = strip_secrets(clean, sealer)
    present = {f"extensions[{name}].protectedSettings" for name, _ in _extensions(clean)} | {"osProfile.adminPassword"}
    previously = previous.secrets if previous else {}
    kept = {path: mark for path, mark in previously.items() if path in present and path not in secrets}
    if previous is not None:
        created_at, unique_id = previous.created_at, previous.unique_id
    return StoredScaleSet(clean, created_at, unique_id, {**kept, **secrets})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def render(
    stored: StoredScaleSet,
    key: ScaleSetKey,
    location: str,
    observed: ObservedScaleSet,
    *,
    expand_user_data: bool = False,
) -> JsonObject:
    """GET: the stored document plus what only the server knows."""
    body = copy.deepcopy(stored.body)
    body.update(id=key.resource_id, name=key.name, type=SCALE_SET_TYPE, location=location, etag=etag(observed.etag))
    sku = body.setdefault("sku", {})
    sku["capacity"] = observed.capacity
    props = body.setdefault("properties", {})
    props.setdefault("orchestrationMode", "Uniform")
    props.setdefault("upgradePolicy", {"mode": "Manual"})
    props.update(
        provisioningState=observed.provisioning_state,
        uniqueId=stored.unique_id,
        timeCreated=stored.created_at.isoformat(),
    )
    profile = props.get("virtualMachineProfile")
    if isinstance(profile, dict) and not expand_user_data:
        profile.pop("userData", None)
    _identity_ids(body, key, flexible=props.get("orchestrationMode") == "Flexible")
    return body


def _identity_ids(body: JsonObject, key: ScaleSetKey, *, flexible: bool) -> None:
    """The IDs Azure adds to managed identities: a system-assigned identity's principal and tenant;
    a user-assigned one's principal and client ID, which Flexible scale sets do not return (their
    response only references the identity)."""
    identity = body.get("identity")
    if not isinstance(identity, dict):
        return
    if "systemassigned" in str(identity.get("type", "")).lower():
        identity["principalId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, key.resource_id.lower()))
        identity["tenantId"] = TENANT_ID
    for resource_id, assigned in (identity.get("userAssignedIdentities") or {}).items():
        if isinstance(assigned, dict) and not flexible:
            assigned["principalId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{resource_id.lower()}/principal"))
            assigned["clientId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{resource_id.lower()}/client"))
