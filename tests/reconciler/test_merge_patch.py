"""Status patches: what the API server stores after a patch is exactly what the operator computed."""

from __future__ import annotations

from typing import Any

import pytest

from scaleset_operator.reconciler import merge_patch
from tests.harness import apply_merge_patch

BATCH = {"number": 1, "instanceIds": ["0"], "action": "Upgrade", "startTime": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"rollout": {"kind": "ModelUpgrade", "batch": BATCH}}, {"rollout": {"kind": "ModelUpgrade"}}),
        ({"observation": {"state": "Unknown", "code": "TooManyRequests"}}, {"observation": {"state": "Observed"}}),
        ({"replicas": 3, "instances": [{"instanceId": "0"}]}, {"replicas": 2, "instances": []}),
        ({"rollout": {"kind": "OSUpgrade"}}, {}),
        ({}, {"rollout": {"kind": "OSUpgrade", "batch": BATCH}}),
    ],
)
def test_the_stored_status_is_the_new_status(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert apply_merge_patch(old, merge_patch(old, new)) == new


def test_an_unchanged_status_is_no_patch() -> None:
    status = {"rollout": {"kind": "ModelUpgrade", "batch": BATCH}, "replicas": 3}
    assert merge_patch(status, status) == {}


def test_only_what_changed_is_sent() -> None:
    old = {"rollout": {"kind": "ModelUpgrade", "batch": BATCH}, "replicas": 3}
    new = {"rollout": {"kind": "ModelUpgrade", "batch": {**BATCH, "acted": True}}, "replicas": 3}
    assert merge_patch(old, new) == {"rollout": {"batch": {"acted": True}}}
