"""What a spec change does, field by field, the way Azure applies it.

``classify(old, new)`` compares two ``ScaleSetSpec``s and returns a ``ChangeSet``: one entry per
changed field (lists of named items are matched by their key: ``dataDisks[lun=1]``,
``extensions[name=health]``), each with its ``Impact`` and the reason, and the worst impact
overall. Pure: the planner, the change preview and ``scaleset-operator diff`` share it.

Impacts, from none to refused:

- ``NoInstanceImpact``: a scale-set-level setting (tags, identity, policies, placement) or the
  operator's own knobs; no instance changes;
- ``Scale``: instances are added, or removed by the scale-in policy;
- ``NewInstancesOnly``: only instances created (or reimaged) later get it; Azure does not apply it
  through the upgrade policy (the OS profile: users, passwords, custom data ...);
- ``ModelUpgrade``: instances become stale (``latestModelApplied: false``) and are brought up to
  date under the upgrade policy (Automatic, Rolling, or Manual: never by itself);
- ``ReimageNeeded``: the upgrade marks instances up to date, but the change only reaches the disks
  when they are rebuilt: the OS disk by a reimage, data disks by a reimage-all (which recreates
  them, losing their data); shown per instance as drift until then;
- ``Immutable``: Azure refuses the change; the CRD's CEL rules refuse it at ``kubectl apply``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scaleset_operator.api.scaleset import ScaleSetSpec


class Impact(enum.IntEnum):
    """Ordered from no effect on instances to refused; ``ChangeSet.worst`` is the maximum."""

    NO_INSTANCE_IMPACT = 0
    SCALE = 1
    NEW_INSTANCES_ONLY = 2
    MODEL_UPGRADE = 3
    REIMAGE_NEEDED = 4
    IMMUTABLE = 5

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Impact.NO_INSTANCE_IMPACT: "NoInstanceImpact",
    Impact.SCALE: "Scale",
    Impact.NEW_INSTANCES_ONLY: "NewInstancesOnly",
    Impact.MODEL_UPGRADE: "ModelUpgrade",
    Impact.REIMAGE_NEEDED: "ReimageNeeded",
    Impact.IMMUTABLE: "Immutable",
}


@dataclass(frozen=True)
class FieldChange:
    path: str
    """Spec path, list items by key: ``virtualMachineProfile.storageProfile.dataDisks[lun=0].diskSizeGB``."""
    old: Any
    """JSON value before (None: unset, or the item did not exist)."""
    new: Any
    impact: Impact
    reason: str


@dataclass(frozen=True)
class ChangeSet:
    changes: tuple[FieldChange, ...] = ()

    @property
    def worst(self) -> Impact | None:
        return max((c.impact for c in self.changes), default=None)

    @property
    def refused(self) -> tuple[FieldChange, ...]:
        return tuple(c for c in self.changes if c.impact is Impact.IMMUTABLE)

    def at_least(self, impact: Impact) -> tuple[FieldChange, ...]:
        return tuple(c for c in self.changes if c.impact >= impact)


def classify(old: ScaleSetSpec, new: ScaleSetSpec) -> ChangeSet:
    return ChangeSet(tuple(_classified(path, a, b) for path, a, b in _differences(old, new, "")))


# -- the rules --------------------------------------------------------------------------------------

VM = "virtualMachineProfile"
OS_DISK = f"{VM}.storageProfile.osDisk"
DATA_DISK = f"{VM}.storageProfile.dataDisks[]"
_SCALE_SET = "a scale-set-level setting: no instance changes"
_OPERATOR = "the operator's own setting: nothing is sent to Azure"
_CREATION = "fixed when the scale set is created"
_UPGRADE = "instances become stale and are upgraded under the upgrade policy"
_DEALLOCATE = _UPGRADE + " (Azure needs each instance deallocated to apply it)"
_OS_PROFILE = "OS profile changes reach only instances created or reimaged later, not through the upgrade policy"
_OS_REBUILT = "the upgrade marks instances up to date; the OS disk changes when it is rebuilt (reimage)"
_DATA_REBUILT = (
    "the upgrade marks instances up to date; existing data disks keep their old form until a reimage-all "
    "recreates them (losing their data)"
)

RULES: dict[str, tuple[Impact, str]] = {
    "azure": (Impact.IMMUTABLE, _CREATION),
    "location": (Impact.IMMUTABLE, _CREATION),
    "orchestrationMode": (Impact.IMMUTABLE, _CREATION),
    "platformFaultDomainCount": (Impact.IMMUTABLE, _CREATION),
    "extendedLocation": (Impact.IMMUTABLE, _CREATION),
    "deletionPolicy": (Impact.NO_INSTANCE_IMPACT, _OPERATOR),
    "paused": (Impact.NO_INSTANCE_IMPACT, _OPERATOR),
    "rolloutPolicy": (Impact.NO_INSTANCE_IMPACT, _OPERATOR),
    "capacityOwner": (Impact.NO_INSTANCE_IMPACT, _OPERATOR + " (who may change the capacity)"),
    "autoscale": (
        Impact.NO_INSTANCE_IMPACT,
        "the autoscale setting, a resource of its own (Microsoft.Insights/autoscaleSettings): it changes "
        "the capacity later, never the instances' model",
    ),
    "upgradePolicy": (Impact.NO_INSTANCE_IMPACT, "the policy the operator applies to later model changes"),
    "sku.capacity": (Impact.SCALE, "instances are added, or removed by the scale-in policy"),
    "sku": (Impact.MODEL_UPGRADE, _UPGRADE + " (a size the current hardware lacks needs them deallocated)"),
    "zones": (Impact.NO_INSTANCE_IMPACT, "new instances are spread over the added zones"),
    "skuProfile": (Impact.NEW_INSTANCES_ONLY, "instances created later choose from the new sizes"),
    "plan": (Impact.MODEL_UPGRADE, _UPGRADE),
    "additionalCapabilities": (Impact.MODEL_UPGRADE, _DEALLOCATE),
    "proximityPlacementGroup": (Impact.NO_INSTANCE_IMPACT, _SCALE_SET + " (Azure moves instances only deallocated)"),
    VM: (Impact.MODEL_UPGRADE, _UPGRADE),
    f"{VM}.priority": (Impact.IMMUTABLE, _CREATION),
    f"{VM}.evictionPolicy": (Impact.IMMUTABLE, _CREATION),
    f"{VM}.billingProfile": (Impact.MODEL_UPGRADE, _DEALLOCATE),
    f"{VM}.securityProfile.encryptionAtHost": (Impact.MODEL_UPGRADE, _DEALLOCATE),
    f"{VM}.userData": (Impact.MODEL_UPGRADE, _UPGRADE + "; Azure serves the new user data to upgraded instances"),
    f"{VM}.osProfile": (Impact.NEW_INSTANCES_ONLY, _OS_PROFILE),
    f"{VM}.osProfile.computerNamePrefix": (Impact.IMMUTABLE, "instance names are derived from it"),
    f"{VM}.storageProfile.imageReference.publisher": (Impact.IMMUTABLE, _CREATION),
    f"{VM}.storageProfile.imageReference.offer": (Impact.IMMUTABLE, _CREATION),
    f"{VM}.storageProfile.imageReference": (Impact.MODEL_UPGRADE, _UPGRADE + "; the OS disk is rebuilt from the image"),
    f"{VM}.storageProfile.diskControllerType": (Impact.MODEL_UPGRADE, _DEALLOCATE),
    f"{OS_DISK}.managedDisk.storageAccountType": (Impact.IMMUTABLE, _CREATION),
    f"{OS_DISK}.diffDiskSettings": (Impact.IMMUTABLE, _CREATION),
    f"{OS_DISK}.diskSizeGB": (Impact.REIMAGE_NEEDED, _OS_REBUILT),
    f"{OS_DISK}.managedDisk": (Impact.REIMAGE_NEEDED, _OS_REBUILT),
    f"{OS_DISK}.osType": (Impact.REIMAGE_NEEDED, _OS_REBUILT),
    DATA_DISK: (Impact.MODEL_UPGRADE, _UPGRADE + "; the upgrade attaches added disks and detaches removed ones"),
    f"{DATA_DISK}.diskSizeGB": (Impact.REIMAGE_NEEDED, _DATA_REBUILT),
    f"{DATA_DISK}.createOption": (Impact.REIMAGE_NEEDED, _DATA_REBUILT),
    f"{DATA_DISK}.managedDisk": (Impact.REIMAGE_NEEDED, _DATA_REBUILT),
    f"{VM}.extensionProfile": (Impact.MODEL_UPGRADE, _UPGRADE + "; extensions are rerun on each upgraded instance"),
}
"""Longest matching prefix wins (paths with list keys removed: ``dataDisks[]``); a field no rule
names is a scale-set-level setting (``NoInstanceImpact``)."""


def _zones(old: Any, new: Any) -> tuple[Impact, str] | None:
    removed = sorted(set(old or []) - set(new or []))
    return (Impact.IMMUTABLE, f"zones can be added, never removed (removed: {removed})") if removed else None


def _single_placement_group(old: Any, new: Any) -> tuple[Impact, str] | None:
    if old is False and new is True:
        return Impact.IMMUTABLE, "singlePlacementGroup can change from true to false only"
    return None


def _security_type(old: Any, new: Any) -> tuple[Impact, str] | None:
    if (old == "ConfidentialVM") != (new == "ConfidentialVM"):
        return Impact.IMMUTABLE, "securityType cannot change to or from ConfidentialVM"
    return None


REFINEMENTS: dict[str, Callable[[Any, Any], tuple[Impact, str] | None]] = {
    "zones": _zones,
    "singlePlacementGroup": _single_placement_group,
    f"{VM}.securityProfile.securityType": _security_type,
}
"""Fields whose impact depends on the direction of the change."""


def rule_for(path: str) -> tuple[Impact, str]:
    """The impact of changing the field at ``path`` (list keys allowed), whatever the values."""
    pattern = _pattern(path)
    while pattern:
        if pattern in RULES:
            return RULES[pattern]
        pattern = pattern.rpartition(".")[0]
    return Impact.NO_INSTANCE_IMPACT, _SCALE_SET


def _classified(path: str, old: Any, new: Any) -> FieldChange:
    refine = REFINEMENTS.get(_pattern(path))
    impact, reason = (refine(old, new) if refine else None) or rule_for(path)
    return FieldChange(path, old, new, impact, reason)


def _pattern(path: str) -> str:
    """``a.b[name=x].c`` -> ``a.b[].c``."""
    parts = [part.split("[", 1)[0] + ("[]" if "[" in part else "") for part in path.split(".")]
    return ".".join(parts)


# -- the comparison ---------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    value = value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value
    return None if value in ([], {}) else value


def _list_key(info: FieldInfo) -> str | None:
    """The CRD's list-map key of a list field (``lun``, ``name`` ...), if it has one."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    keys = extra.get("x-kubernetes-list-map-keys")
    return str(keys[0]) if isinstance(keys, list) and keys else None


def _differences(old: Any, new: Any, path: str, key: str | None = None) -> Iterator[tuple[str, Any, Any]]:
    """Changed leaves; an object set or unset is compared field by field against nothing."""
    model = type(new if isinstance(new, BaseModel) else old)
    if issubclass(model, BaseModel) and all(v is None or type(v) is model for v in (old, new)):
        for name, info in model.model_fields.items():
            child = f"{path}.{name}" if path else name
            yield from _differences(getattr(old, name, None), getattr(new, name, None), child, _list_key(info))
        return
    if key is not None and isinstance(old or new, list):
        yield from _list_differences(old or [], new or [], path, key)
        return
    if _json(old) != _json(new):
        yield path, _json(old), _json(new)


def _list_differences(old: list[Any], new: list[Any], path: str, key: str) -> Iterator[tuple[str, Any, Any]]:
    """Items matched by key; an item added or removed is one change (its fields are not separate)."""
    before = {f"{key}={getattr(item, key)}": item for item in old}
    after = {f"{key}={getattr(item, key)}": item for item in new}
    for item in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(item), after.get(item)
        if a is None or b is None:
            yield f"{path}[{item}]", _json(a), _json(b)
        else:
            yield from _differences(a, b, f"{path}[{item}]")
