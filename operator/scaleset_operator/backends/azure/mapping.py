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

The operator writes two tags with each push: ``scaleset.dev/model-hash`` (everything that makes an
instance's ``latestModelApplied`` false) and ``scaleset.dev/settings-hash`` (scale-set-level
settings). The tags sent are the model's own: the planner builds that model as the scale set's
observed one with the ScaleSet's spec over it (``planner/model_drift.py``), so tags set by people,
policies or other tools are in it, and a tag the spec once declared and no longer does is not. The scheme the
secrets' fingerprints were made with goes with them (``scaleset.dev/hash-scheme``: keyed, so the
tags give nobody a way to test password guesses; ``cloud/secrets.py``).

Secrets (the admin password, extension ``protectedSettings``, secret ``userData``) travel only in
the request body; it is never logged (the SDK model's ``repr`` would show them).
"""

from __future__ import annotations

from azure.mgmt.compute import models as sdk

from scaleset_operator.cloud.desired import (
    HASH_SCHEME_TAG,
    MODEL_HASH_TAG,
    OPERATOR_TAGS,
    SETTINGS_HASH_TAG,
    DesiredModel,
    operator_tags,
)
from scaleset_operator.cloud.wire import MANUAL, to_arm

__all__ = ["HASH_SCHEME_TAG", "MANUAL", "MODEL_HASH_TAG", "OPERATOR_TAGS", "SETTINGS_HASH_TAG", "scale_set", "tags"]


def tags(model: DesiredModel) -> dict[str, str]:
    """The model's tags (the scale set's own, merged by the planner) and the operator's hashes."""
    return {**{k: v for k, v in model.properties.tags.items() if k not in OPERATOR_TAGS}, **operator_tags(model)}


def scale_set(model: DesiredModel, capacity: int) -> sdk.VirtualMachineScaleSet:
    """The full scale set for a PUT (create or replace): model, capacity, Manual upgrade mode."""
    return sdk.VirtualMachineScaleSet(to_arm(model, capacity, tags(model)))
