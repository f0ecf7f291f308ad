"""One reconcile pass for one ScaleSet: observe -> decide -> write intent -> act -> report.

The only module that performs I/O on purpose, and the only one that decides *when* to write:
- ``decide`` runs once per pass; the status written before acting (the intent record: the batch or
  operation call about to be sent) and the one written after are both ``build_status`` of that one
  decision, with the outcome of acting (pending, accepted, failed);
- status is written only when it differs from what is stored (an idle ScaleSet writes nothing);
- a failed call is never re-planned in the same pass: it is reported, feeds the next pass (the
  stored ``status.observation``), and the pass is requeued after the decision's capped backoff.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from scaleset_operator import metrics, rollout_io
from scaleset_operator.api import operation as operation_api
from scaleset_operator.api import scaleset as scaleset_api
from scaleset_operator.api.durations import parse_duration
from scaleset_operator.api.operation import ScaleSetOperationSpec, ScaleSetOperationStatus
from scaleset_operator.api.scaleset import ScaleSetSpec
from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.backends.protocol import Backend
from scaleset_operator.cloud.autoscale import autoscale_key
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey, desired_model, scale_set_key
from scaleset_operator.cloud.errors import BackendError
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.cloud.refusals import CloudFacts
from scaleset_operator.cloud.secrets import Fingerprints, SecretError, SecretForbidden, resolve, secret_refs
from scaleset_operator.planner import actions as act
from scaleset_operator.planner import autoscale_observation, hash_scheme, requeue
from scaleset_operator.planner import events as planned_events
from scaleset_operator.planner.autoscale_observation import AutoscaleObservation
from scaleset_operator.planner.decide import decide
from scaleset_operator.planner.decision import ACCEPTED, PENDING, Decision, Failed, Outcome
from scaleset_operator.planner.inputs import DecideInputs, OperationView, SpecProblem
from scaleset_operator.planner.observation import Absent, Observation, Observed, Unknown, unknown
from scaleset_operator.planner.operations.step import orphaned
from scaleset_operator.planner.simulated_time import SimulatedClock, policy_status, shown
from scaleset_operator.planner.status import Report, build_status
from scaleset_operator.planner.status.operation import operation_status
from scaleset_operator.rollout_io import RolloutIO, RolloutObjects

log = logging.getLogger(__name__)


def _parse_spec(body: Mapping[str, Any]) -> tuple[ScaleSetSpec | None, SpecProblem | None]:
    try:
        return ScaleSetSpec.model_validate(body.get("spec") or {}), None
    except ValidationError as exc:
        message = "invalid spec: " + "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        return None, SpecProblem("InvalidSpec", message)


def _owned(body: Mapping[str, Any], observed: ObservedScaleSet) -> bool:
    """This ScaleSet created or adopted the scale set (``status.management``), or an operator wrote it
    (its hash tags: a scale set managed before the operator recorded ownership)."""
    try:
        management = ScaleSetStatus.model_validate(body.get("status") or {}).management
    except ValidationError:
        management = None
    return (management is not None and management.origin is not None) or observed.model_hash is not None


def _uid(body: Mapping[str, Any]) -> str:
    meta = body["metadata"]
    return str(meta.get("uid") or f"{meta['namespace']}/{meta['name']}")


def _count_throttling(observation: Observation, wait: float) -> None:
    if isinstance(observation, Unknown) and observation.cause == "throttled":
        metrics.THROTTLE_WAIT_SECONDS.labels(observation.code).inc(wait)


class StatusWriter(Protocol):
    async def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None: ...

    async def read_secret_value(self, namespace: str, name: str, key: str) -> str | None: ...


class Kube(StatusWriter, RolloutObjects, Protocol):
    """Everything the reconciler does with Kubernetes (kopf does the watching)."""


EventSink = Callable[[str, str, str], None]
"""(type, reason, message) -> None; posts a Kubernetes Event on the object."""

TERMINAL_PHASES = ("Succeeded", "Failed")


def status_dict(status: ScaleSetStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", exclude_none=True)


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) turning ``old`` into ``new``.

    Objects are diffed key by key, recursively, with ``null`` for a key that went away: the API
    server merges nested objects, so a field dropped from a nested object (a finished batch, a
    cleared error) would otherwise stay stored. Lists are replaced whole."""
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = merge_patch(before, value)
            if nested:
                patch[key] = nested
        elif before != value:
            patch[key] = value
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


FACTS_INTERVAL = timedelta(hours=1)
"""How long the outside facts (regions, VM sizes, image sizes) are trusted before they are read again."""


@dataclass
class FactsWatch:
    """The outside facts a PUT depends on (``cloud/refusals.py``), read at most once per
    ``FACTS_INTERVAL`` per location and image version, in memory only. A failed read is logged and
    leaves the facts unknown: those rules wait, Azure would still refuse the PUT itself."""

    cache: dict[tuple[str, str, str, str | None], tuple[datetime, CloudFacts]] = field(default_factory=dict)

    async def facts(
        self, backend: Backend, key: ScaleSetKey, spec: ScaleSetSpec, latest: str | None, now: datetime
    ) -> CloudFacts | None:
        image = spec.virtualMachineProfile.storageProfile.imageReference
        version = image.pinned_version or latest
        cache_key = (key.subscription_id, spec.location, image.model_dump_json(), version)
        cached = self.cache.get(cache_key)
        if cached is not None and now - cached[0] < FACTS_INTERVAL:
            return cached[1]
        try:
            found = await backend.cloud_facts(key, spec.location, image, version)
        except BackendError as exc:
            log.warning("%s: reading the region's VM sizes and the image's size failed: %s", key.name, exc)
            return None
        self.cache[cache_key] = (now, found)
        return found


@dataclass
class ObjectMemory:
    """What the reconciler remembers per object between passes (lost on restart, by design)."""

    written: str | None = None
    """The status as last written (or found already stored), as compact JSON: a pass needs it whole
    because the watch may lag behind our own writes, but a fleet keeps one per ScaleSet, and as text
    it is a fourth of the dict. An unchanged status is recognised by comparing the text."""
    status: ScaleSetStatus | None = None
    """``written``, parsed, kept while the ScaleSet is busy (parsing a large scale set's status every
    pass costs more than the pass); an idle one is passed rarely and keeps only the text."""
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Operation name -> the status last written for it (the watch may lag behind our writes)."""


@dataclass
class PassResult:
    requeue_after: float
    """Real seconds until the next pass."""
    decision: Decision | None = None
    report: Report | None = None
    status_writes: int = 0
    busy: bool = False
    """Work in flight (actions, a rollout, an operation, progress): served first, never paced as idle."""

    @property
    def actions(self) -> tuple[act.Action, ...]:
        return self.decision.actions if self.decision is not None else ()


def is_busy(inputs: DecideInputs, decision: Decision) -> bool:
    record = decision.rollout.record if decision.rollout is not None else inputs.status.rollout
    return (
        bool(decision.actions or decision.progress)
        or inputs.operation is not None
        or record is not None
        or decision.requeue_after < requeue.IDLE_RESYNC_SECONDS
    )


@dataclass(frozen=True)
class Pass:
    """One pass's parsed object: what ``decide`` gets, and where to act and write."""

    body: Mapping[str, Any]
    inputs: DecideInputs
    key: ScaleSetKey | None
    operation: Mapping[str, Any] | None


class Reconciler:
    def __init__(
        self,
        backend: Backend,
        kube: Kube,
        clock: Callable[[], datetime],
        fingerprints: Fingerprints,
        time_scale: float = 1.0,
        min_requeue_seconds: float = 0.2,
        simulated_clock: Callable[[], SimulatedClock] | None = None,
    ) -> None:
        self.backend = backend
        self.kube = kube
        self.clock = clock
        """The policy clock: simulated time with the simulator, wall-clock time with Azure."""
        self.fingerprints = fingerprints
        """The installation's hash key (``cloud/secrets.py``): secrets enter hashes only through it."""
        self.time_scale = time_scale
        """Simulated seconds per real second (the simulator's clock may run faster than real time)."""
        self.simulated_clock = simulated_clock
        """Simulator only: how ``clock`` reads on the wall clock now (status shows wall-clock times)."""
        self.min_requeue_seconds = min_requeue_seconds
        """Floor for the next pass (Azure: keep VM lists under Compute's read budget)."""
        self.images = ImageWatch()
        self.facts = FactsWatch()
        self.memory: dict[str, ObjectMemory] = {}
        self.rollout_io = RolloutIO(kube)

    def _simulated(self) -> SimulatedClock | None:
        return self.simulated_clock() if self.simulated_clock is not None else None

    def _real_seconds(self, simulated: float) -> float:
        return max(self.min_requeue_seconds, simulated / self.time_scale)

    # -- Kubernetes -------------------------------------------------------------------------------

    async def _write(self, body: Mapping[str, Any], mem: ObjectMemory, status: ScaleSetStatus) -> int:
        text = status.model_dump_json(exclude_none=True)
        if text == mem.written:
            mem.status = status
            return 0
        old = json.loads(mem.written) if mem.written is not None else dict(body.get("status") or {})
        patch = merge_patch(old, status_dict(status))
        if patch:
            meta = body["metadata"]
            await self.kube.patch_status(scaleset_api.PLURAL, meta["namespace"], meta["name"], patch)
            metrics.STATUS_WRITES.labels(scaleset_api.KIND).inc()
        mem.written, mem.status = text, status
        return 1 if patch else 0

    async def _write_operation(
        self, mem: ObjectMemory, raw: Mapping[str, Any] | None, status: ScaleSetOperationStatus | None
    ) -> int:
        if raw is None or status is None:
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

    async def _report(self, current: Pass, mem: ObjectMemory, report: Report) -> int:
        writes = await self._write(current.body, mem, report.scale_set)
        return writes + await self._write_operation(mem, current.operation, report.operation)

    def _previous_status(self, body: Mapping[str, Any], mem: ObjectMemory) -> ScaleSetStatus:
        if mem.status is not None:
            return mem.status
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
            view = self._operation_view(mem, raw)
            if view is not None and view.status.phase not in TERMINAL_PHASES:
                return raw, view
        return None

    def _operation_view(self, mem: ObjectMemory, raw: Mapping[str, Any]) -> OperationView | None:
        name = raw["metadata"]["name"]
        status = ScaleSetOperationStatus.model_validate(mem.operations.get(name) or raw.get("status") or {})
        try:
            spec = ScaleSetOperationSpec.model_validate(raw.get("spec") or {})
        except ValidationError as exc:
            log.warning("operation %s has an invalid spec: %s", name, exc)
            return None
        return OperationView(
            name=name, spec=spec, status=status, generation=int(raw["metadata"].get("generation") or 1)
        )

    # -- observe ----------------------------------------------------------------------------------

    async def _gather(
        self, body: Mapping[str, Any], mem: ObjectMemory, operations: list[Mapping[str, Any]], now: datetime
    ) -> Pass:
        """Read the spec and its Secret, then observe the cloud: everything ``decide`` needs."""
        meta = body["metadata"]
        common: dict[str, Any] = {
            "name": meta["name"],
            "generation": int(meta.get("generation") or 0),
            "now": now,
            "status": policy_status(self._previous_status(body, mem)),
            "clock": self._simulated(),
        }
        spec, problem = _parse_spec(body)
        desired = None
        extra = rollout_io.Observed()
        pending = self._pending_operation(mem, operations)
        if spec is not None:
            view = pending[1] if pending else None
            extra = await self.rollout_io.observe(body, spec, common["status"], now, view)
            # A rollback pin that applies: the pinned revision's model is the one sent to the cloud.
            desired, problem = await self._desired(extra.pinned_spec or spec, meta["namespace"])
            problem = extra.problem or problem
        if spec is None or problem is not None:
            return Pass(body, DecideInputs(**common, problem=problem), None, None)
        key = scale_set_key(spec, meta["name"])
        observation, latest, autoscale = await self._observe(key, spec, common["status"], now)
        known = not isinstance(observation, Unknown)
        facts = await self.facts.facts(self.backend, key, spec, latest, now) if known else None
        if isinstance(observation, Observed) and desired is not None:  # earlier versions' hashes replaced first
            common["status"] = hash_scheme.migrate_status(common["status"], observation.scale_set, desired)
        inputs = DecideInputs(
            **common,
            spec=spec,
            desired=desired,
            model_spec=extra.pinned_spec,
            observation=observation,
            latest_image_version=latest,
            operation=pending[1] if pending else None,
            gate_measurements=extra.gate_measurements,
            jobs=extra.jobs,
            base_revision=extra.base_revision,
            autoscale=autoscale,
            cloud_facts=facts,
        )
        return Pass(body, inputs, key, pending[0] if pending else None)

    async def _desired(self, spec: ScaleSetSpec, namespace: str) -> tuple[DesiredModel | None, SpecProblem | None]:
        secrets, problem = await self._secrets(spec, namespace)
        if problem is not None:
            return None, problem
        return desired_model(spec, secrets=secrets, fingerprints=self.fingerprints), None

    async def _secrets(self, spec: ScaleSetSpec, namespace: str) -> tuple[dict[str, Any], SpecProblem | None]:
        """Every Secret value the spec references, by target (``cloud/secrets.py``); a missing or
        unusable one is a problem naming the Secret and key, never quoting the value."""
        refs = secret_refs(spec)
        raw: dict[str, str] = {}
        for ref in refs:
            try:
                value = await self.kube.read_secret_value(namespace, ref.name, ref.key)
            except SecretForbidden:
                message = (
                    f"the operator may not read Secret {ref.name} in namespace {namespace} (RBAC: get secrets; "
                    "the chart grants it with rbac.secretNamespaces and rbac.secretNames)"
                )
                return {}, SpecProblem("SecretForbidden", message)
            if value is None:
                message = f"Secret {ref.name} (key {ref.key}) not found in namespace {namespace}"
                return {}, SpecProblem("SecretNotFound", message)
            raw[ref.target] = value
        try:
            return resolve(refs, raw), None
        except SecretError as exc:
            return {}, SpecProblem("InvalidSecret", str(exc))

    async def _observe(
        self, key: ScaleSetKey, spec: ScaleSetSpec, previous: ScaleSetStatus, now: datetime
    ) -> tuple[Observation, str | None, AutoscaleObservation | None]:
        try:
            observed = await self.backend.get(key)
            latest = await self.images.latest(self.backend, spec, now)
            autoscale = await self._autoscale(key, spec, previous, observed, now) if observed is not None else None
        except BackendError as exc:
            log.warning("%s: observing failed: %s", key.name, exc)
            return unknown(exc, "observe", previous, now), None, None
        return (Observed(observed) if observed is not None else Absent()), latest, autoscale

    async def _autoscale(
        self, key: ScaleSetKey, spec: ScaleSetSpec, previous: ScaleSetStatus, observed: ObservedScaleSet, now: datetime
    ) -> AutoscaleObservation | None:
        """The autoscale setting when it matters (a failed read fails the observation), and the metrics
        that explain a capacity change (display only: a failed read leaves the change unexplained)."""
        if not autoscale_observation.wanted(spec, previous):
            return None
        setting = await self.backend.get_autoscale(key)
        query = autoscale_observation.metrics_query(spec, previous, observed, setting, now)
        if query is None:
            return AutoscaleObservation(setting)
        try:
            metrics = await self.backend.get_metrics(key, query.names, query.start, query.end)
        except BackendError as exc:
            log.warning("%s: reading metrics failed: %s", key.name, exc)
            return AutoscaleObservation(setting)
        return AutoscaleObservation(setting, metrics)

    # -- one pass ---------------------------------------------------------------------------------

    async def reconcile(
        self, body: Mapping[str, Any], emit: EventSink, operations: list[Mapping[str, Any]] | None = None
    ) -> PassResult:
        started = time.perf_counter()
        result_label = "error"
        try:
            result = await self._reconcile(body, emit, operations)
            if not result.busy:
                self._settle(body)
            result_label = "acted" if result.actions else "observed"
            if result.report is not None:
                meta = body["metadata"]
                spec = body.get("spec") or {}
                desired = int((spec.get("sku") or {}).get("capacity") or 0)
                owned = result.report.scale_set.capacity
                desired = owned.observed if owned is not None else desired
                metrics.observe_status(meta["namespace"], meta["name"], desired, result.report.scale_set)
            return result
        finally:
            metrics.RECONCILE_SECONDS.labels(result_label).observe(time.perf_counter() - started)

    async def _reconcile(
        self, body: Mapping[str, Any], emit: EventSink, operations: list[Mapping[str, Any]] | None
    ) -> PassResult:
        mem = self.memory.setdefault(_uid(body), ObjectMemory())
        now = self.clock()
        current = await self._gather(body, mem, list(operations or []), now)
        inputs = current.inputs
        decision = decide(inputs)
        await self.rollout_io.write_revision(body, decision)
        report = build_status(inputs, decision, PENDING if decision.actions else ACCEPTED)
        writes = await self._report(current, mem, report)
        await self.rollout_io.create_jobs(body, inputs.spec, decision)
        for event in decision.events:
            emit(event.type, event.reason, event.message)
        busy = is_busy(inputs, decision)
        if not decision.actions:
            await self.rollout_io.prune(body, decision)
            _count_throttling(decision.observation, decision.requeue_after)
            return PassResult(self._real_seconds(decision.requeue_after), decision, report, writes, busy)
        outcome = await self._act(current, decision)
        report = build_status(inputs, decision, outcome)
        writes += await self._report(current, mem, report)
        await self.rollout_io.prune(body, decision)
        if isinstance(outcome, Failed):
            warned = planned_events.failure(outcome.failure, inputs.status.observation)
            if warned is not None:
                emit(warned.type, warned.reason, warned.message)
            _count_throttling(outcome.failure, decision.next_pass(outcome, now))
        return PassResult(self._real_seconds(decision.next_pass(outcome, now)), decision, report, writes, busy)

    async def _act(self, current: Pass, decision: Decision) -> Outcome:
        """Send the decision's calls in order; the first failure stops the rest."""
        inputs = current.inputs
        assert current.key is not None and inputs.desired is not None
        try:
            for action in decision.actions:
                log.info("%s: %s", inputs.name, act.describe(action))
                await self._execute(current.key, inputs.desired, action)
        except BackendError as exc:
            log.warning("%s: %s failed: %s", inputs.name, act.describe(action), exc)
            return Failed(unknown(exc, "act", inputs.status, inputs.now))
        return ACCEPTED

    async def _execute(self, key: ScaleSetKey, desired: DesiredModel, action: act.Action) -> None:
        match action:
            case act.ApplyModel(capacity=capacity, etag=etag):
                await self.backend.apply(key, desired, capacity, etag=etag)
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
            case act.ApplyAutoscale(autoscale=autoscale):
                await self.backend.apply_autoscale(autoscale)
            case act.DeleteAutoscale(key=autoscale_key):
                await self.backend.delete_autoscale(autoscale_key)
            case act.SetProtection(policies=policies):
                await self.backend.set_protection(key, policies)
            case _:
                await self._power(key, action)

    async def _power(self, key: ScaleSetKey, action: act.Action) -> None:
        """The instance actions only a ScaleSetOperation asks for (Start, Deallocate, ...)."""
        match action:
            case act.StartInstances(instance_ids=ids):
                await self.backend.start(key, ids)
            case act.DeallocateInstances(instance_ids=ids):
                await self.backend.deallocate(key, ids)
            case act.PowerOffInstances(instance_ids=ids, skip_shutdown=skip):
                await self.backend.power_off(key, ids, skip_shutdown=skip)
            case act.RedeployInstances(instance_ids=ids):
                await self.backend.redeploy(key, ids)
            case act.PerformMaintenance(instance_ids=ids):
                await self.backend.perform_maintenance(key, ids)
            case act.SimulateEviction(instance_ids=ids):
                await self.backend.simulate_eviction(key, ids)

    def _settle(self, body: Mapping[str, Any]) -> None:
        """An idle ScaleSet keeps only its status text (see ``ObjectMemory.status``)."""
        mem = self.memory.get(_uid(body))
        if mem is not None:
            mem.status = None

    def remembers(self, uid: str) -> bool:
        """Whether a pass for ``uid`` can rely on this reconciler's memory of its status."""
        return uid in self.memory

    def forget(self, uid: str) -> None:
        """Drop what is remembered of ``uid`` (another process may act on it meanwhile)."""
        self.memory.pop(uid, None)

    async def fail_operation(self, raw: Mapping[str, Any], message: str) -> None:
        """An operation whose ScaleSet does not exist: failed, through the same status builder."""
        meta = raw["metadata"]
        view = OperationView(
            name=meta["name"],
            spec=None,  # type: ignore[arg-type]  # not needed to fail it, and possibly invalid
            status=ScaleSetOperationStatus.model_validate(raw.get("status") or {}),
            generation=int(meta.get("generation") or 1),
        )
        step, _ = orphaned(view, message)
        status = operation_status(step, ACCEPTED, shown(self.clock(), self._simulated()))
        await self.kube.patch_status(
            operation_api.PLURAL, meta["namespace"], meta["name"], status.model_dump(mode="json", exclude_none=True)
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
        if spec.deletionPolicy == "Orphan" or spec.managementPolicy == "Observe":
            why = "deletionPolicy Orphan" if spec.deletionPolicy == "Orphan" else "managementPolicy Observe"
            emit("Normal", "Orphaned", f"{why}: scale set {key.name} is left in place")
            return True
        observed = await self.backend.get(key)
        if observed is None:
            emit("Normal", "Deleted", f"scale set {key.name} deleted")
            return True
        if not _owned(body, observed):
            message = f"scale set {key.name} was neither created nor adopted by this ScaleSet: it is left in place"
            emit("Normal", "Orphaned", message)
            return True
        if observed.provisioning_state != "Deleting":
            emit("Normal", "Deleting", f"deleting scale set {key.name} (deletionPolicy Delete)")
            if spec.autoscale is not None:  # Azure keeps an autoscale setting whose target is gone
                await self.backend.delete_autoscale(autoscale_key(spec, meta["name"]))
            await self.backend.delete(key)
        return False
