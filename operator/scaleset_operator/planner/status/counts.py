"""Counts, instances, ``unhealthySince`` and the summary columns (``kubectl get vmss``, the scale
subresource).

From this pass's observation when there is one. When the cloud could not be observed (or the spec
cannot be planned) they are the last ones observed, unchanged: never fewer replicas than were last
seen, so the scale subresource never reports 0 for a live scale set. Only ``Absent`` (the cloud
says it does not exist) reports zero.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.observed import ObservedInstance, instance_order
from scaleset_operator.planner.health import has_health_signal, is_healthy
from scaleset_operator.planner.instance_view import instance_status
from scaleset_operator.planner.observation import Absent
from scaleset_operator.planner.status.view import View
from scaleset_operator.planner.timefmt import fmt

SELECTOR_LABEL = "scaleset.dev/name"


def fields(view: View) -> dict[str, Any]:
    inputs, previous = view.inputs, view.previous
    common: dict[str, Any] = {
        "selector": f"{SELECTOR_LABEL}={inputs.name}",
        "modelHash": inputs.desired.model_hash() if inputs.desired is not None else previous.modelHash,
        "latestImageVersion": inputs.latest_image_version or previous.latestImageVersion,
        "lastImageCheckTime": previous.lastImageCheckTime,
    }
    scale_set = view.scale_set
    if scale_set is not None and inputs.problem is None:
        return common | _observed(view, scale_set.instances)
    if isinstance(view.decision.observation, Absent) and inputs.problem is None:
        return common | _observed(view, ())
    return common | {
        "replicas": previous.replicas,
        "readyReplicas": previous.readyReplicas,
        "updatedReplicas": previous.updatedReplicas,
        "currentImage": previous.currentImage,
        "instances": previous.instances,
        "unhealthySince": previous.unhealthySince,
    }


def _observed(view: View, found: tuple[ObservedInstance, ...]) -> dict[str, Any]:
    inputs = view.inputs
    desired, spec = inputs.desired, inputs.spec
    assert desired is not None and spec is not None
    signal = has_health_signal(spec)
    instances = sorted(found, key=lambda i: instance_order(i.instance_id))
    return {
        "replicas": len(instances),
        "readyReplicas": sum(1 for i in instances if is_healthy(i, signal)),
        "updatedReplicas": sum(1 for i in instances if i.latest_model_applied),
        "currentImage": current_image(instances, desired),
        "instances": [instance_status(i, desired, inputs.latest_image_version, view.shown) for i in instances],
        "unhealthySince": fmt(since) if (since := view.decision.unhealthy_since) is not None else None,
    }


def current_image(instances: list[ObservedInstance], desired: DesiredModel) -> str:
    """The image most instances run (the model's image before any exists)."""
    if instances:
        return Counter(i.image.display() for i in instances).most_common(1)[0][0]
    image = desired.image
    return f"{image.offer}:{image.sku}:{image.version}" if not image.is_gallery else (image.id or "").rsplit("/", 1)[-1]
