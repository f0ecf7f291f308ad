"""Secret references in a ScaleSet spec and the values resolved for them.

Azure needs a few values that must never sit in a spec, status, event, log or the simulator's
state: the admin password, extension ``protectedSettings`` and, when the user marks it so,
``userData``. The spec names a Kubernetes Secret key for each (``*SecretRef``). This module is the
pure half: ``secret_refs`` lists what a spec needs; the reconciler reads each Secret (its only I/O
here) and ``resolve`` checks the values and keys them by *target*, the place in Azure's model they
go (``ADMIN_PASSWORD``, ``USER_DATA``, ``protected_settings(name)``).

Fingerprints: the model hash carries a fingerprint of each value instead of the value, so a changed
Secret is noticed without storing it. A fingerprint that anyone can compute would be an oracle: the
model hash sits in ``status.modelHash`` and in a tag of the cloud scale set, so whoever may read
either could test password guesses offline. Fingerprints are therefore keyed: HMAC-SHA256 with a
per-installation ``HashKey`` that only the operator reads (a Secret in its own namespace, see
``docs/azure.md``, "Secrets"). ``LEGACY_FINGERPRINTS`` is the unkeyed scheme of earlier versions,
kept only so that their hashes are recognised once and replaced (``planner/hash_scheme.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

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


class SecretForbidden(PermissionError):
    """The operator may not read the Secret (RBAC): a person must grant it, or point elsewhere."""


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


KEY_BYTES = 32
"""Length of a generated key (HMAC-SHA256's block size is 64; 32 random bytes are ample)."""


class Fingerprints(Protocol):
    """How secret values are fingerprinted for the model hash."""

    @property
    def scheme(self) -> str | None:
        """Written next to the hashes (tag ``scaleset.dev/hash-scheme``); None for the legacy scheme."""

    def __call__(self, target: str, value: Any) -> str:
        """The fingerprint of ``value`` at ``target`` (16 hex digits)."""


def _text(value: Any) -> str:
    """A secret value as text; JSON objects canonicalised so key order does not matter."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class HashKey:
    """The per-installation key of the keyed fingerprints (HMAC-SHA256).

    Every replica and shard of one installation must use the same key (they read the same Secret),
    or each would see the others' hashes as model changes. ``key_id`` names the key without
    revealing it (an HMAC of a constant), so a replaced key is told apart from a changed model."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < KEY_BYTES:
            raise ValueError(f"a hash key needs at least {KEY_BYTES} bytes, got {len(self.secret)}")

    @classmethod
    def generate(cls) -> HashKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @property
    def key_id(self) -> str:
        return hmac.new(self.secret, b"scaleset.dev/key-id", hashlib.sha256).hexdigest()[:8]

    @property
    def scheme(self) -> str:
        return f"hmac-sha256/{self.key_id}"

    def __call__(self, target: str, value: Any) -> str:
        message = f"scaleset.dev/secret\0{target}\0".encode() + _text(value).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:16]


class _LegacyFingerprints:
    """The unkeyed SHA-256 fingerprints written by versions before the keyed scheme: anyone who
    reads a hash can test guesses against them. Used only to recognise (never to write) them."""

    scheme: str | None = None

    def __call__(self, target: str, value: Any) -> str:
        if target == ADMIN_PASSWORD:
            return hashlib.sha256(b"scaleset.dev/password\0" + _text(value).encode()).hexdigest()[:16]
        return hashlib.sha256(f"scaleset.dev/secret\0{target}\0".encode() + _text(value).encode()).hexdigest()[:16]


LEGACY_FINGERPRINTS: Fingerprints = _LegacyFingerprints()
