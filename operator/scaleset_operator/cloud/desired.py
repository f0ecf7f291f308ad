"""What the operator sends to a backend: the scale set model, derived from ``ScaleSet.spec``.

The backend scale set is always kept in Azure's Manual upgrade mode: the operator itself decides
which instances move when (see docs/azure.md). ``model_hash`` is stored on the cloud scale set
(as a tag) so an unchanged model is never written again.

Two hashes, following where Azure applies a change: ``model_hash`` covers what makes an instance's
``latestModelApplied`` false (sku, ``virtualMachineProfile``, the marketplace plan and the VM
capabilities); ``settings_hash`` covers the scale-set-level settings that reach no instance
(tags, identity, policies, placement ...). Fields added after the first release are left out of
both while unset, so existing scale sets keep their hashes (and are not rolled) after an upgrade.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from scaleset_operator.api.scale_set_properties import ScaleSetProperties
from scaleset_operator.api.scaleset import (
    ImageReference,
    OrchestrationMode,
    ScaleInPolicy,
    ScaleSetSpec,
    VirtualMachineProfile,
)
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD, USER_DATA, fingerprint

MODEL_HASH_TAG = "scaleset.dev/model-hash"
SETTINGS_HASH_TAG = "scaleset.dev/settings-hash"
OPERATOR_TAGS = (MODEL_HASH_TAG, SETTINGS_HASH_TAG)

INSTANCE_PROPERTIES = frozenset({"plan", "additionalCapabilities"})
"""Scale-set-level properties that Azure applies to the instances (part of each VM's model)."""

_SECRET_FIELDS: Any = {
    "userData": True,
    "userDataSecretRef": True,
    "extensionProfile": {"extensions": {"__all__": {"properties": {"protectedSettingsSecretRef"}}}},
}
"""Left out of the hashed profile: their values are hashed as fingerprints instead (the same way
on both sides of the wire, where the simulator sees values and never the references)."""


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

    ``admin_password`` and ``secret_values`` (protected settings, user data) are resolved from
    Secrets by the reconciler just before the call and are excluded from ``repr`` and from the
    hash (their fingerprints are included instead).
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
    properties: ScaleSetProperties = field(default_factory=ScaleSetProperties)
    secret_values: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Target (see ``cloud/secrets.py``) -> value, for every secret but the admin password."""
    secret_fingerprints: tuple[tuple[str, str], ...] = ()

    def without_secrets(self) -> DesiredModel:
        """What a simulator may keep: the model with every secret value dropped (fingerprints stay)."""
        return replace(self, admin_password=None, secret_values={})

    orchestration_mode: OrchestrationMode = "Uniform"
    """Fixed at creation. Flexible instances are virtual machines whose instance ID is their name."""

    @property
    def flexible(self) -> bool:
        return self.orchestration_mode == "Flexible"

    @property
    def image(self) -> ImageReference:
        return self.profile.storageProfile.imageReference

    def data_disk_sizes(self) -> dict[int, int]:
        """lun -> size in GB of the disks the model sizes (FromImage disks without a size take the image's)."""
        return {d.lun: d.diskSizeGB for d in self.profile.storageProfile.dataDisks if d.diskSizeGB is not None}

    def _split_properties(self) -> tuple[dict[str, Any], dict[str, Any]]:
        dumped = self.properties.model_dump(mode="json")
        instance = {k: v for k, v in dumped.items() if k in INSTANCE_PROPERTIES}
        return instance, {k: v for k, v in dumped.items() if k not in INSTANCE_PROPERTIES}

    @_memoized
    def os_profile_fingerprint(self) -> str:
        """Fingerprint of what only new or reimaged instances receive (Azure's OS profile rule)."""
        os_profile = self.profile.osProfile.model_dump(mode="json", exclude={"computerNamePrefix"})
        return _digest({"osProfile": os_profile, "password": self.password_fingerprint})[:12]

    @_memoized
    def model_hash(self) -> str:
        """Hash of everything that makes an instance's ``latestModelApplied`` false when changed."""
        hashed: dict[str, Any] = {
            "sku": [self.sku_name, self.sku_tier],
            "profile": self.profile.model_dump(mode="json", exclude=_SECRET_FIELDS),
            "password": self.password_fingerprint,
        }
        instance, _ = self._split_properties()
        if instance:
            hashed["properties"] = instance
        if self.secret_fingerprints:
            hashed["secrets"] = dict(self.secret_fingerprints)
        return _digest(hashed)[:16]

    @_memoized
    def settings_hash(self) -> str:
        """Hash of the scale-set-level settings that do not touch instances."""
        hashed: dict[str, Any] = {
            "scaleIn": self.scale_in_policy.model_dump(mode="json"),
            "overprovision": self.overprovision,
            "zones": list(self.zones),
            "fd": self.platform_fault_domain_count,
            "location": self.location,
        }
        _, settings = self._split_properties()
        if settings:
            hashed["properties"] = settings
        return _digest(hashed)[:16]


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


def scale_set_properties(spec: ScaleSetSpec) -> ScaleSetProperties:
    """The spec's scale-set-level properties (the fields ``ScaleSetSpec`` inherits)."""
    return ScaleSetProperties(**{name: getattr(spec, name) for name in ScaleSetProperties.model_fields})


def secret_fingerprints(values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((target, fingerprint(target, value)) for target, value in values.items()))


def desired_model(
    spec: ScaleSetSpec, admin_password: str | None = None, *, secrets: Mapping[str, Any] | None = None
) -> DesiredModel:
    """The model for ``spec`` with its secrets: ``secrets`` maps targets (``cloud/secrets.py``) to
    resolved values; the admin password may be given on its own (``admin_password``)."""
    values = dict(secrets or {})
    admin_password = values.pop(ADMIN_PASSWORD, admin_password)
    user_data = spec.virtualMachineProfile.userData
    hashed = {**values, USER_DATA: user_data} if user_data is not None else values
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
        properties=scale_set_properties(spec),
        secret_values=values,
        secret_fingerprints=secret_fingerprints(hashed),
        orchestration_mode=spec.orchestrationMode,
    )
