"""ScaleSet handlers: a daemon per object runs reconcile passes; deletion runs the finalizer.

The daemon sleeps between passes for as long as the plan asks, and wakes early when
``metadata.generation`` changes or a ScaleSetOperation for it appears or changes (kopf keeps ``meta``
and the indexes live), so edits are acted on at once without handlers that would write kopf
bookkeeping on every change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import kopf

from scaleset_operator import GROUP, VERSION
from scaleset_operator.api import operation, scaleset
from scaleset_operator.reconciler import Reconciler

TICK_SECONDS = 0.25


def emitter(body: kopf.Body) -> Any:
    def emit(kind: str, reason: str, message: str) -> None:
        kopf.event(body, type=kind, reason=reason, message=message)

    return emit


@kopf.index(GROUP, VERSION, operation.PLURAL)
def operations_by_scaleset(namespace: str | None, spec: kopf.Spec, body: kopf.Body, **_: Any) -> dict[Any, Any]:
    return {(namespace or "", spec.get("scaleSetName")): dict(body)}


@kopf.index(GROUP, VERSION, scaleset.PLURAL)
def scalesets_by_name(namespace: str | None, name: str, **_: Any) -> dict[Any, Any]:
    return {(namespace or "", name): name}


def _operations(index: kopf.Index[Any, Any], key: tuple[str, str]) -> list[Mapping[str, Any]]:
    return list(index.get(key, []))


def _signature(ops: list[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((o["metadata"]["name"], o["metadata"].get("resourceVersion", "")) for o in ops))


@kopf.daemon(GROUP, VERSION, scaleset.PLURAL, cancellation_timeout=10.0)
async def run_scaleset(
    body: kopf.Body,
    meta: kopf.Meta,
    name: str,
    namespace: str | None,
    stopped: kopf.DaemonStopped,
    memo: kopf.Memo,
    logger: kopf.Logger,
    **kwargs: Any,
) -> None:
    operations_by_scaleset: kopf.Index[Any, Any] = kwargs["operations_by_scaleset"]  # kopf passes indexes by name
    reconciler: Reconciler = memo.reconciler
    loop = asyncio.get_running_loop()
    emit = emitter(body)
    key = (namespace or "", name)
    while not stopped:
        if meta.get("deletionTimestamp"):
            return
        generation = meta.get("generation")
        ops = _operations(operations_by_scaleset, key)
        try:
            result = await reconciler.reconcile(body, emit, ops)
            delay = result.requeue_after
        except Exception:  # the next pass retries; never let one object's bug kill its daemon
            logger.exception("reconcile pass failed")
            delay = 10.0
        deadline = loop.time() + delay
        seen = _signature(_operations(operations_by_scaleset, key))
        while (
            not stopped
            and loop.time() < deadline
            and meta.get("generation") == generation
            and _signature(_operations(operations_by_scaleset, key)) == seen
        ):
            await stopped.wait(min(TICK_SECONDS, max(0.0, deadline - loop.time())))


@kopf.on.delete(GROUP, VERSION, scaleset.PLURAL)
async def delete_scaleset(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    reconciler: Reconciler = memo.reconciler
    if not await reconciler.finalize(body, emitter(body)):
        raise kopf.TemporaryError("waiting for the cloud scale set to be deleted", delay=2)


def _unfinished(status: kopf.Status, **_: Any) -> bool:
    return status.get("phase") not in ("Succeeded", "Failed")


@kopf.timer(GROUP, VERSION, operation.PLURAL, interval=5.0, initial_delay=5.0, when=_unfinished)
async def fail_orphan_operation(
    body: kopf.Body, namespace: str | None, spec: kopf.Spec, memo: kopf.Memo, **kwargs: Any
) -> None:
    """An operation whose ScaleSet does not exist fails with a clear message (after a short grace)."""
    scalesets_by_name: kopf.Index[Any, Any] = kwargs["scalesets_by_name"]
    target = spec.get("scaleSetName")
    if (namespace or "", target) in scalesets_by_name:
        return
    reconciler: Reconciler = memo.reconciler
    message = f"ScaleSet {target!r} not found in namespace {namespace}"
    await reconciler.fail_operation(body, message)
    kopf.event(body, type="Warning", reason="ScaleSetNotFound", message=message)
