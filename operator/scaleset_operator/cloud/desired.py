"""What the operator sends to a backend: the scale set model, derived from ``ScaleSet.spec``.

The backend scale set is always kept in Azure's Manual upgrade mode: the operator itself decides
which instances move when (see docs/azure.md). ``model_hash`` is stored on the cloud scale set
(as a tag) so an unchanged model is never written again.

Two hashes, following where Azure applies a change: ``model_hash`` covers what makes an instance's
``latestModelApplied`` false (sku, ``virtualMachineProfile``, the marketplace plan and the VM
capabilities); ``settings_hash`` covers the scale-set-level settings that reach no instance
(tags, identity, policies, placement ...). Fields added after the first release are left out of
both while unset, so existing scale sets keep their hashes (and are not rolled) after an upgrade.

Secrets enter ``model_hash`` only as keyed fingerprints (``cloud/secrets.py``): the hash is
written where ScaleSet readers and cloud readers see it, and must not let them test guesses. The
scheme that made the fingerprints is written next to the hashes (``HASH_SCHEME_TAG``), so hashes of
the legacy unkeyed scheme are recognised once and replaced (``planner/hash_scheme.py``).
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
from scaleset_operator.cloud.secrets import ADMIN_PASSWORD, LEGACY_FINGERPRINTS, USER_DATA, Fingerprints

MODEL_HASH_TAG = "scaleset.dev/model-hash"
SETTINGS_HASH_TAG = "scaleset.dev/settings-hash"
HASH_SCHEME_TAG = "scaleset.dev/hash-scheme"
OPERATOR_TAGS = (MODEL_HASH_TAG, SETTINGS_HASH_TAG, HASH_SCHEME_TAG)

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
    hash (their keyed fingerprints are included instead, made by ``fingerprints``, whose scheme is
    ``hash_scheme``).
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
    hash_scheme: str | None = None
    """How the fingerprints were made (``Fingerprints.scheme``): None for the legacy unkeyed scheme."""
    fingerprints: Fingerprints | None = field(default=None, repr=False, compare=False)
    orchestration_mode: OrchestrationMode = "Uniform"
    """Fixed at creation. Flexible instances are virtual machines whose instance ID is their name."""

    def without_secrets(self) -> DesiredModel:
        """What a simulator may keep: the model with every secret value and the key dropped
        (fingerprints stay)."""
        return replace(self, admin_password=None, secret_values={}, fingerprints=None)

    def fingerprinted(self, fingerprints: Fingerprints) -> DesiredModel:
        """The same model with its secrets fingerprinted by ``fingerprints`` (needs the values)."""
        password, hashed = _fingerprinted_values(self.admin_password, self.secret_values, self.profile.userData)
        return replace(
            self,
            password_fingerprint=_password_fingerprint(password, fingerprints),
            secret_fingerprints=_secret_fingerprints(hashed, fingerprints),
            hash_scheme=fingerprints.scheme,
            fingerprints=fingerprints,
        )

    def legacy_model_hash(self) -> str:
        """The model hash under the legacy unkeyed scheme, to recognise what an earlier version wrote.
        Computed on demand from the values and never stored or shown."""
        return self.fingerprinted(LEGACY_FINGERPRINTS).model_hash()

    def conceal(self, value: str) -> str:
        """A keyed stand-in for a legacy hash found in status (not a model hash of anything now)."""
        if self.fingerprints is None:
            raise ValueError("this model has no hash key")
        return self.fingerprints("superseded-hash", value)

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


def operator_tags(model: DesiredModel) -> dict[str, str]:
    """The tags the operator writes on the scale set with each push: which model it last sent (not
    read back to decide anything but who wrote the scale set: ``planner/adoption.py``)."""
    tags = {MODEL_HASH_TAG: model.model_hash(), SETTINGS_HASH_TAG: model.settings_hash()}
    if model.hash_scheme is not None:
        tags[HASH_SCHEME_TAG] = model.hash_scheme
    return tags


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _password_fingerprint(password: str | None, fingerprints: Fingerprints) -> str | None:
    """So a password change is detected without storing the password (keyed: no oracle)."""
    return None if password is None else fingerprints(ADMIN_PASSWORD, password)


def _secret_fingerprints(values: Mapping[str, Any], fingerprints: Fingerprints) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((target, fingerprints(target, value)) for target, value in values.items()))


def _fingerprinted_values(
    password: str | None, values: Mapping[str, Any], inline_user_data: str | None
) -> tuple[str | None, dict[str, Any]]:
    """(admin password, target -> value) that the fingerprints cover: the Secret values plus inline
    user data, which shares the user data target with ``userDataSecretRef``."""
    hashed = dict(values)
    if inline_user_data is not None:
        hashed[USER_DATA] = inline_user_data
    return password, hashed


def scale_set_key(spec: ScaleSetSpec, resource_name: str) -> ScaleSetKey:
    return ScaleSetKey(
        subscription_id=spec.azure.subscriptionId,
        resource_group=spec.azure.resourceGroup,
        name=spec.azure.name or resource_name,
    )


def scale_set_properties(spec: ScaleSetSpec) -> ScaleSetProperties:
    """The spec's scale-set-level properties (the fields ``ScaleSetSpec`` inherits)."""
    return ScaleSetProperties(**{name: getattr(spec, name) for name in ScaleSetProperties.model_fields})


def desired_model(
    spec: ScaleSetSpec,
    admin_password: str | None = None,
    *,
    secrets: Mapping[str, Any] | None = None,
    fingerprints: Fingerprints | None = None,
) -> DesiredModel:
    """The model for ``spec`` with its secrets: ``secrets`` maps targets (``cloud/secrets.py``) to
    resolved values; the admin password may be given on its own (``admin_password``).
    ``fingerprints`` (the installation's ``HashKey``) is required as soon as there is a value to
    fingerprint: there is no unkeyed default to fall back to by accident."""
    values = dict(secrets or {})
    admin_password = values.pop(ADMIN_PASSWORD, admin_password)
    password, hashed = _fingerprinted_values(admin_password, values, spec.virtualMachineProfile.userData)
    if fingerprints is None:
        if password is not None or hashed:
            raise ValueError("secret values are fingerprinted with the installation's hash key: pass fingerprints")
        fingerprints = _NO_VALUES
    model = DesiredModel(
        location=spec.location,
        sku_name=spec.sku.name,
        sku_tier=spec.sku.tier,
        zones=tuple(spec.zones),
        platform_fault_domain_count=spec.platformFaultDomainCount,
        overprovision=spec.overprovision,
        scale_in_policy=spec.scaleInPolicy,
        profile=spec.virtualMachineProfile,
        admin_password=admin_password,
        properties=scale_set_properties(spec),
        secret_values=values,
        orchestration_mode=spec.orchestrationMode,
    )
    return model.fingerprinted(fingerprints)


class _NoValues:
    """Fingerprints of a model without secret values: never called (nothing to fingerprint)."""

    scheme: str | None = None

    def __call__(self, target: str, value: Any) -> str:
        raise AssertionError("no hash key for a secret value")


_NO_VALUES: Fingerprints = _NoValues()
