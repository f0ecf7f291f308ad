"""The cloud's model against the spec, field by field, and the model to send (the comparison;
``model_drift.py`` reports it).

Azure's scale set is read whole on every pass (``ObservedScaleSet.model``, shaped like the spec).
``compare`` turns it and the spec into a ``Comparison``:

- ``desired``: the model to send (and to roll out): the observed model with every field the spec
  sets written over it (``cloud/merge.py``). Whatever the spec does not set, a person, a policy or
  another tool set, and it is kept by every push, not only the first: a PUT replaces the resource,
  so the body must carry it. Entries of keyed lists and maps (tags, extensions, NICs, data disks,
  user-assigned identities ...) merge by key; one the spec declared before (``status.management
  .managedEntries``) and no longer does is *released*: removed from the scale set by the next push.
  A value the spec stops setting is left as it is (it is no longer managed);
- ``drift``: the fields whose cloud value differs from ``desired``, each classified by
  ``cloud/changes.py`` (what Azure does when it changes). Read-only and server-defaulted fields are
  not compared (they are not in the spec's model or the spec does not set them), nor the values
  Azure never returns: secrets and user data, whose fingerprints are compared with the baseline
  recorded at the last push instead (``secrets``);
- the cloud's own ``upgradePolicy``: the operator keeps it Manual (it runs the upgrades itself), so
  another mode set outside is drift too.

Pure; computed once per pass by ``DecideInputs`` (so the decision and the status see the same model).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from scaleset_operator.api.scale_set_properties import ScaleSetProperties
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ManagementStatus
from scaleset_operator.cloud import merge
from scaleset_operator.cloud.changes import FieldChange, Impact, field_change
from scaleset_operator.cloud.desired import DesiredModel, desired_model

AZURE_FIELDS = frozenset(
    {
        *ScaleSetProperties.model_fields,
        "location",
        "sku",
        "zones",
        "platformFaultDomainCount",
        "overprovision",
        "scaleInPolicy",
        "virtualMachineProfile",
    }
)
"""The spec's fields that are Azure's (sent and read back); every other one is the operator's own."""

UNOBSERVED = frozenset(
    {
        "virtualMachineProfile.osProfile.adminPasswordSecretRef",
        "virtualMachineProfile.userData",
        "virtualMachineProfile.userDataSecretRef",
        "virtualMachineProfile.extensionProfile.extensions[].properties.protectedSettingsSecretRef",
    }
)
"""Patterns of what Azure never returns (``secrets`` covers their values)."""

CLOUD_UPGRADE_POLICY = "upgradePolicy"
MANUAL_REASON = (
    "the operator runs the upgrade policy itself: the cloud scale set stays in Manual mode "
    "(docs/azure.md, 'Why the cloud scale set stays in Manual mode')"
)


@dataclass(frozen=True)
class Comparison:
    desired: DesiredModel
    """The model to send: the observed one with the spec over it (the spec's alone if invalid)."""
    drift: tuple[FieldChange, ...]
    """Fields of the cloud scale set that differ from ``desired``, classified."""
    declared: frozenset[str]
    """Keyed entries the spec declares (``status.management.managedEntries`` after a push)."""
    released: frozenset[str]
    """Entries the spec declared before and no longer does, still on the scale set."""
    secrets: str
    """Fingerprint of what Azure never returns (password, protected settings, user data)."""
    problem: str | None = None
    """Why ``desired`` is only the spec's model: the merged one is not valid."""

    def changes(self, minimum: Impact) -> tuple[FieldChange, ...]:
        return tuple(c for c in self.drift if c.impact >= minimum)


def spec_document(spec: ScaleSetSpec) -> dict[str, Any]:
    """Azure's fields the spec sets (the capacity apart: it is compared on its own). A gallery image
    is its ``id`` alone, as sent (``version`` belongs to platform images)."""
    doc = {k: v for k, v in merge.document(spec).items() if k in AZURE_FIELDS}
    doc["sku"] = {k: v for k, v in doc["sku"].items() if k != "capacity"}
    image = doc["virtualMachineProfile"]["storageProfile"]["imageReference"]
    if "id" in image:
        doc["virtualMachineProfile"]["storageProfile"]["imageReference"] = {"id": image["id"]}
    return doc


def declared_entries(spec: ScaleSetSpec) -> frozenset[str]:
    return frozenset(merge.entries(ScaleSetSpec, spec_document(spec)))


def secrets_fingerprint(model: DesiredModel) -> str:
    """Of the values Azure never returns, as the model would send them (never the values)."""
    raw = json.dumps([model.password_fingerprint, list(model.secret_fingerprints)], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def compare(
    spec: ScaleSetSpec, desired: DesiredModel, observed: Mapping[str, Any], record: ManagementStatus | None
) -> Comparison:
    """``desired``: the spec's own model, with its Secrets resolved."""
    cloud = _cloud_document(observed, spec)
    wanted = spec_document(spec)
    declared = frozenset(merge.entries(ScaleSetSpec, wanted))
    previous = frozenset(record.managedEntries) if record is not None else frozenset()
    released = frozenset(previous - declared) & frozenset(merge.entries(ScaleSetSpec, cloud))
    merged = merge.merge(ScaleSetSpec, cloud, wanted, released)
    drift = [
        field_change(d.path, d.old, d.new, pattern=d.pattern)
        for d in merge.differences(ScaleSetSpec, cloud, merged)
        if not _unobserved(d.pattern)
    ]
    drift.extend(_cloud_upgrade_policy(observed.get(CLOUD_UPGRADE_POLICY)))
    model, problem = _model(spec, desired, merged)
    return Comparison(model, tuple(drift), declared, released, secrets_fingerprint(model), problem)


def _cloud_document(observed: Mapping[str, Any], spec: ScaleSetSpec) -> dict[str, Any]:
    """The observed model without the cloud's upgrade policy (compared on its own), and without its user
    data when the spec sets its own (inline or from a Secret: the spec's wins, never both)."""
    cloud = {k: v for k, v in observed.items() if k != CLOUD_UPGRADE_POLICY}
    profile = spec.virtualMachineProfile
    if (profile.userData is not None or profile.userDataSecretRef is not None) and "virtualMachineProfile" in cloud:
        cloud["virtualMachineProfile"] = {k: v for k, v in cloud["virtualMachineProfile"].items() if k != "userData"}
    return cloud


def _unobserved(pattern: str) -> bool:
    return any(pattern == u or pattern.startswith(f"{u}.") for u in UNOBSERVED)


def _model(spec: ScaleSetSpec, desired: DesiredModel, merged: dict[str, Any]) -> tuple[DesiredModel, str | None]:
    """The merged document as the model to send, with the spec's own fields and Secrets."""
    own = {k: v for k, v in spec.model_dump(mode="json", exclude_none=True).items() if k not in AZURE_FIELDS}
    sku = {**merged.get("sku", {}), "capacity": spec.sku.capacity}
    try:
        merged_spec = ScaleSetSpec.model_validate({**merged, **own, "sku": sku})
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return desired, f"the scale set's model with the spec over it is not valid: {details}"
    return desired_model(
        merged_spec, desired.admin_password, secrets=desired.secret_values, fingerprints=desired.fingerprints
    ), None


def _cloud_upgrade_policy(policy: Any) -> list[FieldChange]:
    if not isinstance(policy, dict):
        return []
    changes = []
    if policy.get("mode", "Manual") != "Manual":
        changes.append(
            FieldChange("upgradePolicy.mode", policy["mode"], "Manual", Impact.NO_INSTANCE_IMPACT, MANUAL_REASON)
        )
    automatic = (policy.get("automaticOSUpgradePolicy") or {}).get("enableAutomaticOSUpgrade")
    if automatic:
        path = "upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade"
        changes.append(FieldChange(path, True, False, Impact.NO_INSTANCE_IMPACT, MANUAL_REASON))
    return changes
