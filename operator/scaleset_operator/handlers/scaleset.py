"""ScaleSet handlers: a daemon per object runs reconcile passes; deletion runs the finalizer.

The daemon sleeps between passes for as long as the plan asks, and wakes early when
``metadata.generation`` changes (kopf keeps ``meta`` live), so a spec edit is acted on at once
without an extra handler that would write kopf bookkeeping on every change.
"""

from __future__ import annotations

import asyncio
from typing import Any

import kopf

from scaleset_operator import GROUP, VERSION
from scaleset_operator.api.scaleset import PLURAL
from scaleset_operator.reconciler import Reconciler

TICK_SECONDS = 0.25


def _emitter(body: kopf.Body) -> Any:
    def emit(kind: str, reason: str, message: str) -> None:
        kopf.event(body, type=kind, reason=reason, message=message)

    return emit


@kopf.daemon(GROUP, VERSION, PLURAL, cancellation_timeout=10.0)
async def run_scaleset(
    body: kopf.Body, meta: kopf.Meta, stopped: kopf.DaemonStopped, memo: kopf.Memo, logger: kopf.Logger, **_: Any
) -> None:
    reconciler: Reconciler = memo.reconciler
    loop = asyncio.get_running_loop()
    emit = _emitter(body)
    while not stopped:
        if meta.get("deletionTimestamp"):
            return
        generation = meta.get("generation")
        try:
            result = await reconciler.reconcile(body, emit)
            delay = result.requeue_after
        except Exception:  # the next pass retries; never let one object's bug kill its daemon
            logger.exception("reconcile pass failed")
            delay = 10.0
        deadline = loop.time() + delay
        while not stopped and loop.time() < deadline and meta.get("generation") == generation:
            await stopped.wait(min(TICK_SECONDS, max(0.0, deadline - loop.time())))


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def delete_scaleset(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    reconciler: Reconciler = memo.reconciler
    if not await reconciler.finalize(body, _emitter(body)):
        raise kopf.TemporaryError("waiting for the cloud scale set to be deleted", delay=2)
