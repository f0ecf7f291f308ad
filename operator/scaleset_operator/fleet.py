"""The fleet: every ScaleSet this process watches, the little it keeps of each, and one pass.

kopf's watch events (``handlers/``) land in ``observe`` / ``observe_operation``; the scheduler
(``scheduler.py``) decides when each ScaleSet's pass runs; a pass hands the object to the reconciler
(``reconciler.py``), which observes, plans, records intent, acts and reports. This module decides
only *when* and *whether*:

- **When.** A pass runs on a spec change (``metadata.generation``), on deletion, on a new or changed
  ScaleSetOperation, on this process becoming responsible for the ScaleSet, and when the previous
  pass's requeue comes due. Status-only events (our own writes coming back) trigger nothing. A busy
  ScaleSet follows the planner's requeue; an idle one is paced by its subscription's read budget
  (``pacing.py``).
- **Whether.** Only ScaleSets this process owns (``--shard I/N``) and may act on now (it holds its
  shard's lease, and no other layout still claims the ScaleSet: ``sharding.py``). Without sharding
  the gate always says yes.
- **What it keeps.** Per ScaleSet only what a pass needs between events: name, uid, generation,
  finalizers, resourceVersion, and the spec as compact JSON (about 2 KB); its status lives in the
  reconciler's memory. The first pass after this process (re)gains a ScaleSet reads it fresh from
  the API server, so nothing stale from before a restart or a handover is ever planned on.
- **Finalizer.** The operator adds ``scaleset.dev/finalizer`` before its first action and removes it
  once the reconciler's ``finalize`` says the cloud scale set is gone (or orphaned). kopf's own
  finalizer handling is not used: kopf removes a finalizer from every object its handlers' filters
  do not match, so shards filtering by hash would strip each other's.
- **Crash safety.** On start every ScaleSet is enqueued: at once when it has a rollout record, an
  unobserved generation or an unfinished operation; the settled ones spread over their resync
  interval. The reconciler's intent record makes any pass safe to repeat.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from scaleset_operator import GROUP, VERSION
from scaleset_operator.api import operation as operation_api
from scaleset_operator.api import scaleset as scaleset_api
from scaleset_operator.kube import ObjectChanged
from scaleset_operator.pacing import ResyncPacing
from scaleset_operator.reconciler import TERMINAL_PHASES, EventSink, Reconciler, StatusWriter
from scaleset_operator.scheduler import Outcome, Scheduler

log = logging.getLogger(__name__)

FINALIZER = f"{GROUP}/finalizer"
"""The operator's finalizer on ScaleSets (the name kopf used before, so existing objects keep it)."""
LEGACY_OPERATION_FINALIZER = f"{GROUP}/finalizer"
"""Earlier versions let kopf put this on unfinished ScaleSetOperations (for a timer); it is removed."""
DELETION_RECHECK_SECONDS = 2.0
ORPHAN_GRACE_SECONDS = 5.0
"""An operation naming a ScaleSet that does not exist fails after this long (the ScaleSet's own
event may simply not have arrived yet)."""
CONFLICT_RETRY_SECONDS = 1.0
API_VERSION = f"{GROUP}/{VERSION}"

ABOUT: ContextVar[dict[str, str] | None] = ContextVar("scaleset_about", default=None)
"""The object the current pass is about (kopf's ``k8s_ref`` shape): log lines written during a pass,
the reconciler's and the backends' included, name it (``runtime.configure_logging``)."""


class Ref(NamedTuple):
    """A scheduler key: a ScaleSet's pass, or an operation's housekeeping (orphan check, legacy finalizer)."""

    kind: str
    namespace: str
    name: str


class FleetKube(StatusWriter, Protocol):
    async def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None: ...

    async def set_finalizers(
        self, plural: str, namespace: str, name: str, finalizers: list[str], resource_version: str
    ) -> None: ...


class Gate(Protocol):
    """Who acts on what (``sharding.py``); the standalone gate says yes to everything.

    A gate calls ``Fleet.regate`` whenever its answers may have changed (a lease won or lost, another
    layout's lease appeared or expired)."""

    def owns(self, namespace: str, name: str) -> bool:
        """This process's share of the ScaleSets (fixed for the life of the process)."""

    def may_act(self, namespace: str, name: str) -> bool:
        """Whether this process may act on an owned ScaleSet now."""


class Everything:
    def owns(self, namespace: str, name: str) -> bool:
        return True

    def may_act(self, namespace: str, name: str) -> bool:
        return True


@dataclass(slots=True)
class Tracked:
    """What a pass needs of a ScaleSet between watch events (its status is the reconciler's)."""

    uid: str
    generation: int
    resource_version: str
    finalizers: tuple[str, ...]
    deleting: bool
    spec: bytes
    settled: bool
    """Per its last event: no rollout recorded and the generation observed (safe to spread)."""
    status: bytes | None = None
    """The status as the watch delivered it, kept only until the reconciler has its own memory of
    the ScaleSet (its first pass after this process started): the listing and the watch are
    consistent reads, so that first pass needs no extra GET."""
    idle: bool = False
    """Its last pass found nothing in flight (the next idle delay keeps its phase)."""

    @classmethod
    def of(cls, body: Mapping[str, Any], *, keep_status: bool) -> Tracked:
        meta = body["metadata"]
        status = body.get("status") or {}
        generation = int(meta.get("generation") or 0)
        return cls(
            uid=str(meta.get("uid") or ""),
            generation=generation,
            resource_version=str(meta.get("resourceVersion") or ""),
            finalizers=tuple(meta.get("finalizers") or ()),
            deleting=bool(meta.get("deletionTimestamp")),
            spec=_compact(body.get("spec") or {}),
            settled=status.get("rollout") is None and status.get("observedGeneration") == generation,
            status=_compact(status) if keep_status else None,
        )

    def body(self, namespace: str, name: str) -> dict[str, Any]:
        """The object as a pass sees it: metadata, spec, and the status only if still kept."""
        meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": self.uid, "generation": self.generation}
        meta |= {"resourceVersion": self.resource_version, "finalizers": list(self.finalizers)}
        body = {"apiVersion": API_VERSION, "kind": scaleset_api.KIND, "metadata": meta, "spec": json.loads(self.spec)}
        if self.status is not None:
            body["status"] = json.loads(self.status)
        return body


def _compact(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def subscription_and_size(spec: Mapping[str, Any]) -> tuple[str, int]:
    azure = spec.get("azure") or {}
    return str(azure.get("subscriptionId") or ""), int((spec.get("sku") or {}).get("capacity") or 0)


def compact_operation(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a ScaleSetOperation a pass reads (for the operations index): no managedFields,
    no annotations, no last-applied configuration."""
    meta = body["metadata"]
    kept = ("name", "namespace", "uid", "generation", "creationTimestamp", "resourceVersion")
    return {
        "apiVersion": API_VERSION,
        "kind": operation_api.KIND,
        "metadata": {key: meta[key] for key in kept if key in meta},
        "spec": dict(body.get("spec") or {}),
        "status": dict(body.get("status") or {}),
    }


class Fleet:
    def __init__(
        self,
        reconciler: Reconciler,
        kube: FleetKube,
        *,
        emitter: Callable[[Mapping[str, Any]], EventSink],
        pacing: ResyncPacing | None = None,
        gate: Gate | None = None,
        workers: int = 8,
    ) -> None:
        self.reconciler = reconciler
        self.kube = kube
        self.emitter = emitter
        self.pacing = pacing if pacing is not None else ResyncPacing()
        self.gate: Gate = gate if gate is not None else Everything()
        self.scheduler: Scheduler[Ref] = Scheduler(self._pass, workers=workers)
        self.objects: dict[Ref, Tracked] = {}
        """The ScaleSets this process owns; other shards' are only counted in the pacing."""
        self.operations: Mapping[Any, Any] = {}
        """kopf's ``operations_by_scaleset`` index: (namespace, ScaleSet name) -> compact operations."""
        self.housekeeping: set[Ref] = set()

    # -- watch events ------------------------------------------------------------------------------

    def observe(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        """A ScaleSet watch event (``None`` is kopf's initial listing)."""
        self.scheduler.start()  # in the handler's context, so passes can post kopf Events
        meta = body["metadata"]
        key = Ref(scaleset_api.KIND, meta["namespace"], meta["name"])
        if event_type == "DELETED":
            self._drop(key)
            return
        self.pacing.track(key, *subscription_and_size(body.get("spec") or {}))
        if not self.gate.owns(key.namespace, key.name):
            return
        uid = str(meta.get("uid") or "")
        new, old = Tracked.of(body, keep_status=not self.reconciler.remembers(uid)), self.objects.get(key)
        self.objects[key] = new
        if old is None or old.uid != new.uid:
            if old is not None:
                self.reconciler.forget(old.uid)
            self._enqueue(key, new)
            return
        new.idle = old.idle
        if new.generation != old.generation or new.deleting != old.deleting or FINALIZER not in new.finalizers:
            self.scheduler.trigger(key, busy=True)

    def observe_operation(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        """A ScaleSetOperation watch event: wake its ScaleSet when the request is new or changed."""
        meta, spec = body["metadata"], body.get("spec") or {}
        target = Ref(scaleset_api.KIND, meta["namespace"], str(spec.get("scaleSetName") or ""))
        if not self.gate.owns(target.namespace, target.name):
            return
        own = Ref(operation_api.KIND, meta["namespace"], meta["name"])
        unfinished = (body.get("status") or {}).get("phase") not in TERMINAL_PHASES
        # Operations are immutable: MODIFIED is a status write (ours) or metadata, nothing to act on.
        if unfinished and event_type in (None, "ADDED", "DELETED") and target in self.objects:
            self.scheduler.trigger(target, busy=True)
        if event_type == "DELETED":
            self.scheduler.forget(own)
            self.housekeeping.discard(own)
            return
        legacy = LEGACY_OPERATION_FINALIZER in (meta.get("finalizers") or ())
        if legacy or (unfinished and target not in self.objects):
            self.housekeeping.add(own)
            self.scheduler.trigger(own, 0.0 if legacy else ORPHAN_GRACE_SECONDS)

    def regate(self, *, lost: bool) -> None:
        """The gate's answers changed. ``lost``: some ScaleSets may now be acted on by another
        process, so everything remembered of them is dropped at once (and passes in flight are
        cancelled, as a crash would) before their next pass re-reads them. Then every owned ScaleSet
        is looked at again, as on start."""
        if lost:
            self.scheduler.cancel_running()
            for key, tracked in self.objects.items():
                if not self.gate.may_act(key.namespace, key.name):
                    self.reconciler.forget(tracked.uid)
                    tracked.status = None  # what the watch showed may be behind another's writes
        for key, tracked in self.objects.items():
            if self.gate.may_act(key.namespace, key.name):
                self._enqueue(key, tracked)
        for key in self.housekeeping:
            self.scheduler.trigger(key)

    def _enqueue(self, key: Ref, tracked: Tracked) -> None:
        """First sight (start, resume, handover): busy-looking ScaleSets now, settled ones spread."""
        pending = any(
            (op.get("status") or {}).get("phase") not in TERMINAL_PHASES
            for op in self.operations.get((key.namespace, key.name), ())
        )
        if tracked.settled and not tracked.deleting and not pending and FINALIZER in tracked.finalizers:
            tracked.idle = True
            self.scheduler.trigger(key, self.pacing.idle_delay(key, 0.0, first=True))
        else:
            self.scheduler.trigger(key, busy=True)

    def _drop(self, key: Ref) -> None:
        tracked = self.objects.pop(key, None)
        if tracked is not None:
            self.reconciler.forget(tracked.uid)
        self.pacing.forget(key)
        self.scheduler.forget(key)

    # -- passes ------------------------------------------------------------------------------------

    async def _pass(self, key: Ref) -> Outcome:
        ABOUT.set({"apiVersion": API_VERSION, "kind": key.kind, "namespace": key.namespace, "name": key.name})
        if key.kind == operation_api.KIND:
            return await self._housekeep(key)
        tracked = self.objects.get(key)
        if tracked is None:
            return Outcome(None)
        if not self.gate.may_act(key.namespace, key.name):
            self.reconciler.forget(tracked.uid)  # someone else may act meanwhile: re-read when back
            tracked.status = None
            return Outcome(None)  # regate() brings it back
        found = await self._current(key, tracked)
        if found is None:
            self._drop(key)
            return Outcome(None)
        body, tracked = found
        if tracked.deleting:
            return await self._finalize(key, tracked, body)
        if FINALIZER not in tracked.finalizers and not await self._add_finalizer(key, tracked):
            return Outcome(CONFLICT_RETRY_SECONDS, busy=True)
        operations = list(self.operations.get((key.namespace, key.name), ()))
        result = await self.reconciler.reconcile(body, self.emitter(body), operations)
        tracked.status = None  # the reconciler remembers it now
        if result.busy:
            tracked.idle = False
            return Outcome(result.requeue_after, busy=True)
        first, tracked.idle = not tracked.idle, True
        return Outcome(self.pacing.idle_delay(key, result.requeue_after, first=first))

    async def _current(self, key: Ref, tracked: Tracked) -> tuple[Mapping[str, Any], Tracked] | None:
        """The stored view; or, when the reconciler has no memory of the ScaleSet and no status from
        the watch can be trusted (it was handed over meanwhile), a fresh read."""
        if self.reconciler.remembers(tracked.uid) or tracked.status is not None:
            return tracked.body(key.namespace, key.name), tracked
        fresh = await self.kube.get(scaleset_api.PLURAL, key.namespace, key.name)
        if fresh is None:
            return None
        current = Tracked.of(fresh, keep_status=False)
        current.idle = tracked.idle
        if self.objects.get(key) is tracked:  # unless a newer event replaced it meanwhile
            self.objects[key] = current
        return fresh, current

    async def _add_finalizer(self, key: Ref, tracked: Tracked) -> bool:
        """Before the first action on a ScaleSet: deleting it must wait for the cloud's scale set."""
        finalizers = [*tracked.finalizers, FINALIZER]
        try:
            await self.kube.set_finalizers(
                scaleset_api.PLURAL, key.namespace, key.name, finalizers, tracked.resource_version
            )
        except ObjectChanged:
            return False
        tracked.finalizers = tuple(finalizers)
        return True

    async def _finalize(self, key: Ref, tracked: Tracked, body: Mapping[str, Any]) -> Outcome:
        if FINALIZER not in tracked.finalizers:
            self.reconciler.forget(tracked.uid)
            return Outcome(None)
        if not await self.reconciler.finalize(body, self.emitter(body)):
            return Outcome(DELETION_RECHECK_SECONDS, busy=True)
        remaining = [f for f in tracked.finalizers if f != FINALIZER]
        try:
            await self.kube.set_finalizers(
                scaleset_api.PLURAL, key.namespace, key.name, remaining, tracked.resource_version
            )
        except ObjectChanged:
            return Outcome(CONFLICT_RETRY_SECONDS, busy=True)
        self._drop(key)
        return Outcome(None)

    async def _housekeep(self, key: Ref) -> Outcome:
        """An operation's chores: drop the legacy kopf finalizer; fail it when its ScaleSet is missing."""
        raw = await self.kube.get(operation_api.PLURAL, key.namespace, key.name)
        if raw is None:
            self.housekeeping.discard(key)
            return Outcome(None)
        target = str((raw.get("spec") or {}).get("scaleSetName") or "")
        if not self.gate.may_act(key.namespace, target):
            return Outcome(None)  # regate() brings it back
        meta = raw["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        if LEGACY_OPERATION_FINALIZER in finalizers:
            kept = [f for f in finalizers if f != LEGACY_OPERATION_FINALIZER]
            try:
                await self.kube.set_finalizers(
                    operation_api.PLURAL, key.namespace, key.name, kept, meta["resourceVersion"]
                )
            except ObjectChanged:
                return Outcome(CONFLICT_RETRY_SECONDS)
        phase = (raw.get("status") or {}).get("phase")
        if phase not in TERMINAL_PHASES and Ref(scaleset_api.KIND, key.namespace, target) not in self.objects:
            message = f"ScaleSet {target!r} not found in namespace {key.namespace}"
            await self.reconciler.fail_operation(raw, message)
            self.emitter(raw)("Warning", "ScaleSetNotFound", message)
        self.housekeeping.discard(key)
        return Outcome(None)
