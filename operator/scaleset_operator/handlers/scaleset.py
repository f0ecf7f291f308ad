"""ScaleSet and ScaleSetOperation handlers: watch events go to the fleet; no policy here.

No kopf daemon, timer or changing handler (on.create/update/delete/resume): a daemon or timer is a
task per object that wakes on its own clock, and changing handlers make kopf write bookkeeping
annotations (progress, last-handled configuration) and its finalizer on the objects. ``on.event``
and index handlers are called once per watch event, store nothing on the object and cost nothing
while nothing changes. The fleet (``fleet.py``) decides when a pass runs and manages the finalizer;
the reconciler does the work.
"""

from __future__ import annotations

from typing import Any

import kopf

from scaleset_operator import GROUP, VERSION
from scaleset_operator.api import operation, scaleset
from scaleset_operator.fleet import Fleet, compact_operation
from scaleset_operator.reconciler import EventSink


def emitter(body: Any) -> EventSink:
    def emit(kind: str, reason: str, message: str) -> None:
        kopf.event(body, type=kind, reason=reason, message=message)

    return emit


@kopf.index(GROUP, VERSION, operation.PLURAL)
def operations_by_scaleset(namespace: str | None, spec: kopf.Spec, body: kopf.Body, **_: Any) -> dict[Any, Any]:
    """(namespace, ScaleSet name) -> the fields of each operation a pass reads (not the whole body).
    As an index it is complete before any ScaleSet event is handled (kopf waits for indexes on start),
    so a resumed ScaleSet's first pass already knows its unfinished operations."""
    return {(namespace or "", spec.get("scaleSetName")): compact_operation(body)}


@kopf.on.event(GROUP, VERSION, scaleset.PLURAL)
async def scaleset_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    fleet: Fleet = memo.fleet
    fleet.observe(type, body)


@kopf.on.event(GROUP, VERSION, operation.PLURAL)
async def operation_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    fleet: Fleet = memo.fleet
    fleet.observe_operation(type, body)
