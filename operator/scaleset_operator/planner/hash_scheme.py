"""Hashes made under another scheme: the legacy unkeyed one, or another installation key.

The model hash covers keyed fingerprints of the secrets (``cloud/secrets.py``) and the cloud scale
set carries the scheme next to it (tag ``scaleset.dev/hash-scheme``). A scale set written by an
earlier version has no scheme tag and a model hash over *unkeyed* fingerprints, which anyone who can
read the tag (or ``status.modelHash``, ``status.rollout.target``, ``status.lastRollouts``) could
test password guesses against. On the first pass that sees one:

- if its model hash is the legacy hash of the current model (computed in memory from the Secret
  values, never stored), it is the same model: the scale set is re-tagged with the keyed hash in
  one PUT that changes nothing else, so no instance is touched (Azure and the simulator judge
  ``latestModelApplied`` from the model itself, not from tags);
- otherwise the model changed meanwhile: an ordinary model update;
- either way, legacy hashes in the stored status are replaced before the status is written again:
  the current model's by its keyed hash (so a Faulted rollout is still not retried and a rollout in
  flight keeps its target), any other by a keyed stand-in (``superseded-...``, opaque); the rollout
  records, ``rollingUpgrade`` and ``batchHistory`` alike, and the Secrets' baseline
  (``status.management.secretsBaseline``) when it is the same values' legacy fingerprint.

A scheme tag naming another key means the installation's key Secret was replaced: nothing stored
can be mapped, the model is pushed again (instances change only if the model did), and a Warning
says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.cloud.secrets import LEGACY_FINGERPRINTS
from scaleset_operator.planner.model_comparison import secrets_fingerprint

SUPERSEDED = "superseded-"


@dataclass(frozen=True)
class SchemeChange:
    kind: Literal["Legacy", "KeyChanged"]
    same_model: bool
    """The observed model hash is the current model's under the old scheme."""
    observed: str | None
    """The observed scheme tag."""


def change(observed: ObservedScaleSet, desired: DesiredModel) -> SchemeChange | None:
    """How the scale set's hashes were made, if not the way this operator makes them."""
    if observed.hash_scheme == desired.hash_scheme or desired.hash_scheme is None or observed.model_hash is None:
        return None  # also a scale set the operator never tagged (adopted): nothing to migrate
    if observed.hash_scheme is None:
        same = observed.model_hash is not None and observed.model_hash == desired.legacy_model_hash()
        return SchemeChange("Legacy", same, None)
    return SchemeChange("KeyChanged", False, observed.hash_scheme)


def migrate_status(status: ScaleSetStatus, observed: ObservedScaleSet, desired: DesiredModel) -> ScaleSetStatus:
    """``status`` without legacy model hashes (only while the scale set carries the legacy scheme)."""
    if observed.hash_scheme is not None or desired.hash_scheme is None:
        return status
    current, legacy = desired.model_hash(), desired.legacy_model_hash()

    def keyed(target: str) -> str:
        if target == current or target.startswith(SUPERSEDED):
            return target
        return current if target == legacy else SUPERSEDED + desired.conceal(target)

    update: dict[str, object] = {}
    rollout = status.rollout
    if rollout is not None and rollout.kind == "ModelUpgrade":
        update["rollout"] = rollout.model_copy(update={"target": keyed(rollout.target)})
    update["lastRollouts"] = [
        r.model_copy(update={"target": keyed(r.target)}) if r.kind == "ModelUpgrade" else r for r in status.lastRollouts
    ]
    rolling = status.rollingUpgrade
    if rolling is not None and rolling.kind == "ModelUpgrade" and rolling.target is not None:
        update["rollingUpgrade"] = rolling.model_copy(update={"target": keyed(rolling.target)})
    update["batchHistory"] = [
        b.model_copy(update={"target": keyed(b.target)}) if b.kind == "ModelUpgrade" else b for b in status.batchHistory
    ]
    if status.modelHash is not None:
        update["modelHash"] = keyed(status.modelHash)
    management = status.management
    if management is not None and management.secretsBaseline is not None:
        legacy_baseline = secrets_fingerprint(desired.fingerprinted(LEGACY_FINGERPRINTS))
        if management.secretsBaseline == legacy_baseline:  # the same Secret values: no push for them
            update["management"] = management.model_copy(update={"secretsBaseline": secrets_fingerprint(desired)})
    return status.model_copy(update=update)
