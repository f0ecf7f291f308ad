"""One reconcile pass for one ScaleSet: observe -> plan -> record intent -> act -> report.

The only module that performs I/O on purpose, and the only one that decides *when* to write:
- status is written only when it differs from what is stored (an idle ScaleSet writes nothing);
- the intent record (the batch about to be sent) is written *before* the backend call, and marked
  sent after it, so a crash at any moment resumes without repeating or losing work;
- a backend failure is fed back to the planner, which turns it into conditions; throttling waits
  ``Retry-After``, other retryable errors back off exponentially, the rest stall with the message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from scaleset_operator import metrics
from scaleset_operator.api import operation as operation_api
from scaleset_operator.api import scaleset as scaleset_api
from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.backends.protocol import Backend
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey, desired_model, scale_set_key
from scaleset_operator.cloud.errors import BackendError, Throttled, Unauthorized
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.inputs import BackendFailure, PlanInputs
from scaleset_operator.planner.operations import OperationView, failed_status
from scaleset_operator.planner.plan import IDLE_RESYNC_SECONDS, Plan, mark_acted, mark_operation_acted, plan
from scaleset_operator.planner.status import stalled_status

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


class StatusWriter(Protocol):
    async def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None: ...

    async def read_secret_value(self, namespace: str, name: str, key: str) -> str | None: ...


EventSink = Callable[[str, str, str], None]
"""(type, reason, message) -> None; posts a Kubernetes Event on the object."""

TERMINAL_PHASES = ("Succeeded", "Failed")


def status_dict(status: ScaleSetStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", exclude_none=True)


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON merge patch turning ``old`` into ``new`` at the top level (lists are replaced whole)."""
    patch: dict[str, Any] = {key: value for key, value in new.items() if old.get(key) != value}
    patch.update({key: None for key in old if key not in new})
    return patch


@dataclass
class ImageWatch:
    """Resolves 'latest' at most once per ``osImageCheckInterval`` per image (kept in memory only,
    so checking never writes status)."""

    cache: dict[tuple[str, str], tuple[datetime, str | None]] = field(default_factory=dict)

    async def latest(self, backend: Backend, spec: ScaleSetSpec, now: datetime) -> str | None:
        image = spec.virtualMachineProfile.storageProfile.imageReference
        if not image.wants_latest:
            return None
        key = (spec.location, image.model_dump_json())
        interval = parse_duration(spec.rolloutPolicy.osImageCheckInterval)
        cached = self.cache.get(key)
        if cached is not None and now - cached[0] < interval:
            return cached[1]
        version = await backend.latest_image_version(spec.location, image)
        self.cache[key] = (now, version)
        return version


@dataclass
class ObjectMemory:
    """What the reconciler remembers per object between passes (lost on restart, by design)."""

    written: str | None = None
    """The status as last written (or found already stored), as compact JSON: a pass needs it whole
    because the watch may lag behind our own writes, but a fleet keeps one per ScaleSet, and as text
    it is a fourth of the dict. An unchanged status is recognised by comparing the text."""
    failures: int = 0
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Operation name -> the status last written for it (the watch may lag behind our writes)."""


@dataclass
class PassResult:
    requeue_after: float
    plan: Plan | None = None
    status_writes: int = 0
    busy: bool = False
    """Work in flight (actions, a rollout, an operation): served first, never paced as idle."""


def is_busy(result: Plan, operation: object | None) -> bool:
    return (
        bool(result.actions)
        or operation is not None
        or result.status.rollout is not None
        or result.requeue_after < IDLE_RESYNC_SECONDS
    )


class Reconciler:
    def __init__(
        self,
        backend: Backend,
        kube: StatusWriter,
        clock: Callable[[], datetime],
        time_scale: float = 1.0,
        min_requeue_seconds: float = 0.2,
    ) -> None:
        self.backend = backend
        self.kube = kube
        self.clock = clock
        self.time_scale = time_scale
        self.min_requeue_seconds = min_requeue_seconds
        """Floor for the next pass while busy (Azure: keep VM lists under Compute's read budget)."""
        """Simulated seconds per real second (the simulator's clock may run faster than real time)."""
        self.images = ImageWatch()
        self.memory: dict[str, ObjectMemory] = {}

    def _real_seconds(self, simulated: float) -> float:
        return max(self.min_requeue_seconds, simulated / self.time_scale)

    async def _write(self, body: Mapping[str, Any], mem: ObjectMemory, status: ScaleSetStatus) -> int:
        text = status.model_dump_json(exclude_none=True)
        if text == mem.written:
            return 0
        new = status_dict(status)
        old = json.loads(mem.written) if mem.written is not None else dict(body.get("status") or {})
        patch = merge_patch(old, new)
        if patch:
            meta = body["metadata"]
            await self.kube.patch_status(scaleset_api.PLURAL, meta["namespace"], meta["name"], patch)
            metrics.STATUS_WRITES.labels(scaleset_api.KIND).inc()
        mem.written = text
        return 1 if patch else 0

    def _previous_status(self, body: Mapping[str, Any], mem: ObjectMemory) -> ScaleSetStatus:
        try:
            if mem.written is not None:
                return ScaleSetStatus.model_validate_json(mem.written)
            return ScaleSetStatus.model_validate(body.get("status") or {})
        except ValidationError:
            log.warning("ignoring unreadable status of %s", body["metadata"].get("name"))
            return ScaleSetStatus()

    def _pending_operation(
        self, mem: ObjectMemory, operations: list[Mapping[str, Any]]
    ) -> tuple[Mapping[str, Any], OperationView] | None:
        """The oldest unfinished operation (one at a time, in creation order)."""
        ordered = sorted(
            operations, key=lambda o: (o["metadata"].get("creationTimestamp") or "", o["metadata"]["name"])
        )
        for raw in ordered:
            name = raw["metadata"]["name"]
            status_raw = mem.operations.get(name) or raw.get("status") or {}
            status = ScaleSetOperationStatus.model_validate(status_raw)
            if status.phase in TERMINAL_PHASES:
                continue
            try:
                spec = ScaleSetOperationSpec.model_validate(raw.get("spec") or {})
            except ValidationError as exc:
                log.warning("operation %s has an invalid spec: %s", name, exc)
                continue
            view = OperationView(
                name=name, spec=spec, status=status, generation=int(raw["metadata"].get("generation") or 1)
            )
            return raw, view
        return None

    async def _write_operation(
        self, mem: ObjectMemory, raw: Mapping[str, Any], status: ScaleSetOperationStatus | None
    ) -> int:
        if status is None:
            return 0
        name = raw["metadata"]["name"]
        new = status.model_dump(mode="json", exclude_none=True)
        old = mem.operations.get(name) or dict(raw.get("status") or {})
        patch = merge_patch(old, new)
        if not patch:
            return 0
        await self.kube.patch_status(operation_api.PLURAL, raw["metadata"]["namespace"], name, patch)
        metrics.STATUS_WRITES.labels(operation_api.KIND).inc()
        mem.operations[name] = new
        return 1

    async def reconcile(
        self, body: Mapping[str, Any], emit: EventSink, operations: list[Mapping[str, Any]] | None = None
    ) -> PassResult:
        started = time.perf_counter()
        result_label = "error"
        try:
            result = await self._reconcile(body, emit, operations)
            result_label = "acted" if result.plan is not None and result.plan.actions else "observed"
            if result.plan is not None:
                meta = body["metadata"]
                spec = body.get("spec") or {}
                desired = int((spec.get("sku") or {}).get("capacity") or 0)
                metrics.observe_status(meta["namespace"], meta["name"], desired, result.plan.status)
            return result
        finally:
            metrics.RECONCILE_SECONDS.labels(result_label).observe(time.perf_counter() - started)

    async def _reconcile(
        self, body: Mapping[str, Any], emit: EventSink, operations: list[Mapping[str, Any]] | None
    ) -> PassResult:
        meta = body["metadata"]
        uid = meta.get("uid") or f"{meta['namespace']}/{meta['name']}"
        mem = self.memory.setdefault(uid, ObjectMemory())
        generation = int(meta.get("generation") or 0)
        now = self.clock()
        previous = self._previous_status(body, mem)
        try:
            spec = ScaleSetSpec.model_validate(body.get("spec") or {})
        except ValidationError as exc:
            message = "invalid spec: " + "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            status = stalled_status(previous, generation, "InvalidSpec", message, now)
            writes = await self._write(body, mem, status)
            if writes:
                emit("Warning", "InvalidSpec", message)
            return PassResult(requeue_after=300.0, status_writes=writes)

        password: str | None = None
        ref = spec.virtualMachineProfile.osProfile.adminPasswordSecretRef
        if ref is not None:
            password = await self.kube.read_secret_value(meta["namespace"], ref.name, ref.key)
            if password is None:
                message = f"Secret {ref.name} (key {ref.key}) not found in namespace {meta['namespace']}"
                status = stalled_status(previous, generation, "SecretNotFound", message, now)
                writes = await self._write(body, mem, status)
                if writes:
                    emit("Warning", "SecretNotFound", message)
                return PassResult(requeue_after=self._real_seconds(30.0), status_writes=writes)

        desired = desired_model(spec, password)
        key = scale_set_key(spec, meta["name"])
        inputs = PlanInputs(
            name=meta["name"],
            generation=generation,
            spec=spec,
            observed=None,
            status=previous,
            now=now,
            desired=desired,
        )
        try:
            observed = await self.backend.get(key)
            latest = await self.images.latest(self.backend, spec, now)
        except BackendError as exc:
            return await self._failed(body, mem, inputs, exc, emit)
        pending = self._pending_operation(mem, list(operations or []))
        inputs = replace(
            inputs, observed=observed, latest_image_version=latest, operation=pending[1] if pending else None
        )
        result = plan(inputs)
        writes = await self._write(body, mem, result.status)
        if pending is not None:
            writes += await self._write_operation(mem, pending[0], result.operation_status)
        for event in result.events:
            emit(event.type, event.reason, event.message)
        busy = is_busy(result, pending)
        if not result.actions:
            mem.failures = 0
            return PassResult(self._real_seconds(result.requeue_after), result, writes, busy)
        try:
            for action in result.actions:
                log.info("%s: %s", meta["name"], act.describe(action))
                await self._execute(key, desired, action)
        except BackendError as exc:
            failed = await self._failed(body, mem, replace(inputs, status=result.status), exc, emit)
            failed.status_writes += writes
            return failed
        mem.failures = 0
        writes += await self._write(body, mem, mark_acted(result.status))
        if pending is not None:
            writes += await self._write_operation(mem, pending[0], mark_operation_acted(result.operation_status))
        return PassResult(self._real_seconds(result.requeue_after), result, writes, busy)

    async def _failed(
        self, body: Mapping[str, Any], mem: ObjectMemory, inputs: PlanInputs, exc: BackendError, emit: EventSink
    ) -> PassResult:
        mem.failures += 1
        if isinstance(exc, Throttled):
            delay = exc.retry_after
            metrics.THROTTLE_WAIT_SECONDS.labels(exc.code).inc(delay)
        elif exc.retryable:
            delay = min(MAX_BACKOFF_SECONDS, 2.0 ** min(mem.failures, 9))
        else:  # needs a person (credentials, a refused model): look again rarely, or on the next spec edit
            delay = MAX_BACKOFF_SECONDS
        kind = (
            "throttled" if isinstance(exc, Throttled) else "unauthorized" if isinstance(exc, Unauthorized) else "error"
        )
        failure = BackendFailure(
            code=exc.code, message=exc.message, retryable=exc.retryable, retry_after=delay, kind=kind
        )
        result = plan(replace(inputs, backend_failure=failure))
        writes = await self._write(body, mem, result.status)
        if writes:
            emit("Warning", "BackendError", f"{exc.code}: {exc.message}")
        log.warning("%s: backend error %s (retry in %.1fs)", body["metadata"]["name"], exc, delay)
        busy = inputs.status.rollout is not None or inputs.operation is not None
        return PassResult(requeue_after=delay, plan=result, status_writes=writes, busy=busy)

    async def _execute(self, key: ScaleSetKey, desired: DesiredModel, action: act.Action) -> None:
        match action:
            case act.ApplyModel(capacity=capacity):
                await self.backend.apply(key, desired, capacity)
            case act.UpgradeInstances(instance_ids=ids):
                await self.backend.upgrade_instances(key, ids)
            case act.ReimageInstances(instance_ids=ids, image_version=version):
                await self.backend.reimage(key, ids, image_version=version)
            case act.ReimageAllInstances(instance_ids=ids):
                await self.backend.reimage_all(key, ids)
            case act.RestartInstances(instance_ids=ids):
                await self.backend.restart(key, ids)
            case act.DeleteInstances(instance_ids=ids):
                await self.backend.delete_instances(key, ids)

    def remembers(self, uid: str) -> bool:
        """Whether a pass for ``uid`` can rely on this reconciler's memory of its status."""
        return uid in self.memory

    def forget(self, uid: str) -> None:
        """Drop what is remembered of ``uid`` (another process may act on it meanwhile)."""
        self.memory.pop(uid, None)

    async def fail_operation(self, raw: Mapping[str, Any], message: str) -> None:
        status = ScaleSetOperationStatus.model_validate(raw.get("status") or {})
        new = failed_status(
            status, int(raw["metadata"].get("generation") or 1), "ScaleSetNotFound", message, self.clock()
        )
        meta = raw["metadata"]
        await self.kube.patch_status(
            operation_api.PLURAL, meta["namespace"], meta["name"], new.model_dump(mode="json", exclude_none=True)
        )

    async def finalize(self, body: Mapping[str, Any], emit: EventSink) -> bool:
        """Deletion: True once the resource may go (Orphan, or the cloud scale set is gone)."""
        meta = body["metadata"]
        self.memory.pop(meta.get("uid") or "", None)
        metrics.forget(meta["namespace"], meta["name"])
        try:
            spec = ScaleSetSpec.model_validate(body.get("spec") or {})
        except ValidationError:
            emit("Warning", "InvalidSpec", "spec is invalid: nothing was created, nothing to delete")
            return True
        key = scale_set_key(spec, meta["name"])
        if spec.deletionPolicy == "Orphan":
            emit("Normal", "Orphaned", f"deletionPolicy Orphan: scale set {key.name} is left in place")
            return True
        observed = await self.backend.get(key)
        if observed is None:
            emit("Normal", "Deleted", f"scale set {key.name} deleted")
            return True
        if observed.provisioning_state != "Deleting":
            emit("Normal", "Deleting", f"deleting scale set {key.name} (deletionPolicy Delete)")
            await self.backend.delete(key)
        return False
