"""Which Azure credential the operator uses, chosen by configuration, never by code changes.

- ``default`` (the default): ``DefaultAzureCredential``. In AKS with workload identity the pod gets
  ``AZURE_CLIENT_ID``, ``AZURE_TENANT_ID`` and ``AZURE_FEDERATED_TOKEN_FILE`` injected (service
  account annotation ``azure.workload.identity/client-id``), which this credential picks up; outside
  a cluster it falls back to managed identity, then the Azure CLI login.
- ``secret`` / ``certificate``: a service principal from ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID`` and
  ``AZURE_CLIENT_SECRET`` or ``AZURE_CLIENT_CERTIFICATE_PATH`` (+ ``AZURE_CLIENT_CERTIFICATE_PASSWORD``).
- ``managed-identity``: the VM's / node's identity (``AZURE_CLIENT_ID`` picks a user-assigned one).
- ``static``: a fixed bearer token from ``SCALESET_AZURE_TOKEN``, for the simulator endpoint only
  (it accepts any token); Azure would reject it within the hour.

Secrets come from the environment (a Kubernetes Secret), never from command-line flags, so they do
not show up in ``ps`` or in the Deployment spec, and the config objects keep them out of ``repr``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, get_args

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.credentials_async import AsyncTokenCredential

CredentialKind = Literal["default", "secret", "certificate", "managed-identity", "static"]
CREDENTIAL_KINDS: tuple[CredentialKind, ...] = get_args(CredentialKind)
KIND_ENV = "SCALESET_AZURE_CREDENTIAL"
STATIC_TOKEN_ENV = "SCALESET_AZURE_TOKEN"


def check_kind(value: str) -> CredentialKind:
    for kind in CREDENTIAL_KINDS:
        if value == kind:
            return kind
    raise ValueError(f"unknown Azure credential {value!r}; one of: {', '.join(CREDENTIAL_KINDS)}")


@dataclass(frozen=True)
class CredentialConfig:
    kind: CredentialKind = "default"
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_password: str | None = field(default=None, repr=False)
    static_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, kind: str | None = None) -> CredentialConfig:
        """``kind`` (a flag) wins over ``SCALESET_AZURE_CREDENTIAL``; everything else is the standard
        ``AZURE_*`` variables that azure-identity itself reads."""
        env = os.environ if env is None else env
        return cls(
            kind=check_kind(kind or env.get(KIND_ENV) or "default"),
            tenant_id=env.get("AZURE_TENANT_ID") or None,
            client_id=env.get("AZURE_CLIENT_ID") or None,
            client_secret=env.get("AZURE_CLIENT_SECRET") or None,
            certificate_path=env.get("AZURE_CLIENT_CERTIFICATE_PATH") or None,
            certificate_password=env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None,
            static_token=env.get(STATIC_TOKEN_ENV) or None,
        )

    def problems(self) -> list[str]:
        """What is missing for this kind, in words a person can fix (empty when usable)."""
        needed: dict[str, str | None] = {}
        if self.kind in ("secret", "certificate"):
            needed = {"AZURE_TENANT_ID": self.tenant_id, "AZURE_CLIENT_ID": self.client_id}
        if self.kind == "secret":
            needed["AZURE_CLIENT_SECRET"] = self.client_secret
        if self.kind == "certificate":
            needed["AZURE_CLIENT_CERTIFICATE_PATH"] = self.certificate_path
        if self.kind == "static":
            needed[STATIC_TOKEN_ENV] = self.static_token
        return [f"credential {self.kind!r} needs {name}" for name, value in needed.items() if not value]


class StaticTokenCredential:
    """A fixed bearer token (the simulator endpoint accepts any token, or one configured token)."""

    def __init__(self, token: str, lifetime: float = 3600.0) -> None:
        self._token = token
        self._lifetime = lifetime

    def __repr__(self) -> str:
        return "StaticTokenCredential(token=<redacted>)"

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token, int(time.time() + self._lifetime))

    async def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, int(time.time() + self._lifetime))

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()


def build_credential(config: CredentialConfig) -> AsyncTokenCredential:
    """The async credential for ``config``; raises ``ValueError`` listing what is missing."""
    problems = config.problems()
    if problems:
        raise ValueError("; ".join(problems))
    from azure.identity.aio import (
        CertificateCredential,
        ClientSecretCredential,
        DefaultAzureCredential,
        ManagedIdentityCredential,
    )

    match config.kind:
        case "secret":
            assert config.tenant_id and config.client_id and config.client_secret
            return ClientSecretCredential(config.tenant_id, config.client_id, config.client_secret)
        case "certificate":
            assert config.tenant_id and config.client_id
            return CertificateCredential(
                config.tenant_id,
                config.client_id,
                config.certificate_path,
                password=config.certificate_password,
            )
        case "managed-identity":
            return ManagedIdentityCredential(client_id=config.client_id)
        case "static":
            assert config.static_token
            return StaticTokenCredential(config.static_token)
        case _:
            return DefaultAzureCredential()
