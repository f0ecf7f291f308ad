"""OS profile settings beyond the user, keys and custom data: guest patching, WinRM, unattend
content, Key Vault certificates, VM agent switches.

All optional and left out of dumps while unset (see ``api/base.optional``). Like the rest of the
OS profile, they reach only instances created or reimaged after the change.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scaleset_operator.api.base import ApiModel, optional, optional_list
from scaleset_operator.api.common import SubResource

RebootSetting = Literal["Unknown", "IfRequired", "Never", "Always"]


class AutomaticByPlatformSettings(ApiModel):
    rebootSetting: RebootSetting | None = optional()
    bypassPlatformSafetyChecksOnUserSchedule: bool | None = optional()


class WindowsPatchSettings(ApiModel):
    patchMode: Literal["Manual", "AutomaticByOS", "AutomaticByPlatform"] | None = optional()
    enableHotpatching: bool | None = optional()
    assessmentMode: Literal["ImageDefault", "AutomaticByPlatform"] | None = optional()
    automaticByPlatformSettings: AutomaticByPlatformSettings | None = optional()


class LinuxPatchSettings(ApiModel):
    patchMode: Literal["ImageDefault", "AutomaticByPlatform"] | None = optional()
    assessmentMode: Literal["ImageDefault", "AutomaticByPlatform"] | None = optional()
    automaticByPlatformSettings: AutomaticByPlatformSettings | None = optional()


class AdditionalUnattendContent(ApiModel):
    """Windows Setup unattend XML. Not secret: put no password here (AutoLogon needs one)."""

    settingName: Literal["AutoLogon", "FirstLogonCommands"]
    passName: Literal["OobeSystem"] = "OobeSystem"
    componentName: Literal["Microsoft-Windows-Shell-Setup"] = "Microsoft-Windows-Shell-Setup"
    content: str = Field(min_length=1, max_length=4096, description="XML, at most 4 KB.")


class WinRMListener(ApiModel):
    protocol: Literal["Http", "Https"]
    certificateUrl: str | None = optional(description="Key Vault certificate URL (Https).")


class WinRMConfiguration(ApiModel):
    listeners: list[WinRMListener] = optional_list(
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["protocol"]}
    )


class VaultCertificate(ApiModel):
    certificateUrl: str = Field(min_length=1, description="Key Vault secret URL of the certificate.")
    certificateStore: str | None = optional(description="Windows certificate store, e.g. My.")


class VaultSecretGroup(ApiModel):
    """Certificates Azure installs from a Key Vault (Azure reads them; the operator never does)."""

    sourceVault: SubResource
    vaultCertificates: list[VaultCertificate] = optional_list()
