"""Secret references in a ScaleSet spec and the values resolved for them.

Azure needs a few values that must never sit in a spec, status, event, log or the simulator's
state: the admin password, extension ``protectedSettings`` and, when the user marks it so,
``userData``. The spec names a Kubernetes Secret key for each (``*SecretRef``). This module is the
pure half: ``secret_refs`` lists what a spec needs; the reconciler reads each Secret (its only I/O
here) and ``resolve`` checks the values and keys them by *target*, the place in Azure's model they
go (``ADMIN_PASSWORD``, ``USER_DATA``, ``protected_settings(name)``). ``fingerprint`` is what the
model hash carries instead of a value, so a changed Secret is noticed without storing it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scaleset_operator.api.scaleset import ScaleSetSpec

ADMIN_PASSWORD = "osProfile.adminPassword"
USER_DATA = "userData"


def protected_settings(extension: str) -> str:
    """The target of one extension's ``protectedSettings``."""
    return f"extensions[{extension}].protectedSettings"


@dataclass(frozen=True)
class SecretRef:
    """One Secret key the spec needs, where its value goes, and how to read it."""

    target: str
    name: str
    key: str
    format: Literal["text", "json"] = "text"

    def describe(self) -> str:
        return f"Secret {self.name} (key {self.key}) for {self.target}"


class SecretError(ValueError):
    """A Secret exists but its value cannot be used (the message names the Secret, never the value)."""


def secret_refs(spec: ScaleSetSpec) -> tuple[SecretRef, ...]:
    profile = spec.virtualMachineProfile
    refs: list[SecretRef] = []
    password = profile.osProfile.adminPasswordSecretRef
    if password is not None:
        refs.append(SecretRef(ADMIN_PASSWORD, password.name, password.key))
    if profile.userDataSecretRef is not None:
        refs.append(SecretRef(USER_DATA, profile.userDataSecretRef.name, profile.userDataSecretRef.key))
    for ext in profile.extensionProfile.extensions:
        ref = ext.properties.protectedSettingsSecretRef
        if ref is not None:
            refs.append(SecretRef(protected_settings(ext.name), ref.name, ref.key, "json"))
    return tuple(refs)


def resolve(refs: tuple[SecretRef, ...], raw: Mapping[str, str]) -> dict[str, Any]:
    """Target -> value (text, or the parsed JSON object); ``raw`` maps each ref's target to the
    Secret's text. Raises ``SecretError`` naming the Secret, never quoting the value."""
    values: dict[str, Any] = {}
    for ref in refs:
        text = raw[ref.target]
        if ref.format == "json":
            try:
                parsed = json.loads(text)
            except ValueError:
                raise SecretError(f"{ref.describe()} is not valid JSON") from None
            if not isinstance(parsed, dict):
                raise SecretError(f"{ref.describe()} must hold a JSON object")
            values[ref.target] = parsed
        else:
            values[ref.target] = text
    return values


def fingerprint(target: str, value: Any) -> str:
    """A non-reversible fingerprint of a secret value at its target (JSON objects canonicalised)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"scaleset.dev/secret\0{target}\0".encode() + text.encode()).hexdigest()[:16]
