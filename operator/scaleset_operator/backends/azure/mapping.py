"""``DesiredModel`` -> the SDK's ``VirtualMachineScaleSet`` under Azure's own names.

The API model carries Azure's REST names and nesting, so the resource body is built as Azure's
JSON by ``cloud/wire.py`` (the one place that knows where the spec and the resource differ) and
handed to the SDK model, which deserializes it into its typed models. ``tests/api/test_coverage``
checks that every name the body can carry is one the SDK's model knows.

Why the cloud scale set is always written with ``upgradePolicy.mode = Manual``: the operator is the
orchestrator. It picks the batches, checks health between them, pauses inside maintenance windows,
rolls back OS images and records every step in the ScaleSet status. If Azure ran its own Rolling or
Automatic upgrade on the same scale set, two controllers would move the same instances, and Azure's
moves would be invisible to the operator's intent record (and its rollout history). In Manual mode
a model change only reaches new instances until the operator upgrades existing ones with
``manualUpgrade``/``reimage`` batches, one call per batch. The ScaleSet's own ``upgradePolicy`` is
the policy the *operator* enforces.

The operator remembers what it wrote in two tags, compared on every pass so an unchanged model is
never written again: ``scaleset.dev/model-hash`` (everything that makes an instance's
``latestModelApplied`` false) and ``scaleset.dev/settings-hash`` (scale-set-level settings). Other
tags found on the scale set are kept, so a PUT does not wipe tags set by people or policies; the
ScaleSet's own ``tags`` are set over them (a tag removed from ``spec.tags`` is therefore left on the
scale set: the operator cannot tell it from one someone else set).

Secrets (the admin password, extension ``protectedSettings``, secret ``userData``) travel only in
the request body; it is never logged (the SDK model's ``repr`` would show them).
"""

from __future__ import annotations

from collections.abc import Mapping

from azure.mgmt.compute import models as sdk

from scaleset_operator.cloud.desired import MODEL_HASH_TAG, OPERATOR_TAGS, SETTINGS_HASH_TAG, DesiredModel
from scaleset_operator.cloud.wire import MANUAL, to_arm

__all__ = ["MANUAL", "MODEL_HASH_TAG", "OPERATOR_TAGS", "SETTINGS_HASH_TAG", "scale_set", "tags"]


def tags(model: DesiredModel, existing_tags: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tags found on the scale set, the ScaleSet's own tags over them, then the operator's hashes."""
    merged = {k: v for k, v in (existing_tags or {}).items() if k not in OPERATOR_TAGS}
    merged.update(model.properties.tags)
    merged[MODEL_HASH_TAG] = model.model_hash()
    merged[SETTINGS_HASH_TAG] = model.settings_hash()
    return merged


def scale_set(
    model: DesiredModel, capacity: int, existing_tags: Mapping[str, str] | None = None
) -> sdk.VirtualMachineScaleSet:
    """The full scale set for a PUT (create or replace): model, capacity, Manual upgrade mode."""
    return sdk.VirtualMachineScaleSet(to_arm(model, capacity, tags(model, existing_tags)))
