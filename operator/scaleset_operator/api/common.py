"""Small shapes shared across the scale set model: references to other Azure resources and to
Kubernetes Secrets."""

from __future__ import annotations

from pydantic import Field

from scaleset_operator.api.base import ApiModel, optional


class SecretKeyRef(ApiModel):
    """A value read from a Kubernetes Secret in the ScaleSet's namespace; secrets are never inline."""

    name: str = Field(min_length=1, description="Name of a Secret in the ScaleSet's namespace.")
    key: str = Field(min_length=1, description="Key within the Secret.")


class ApiEntityReference(ApiModel):
    id: str = Field(min_length=1)


class SubResource(ApiModel):
    """A reference to another Azure resource by its ARM ID (Azure's SubResource)."""

    id: str = Field(min_length=1, description="ARM resource ID.")


class KeyVaultSecretReference(ApiModel):
    """A secret held in Azure Key Vault (Azure reads it; the operator never sees the value)."""

    secretUrl: str = Field(min_length=1, description="URL of the Key Vault secret.")
    sourceVault: SubResource = Field(description="The Key Vault holding the secret.")


class Enabled(ApiModel):
    """Azure's many ``{enabled: bool}`` switches."""

    enabled: bool | None = optional()
