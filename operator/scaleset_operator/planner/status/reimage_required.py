"""``ReimageRequired``: instances that differ from the model in a way only a reimage (or reimage-all)
fixes: OS profile changes, data disk sizes, an image newer than theirs (``drift.py``)."""

from __future__ import annotations

from scaleset_operator.api.status import Condition
from scaleset_operator.planner.drift import Drift, differences, needs_reimage
from scaleset_operator.planner.status.view import View

TYPE = "ReimageRequired"
SHOWN = 10


def condition(view: View) -> Condition:
    missing = view.missing()
    if missing is not None:
        return view.condition(TYPE, "Unknown", missing.reason, missing.message)
    desired, latest = view.inputs.desired, view.inputs.latest_image_version
    instances = view.scale_set.instances if view.scale_set is not None else ()
    assert desired is not None
    drifted: list[str] = []
    kinds: set[Drift] = set()
    for instance in instances:
        diffs = differences(instance, desired, latest)
        if needs_reimage(diffs):
            drifted.append(instance.name)
            kinds.update(d.kind for d in diffs if d.kind is not Drift.MODEL)
    if not drifted:
        return view.condition(TYPE, "False", "NoDrift", "every instance matches its model")
    message = (
        f"{len(drifted)} instances need a reimage to match the model ({', '.join(sorted(kinds))}): "
        f"{', '.join(drifted[:SHOWN])}"
    )
    return view.condition(TYPE, "True", "DisksOrOSProfileDiffer", message)
