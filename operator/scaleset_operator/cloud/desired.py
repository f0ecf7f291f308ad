"""What the operator sends to a backend: the scale set model, derived from ``ScaleSet.spec``.

The backend scale set is always kept in Azure's Manual upgrade mode: the operator itself decides
which instances move when (see docs/azure.md). ``model_hash`` is stored on the cloud scale set
(as a tag) so an unchanged model is never written again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scaleset_operator.api.scaleset import (
    ImageReference,
    ScaleInPolicy,
    ScaleSetSpec,
    VirtualMachineProfile,
)

MODEL_HASH_TAG = "scaleset.dev/model-hash"


@dataclass(frozen=True)
class ScaleSetKey:
    """Azure's coordinates of one scale set; the simulator keys on the same triple."""

    subscription_id: str
    resource_group: str
    name: str

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.resource_group}/{self.name}"

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Compute/virtualMachineScaleSets/{self.name}"
        )


def _memoized(method: Callable[[Any], str]) -> Callable[[Any], str]:
    """A digest of a frozen model, computed once per instance: a pass asks for the OS profile
    fingerprint once per instance, and serialising the profile each time dominated a pass's CPU."""
    slot = f"_memo_{method.__name__}"

    @functools.wraps(method)
    def memoized(self: Any) -> str:
        found: str | None = self.__dict__.get(slot)
        if found is None:
            found = method(self)
            object.__setattr__(self, slot, found)  # frozen: fields are immutable, so is the digest
        return found

    return memoized


@dataclass(frozen=True)
class DesiredModel:
    """The scale set model as the backend receives it (capacity travels separately).

    ``admin_password`` is resolved from the Secret by the reconciler just before the call and is
    excluded from ``repr`` and from the hash (its fingerprint is included instead).
    """

    location: str
    sku_name: str
    sku_tier: str
    zones: tuple[str, ...]
    platform_fault_domain_count: int
    overprovision: bool
    scale_in_policy: ScaleInPolicy
    profile: VirtualMachineProfile
    admin_password: str | None = field(default=None, repr=False, compare=False)
    password_fingerprint: str | None = None

    @property
    def image(self) -> ImageReference:
        return self.profile.storageProfile.imageReference

    def data_disk_sizes(self) -> dict[int, int]:
        return {d.lun: d.diskSizeGB for d in self.profile.storageProfile.dataDisks}

    @_memoized
    def os_profile_fingerprint(self) -> str:
        """Fingerprint of what only new or reimaged instances receive (Azure's OS profile rule)."""
        os_profile = self.profile.osProfile.model_dump(mode="json", exclude={"computerNamePrefix"})
        return _digest({"osProfile": os_profile, "password": self.password_fingerprint})[:12]

    @_memoized
    def model_hash(self) -> str:
        """Hash of everything that makes an instance's ``latestModelApplied`` false when changed."""
        return _digest(
            {
                "sku": [self.sku_name, self.sku_tier],
                "profile": self.profile.model_dump(mode="json"),
                "password": self.password_fingerprint,
            }
        )[:16]

    @_memoized
    def settings_hash(self) -> str:
        """Hash of the scale-set-level settings that do not touch instances."""
        return _digest(
            {
                "scaleIn": self.scale_in_policy.model_dump(mode="json"),
                "overprovision": self.overprovision,
                "zones": list(self.zones),
                "fd": self.platform_fault_domain_count,
                "location": self.location,
            }
        )[:16]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def password_fingerprint(password: str | None) -> str | None:
    """A non-reversible fingerprint so a password change is detected without storing it."""
    if password is None:
        return None
    return hashlib.sha256(b"scaleset.dev/password\0" + password.encode()).hexdigest()[:16]


def scale_set_key(spec: ScaleSetSpec, resource_name: str) -> ScaleSetKey:
    return ScaleSetKey(
        subscription_id=spec.azure.subscriptionId,
        resource_group=spec.azure.resourceGroup,
        name=spec.azure.name or resource_name,
    )


def desired_model(spec: ScaleSetSpec, admin_password: str | None = None) -> DesiredModel:
    return DesiredModel(
        location=spec.location,
        sku_name=spec.sku.name,
        sku_tier=spec.sku.tier,
        zones=tuple(spec.zones),
        platform_fault_domain_count=spec.platformFaultDomainCount,
        overprovision=spec.overprovision,
        scale_in_policy=spec.scaleInPolicy,
        profile=spec.virtualMachineProfile,
        admin_password=admin_password,
        password_fingerprint=password_fingerprint(admin_password),
    )
