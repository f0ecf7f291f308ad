"""``SimulatedCloud``: scale sets and their instances with Azure's semantics, in simulated time.

What it models (DESIGN.md section 4): the scale set model vs each instance's model
(``latestModelApplied``), new instances getting the model at once while existing ones change only
through instance operations, OS profile changes reaching only new or reimaged instances, data
disks keeping their size until reimage-all, scale-in by policy with protection, IDs never reused,
health that initializes after every boot; Flexible orchestration (instances are VMs whose name is
their instance ID, no overprovisioning or update domains, no reimage-all); and Azure's own
Automatic/Rolling modes and OS rolling upgrades when a client other than the operator asks for
them (``platform_upgrades.py``).

Time: every operation takes simulated time (``Durations``). Nothing runs in the background: each
call first advances the state to ``clock.now()`` by processing the due transitions in time order,
so a run is fully deterministic under a ``ManualClock``.

Metrics and autoscale: once a simulated minute every running instance reports host metrics from
the load the user set (``metrics.py``), and an autoscale setting targeting the scale set is
evaluated 30 seconds later by the shared rule engine, changing the capacity as Azure would
(``autoscale.py``).

Calls: the backend-facing methods (``get``, ``apply``, the instance operations, ``delete``,
``latest_image_version``, the autoscale settings and metrics) are counted in ``calls`` and subject
to ``faults``. The admin/test
helpers (``snapshot``, ``details``, ``set_health_override`` ...) are neither.

Not thread-safe: call it from one thread (the operator's event loop).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale, ObservedAutoscale
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.errors import BackendError, Conflict, InvalidRequest, NotFound
from scaleset_operator.cloud.observed import (
    HealthState,
    InstanceError,
    ObservedImage,
    ObservedInstance,
    ObservedScaleSet,
)
from scaleset_operator.simulator.autoscale import RUN_OFFSET, AutoscaleService, SimAutoscale, metric_window
from scaleset_operator.simulator.calls import Call, CallLog
from scaleset_operator.simulator.catalog import ImageCatalog, default_catalog
from scaleset_operator.simulator.clock import Clock
from scaleset_operator.simulator.faults import Faults, InFlightFailure, OperationKind
from scaleset_operator.simulator.metrics import (
    METRICS,
    SAMPLE_INTERVAL,
    catching_up,
    check_load,
    metric_name,
    next_sample_time,
)
from scaleset_operator.simulator.naming import computer_name, flexible_computer_name, flexible_vm_name
from scaleset_operator.simulator.placement import UPDATE_DOMAIN_COUNT, Slot, place
from scaleset_operator.simulator.platform_upgrades import PlatformUpgrades
from scaleset_operator.simulator.rolling import PlatformPolicy, RollingUpgrade
from scaleset_operator.simulator.scale_in import ScaleInCandidate, select_for_scale_in
from scaleset_operator.simulator.state import SimInstance, SimScaleSet
from scaleset_operator.simulator.timing import Durations

OVERPROVISION_RATIO = 0.2

Completion = Callable[[SimInstance, datetime], None]


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    action: Callable[[datetime], None] = field(compare=False)


@dataclass
class _CallContext:
    now: datetime
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InstanceDetail:
    """An instance as the backend reports it, plus what only the simulator knows (admin view)."""

    observed: ObservedInstance
    operation: str | None
    transition_at: datetime | None
    health_at: datetime | None
    health_override: HealthState | None
    surplus: bool


def _no_change(instance: SimInstance, at: datetime) -> None:
    """Completion of an operation that changes nothing but the instance's state (create, restart)."""


class SimulatedCloud:
    def __init__(
        self,
        clock: Clock,
        catalog: ImageCatalog | None = None,
        *,
        durations: Durations | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.clock = clock
        self.catalog = catalog if catalog is not None else default_catalog()
        self.durations = durations if durations is not None else Durations()
        self.faults = faults if faults is not None else Faults()
        self.calls = CallLog()
        self.autoscale = AutoscaleService()
        self._scale_sets: dict[ScaleSetKey, SimScaleSet] = {}
        self._events: list[_Event] = []
        self._event_seq = 0
        self._now = clock.now()
        self.platform = PlatformUpgrades(self)

    # == backend-facing operations (counted, subject to faults) ==================================

    def get(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        with self._call("get", key):
            scale_set = self._scale_sets.get(key)
            return scale_set.observe() if scale_set is not None else None

    def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int) -> None:
        """Create the scale set, or store a new model and capacity (instances keep their model)."""
        with self._call("apply", key) as call:
            if capacity < 0:
                raise InvalidRequest("capacity must not be negative", code="InvalidParameter", status=400)
            stored = model.without_secrets()
            _check_orchestration(stored)
            image = self.catalog.resolve(model.location, model.image)
            scale_set = self._scale_sets.get(key)
            if scale_set is None:
                self._create_scale_set(key, stored, capacity, image, call.now)
                return
            if scale_set.deleting_at is not None:
                raise Conflict(f"scale set {key.name} is being deleted", code="OperationNotAllowed")
            _check_immutable(scale_set.model, stored)
            changed = (
                scale_set.model_hash != stored.model_hash()
                or scale_set.settings_hash != stored.settings_hash()
                or scale_set.capacity != capacity
            )
            scale_set.model = stored
            scale_set.model_hash = stored.model_hash()
            scale_set.settings_hash = stored.settings_hash()
            scale_set.capacity = capacity
            if changed:
                scale_set.etag += 1
            current = len(scale_set.counted())
            if capacity > current:
                failure = self.faults.take_in_flight("apply")
                self._create_instances(scale_set, capacity - current, image, call.now, failure)
            elif capacity < current:
                self._scale_in(scale_set, current - capacity, call.now)

    def upgrade_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        """Bring instances to the current model. The OS disk is rebuilt only when the model's image
        reference changed; existing data disks keep their size (only reimage-all resizes them); the
        OS profile is untouched (it reaches only new or reimaged instances)."""
        with self._call("upgrade", key, instance_ids) as call:
            scale_set = self._require(key)
            targets = self._targets(scale_set, instance_ids, call, honour_protection=True)
            self._upgrade_batch(scale_set, targets, call.now, self.faults.take_in_flight("upgrade"))

    def reimage(self, key: ScaleSetKey, instance_ids: Sequence[str], *, image_version: str | None = None) -> None:
        """New OS disk from the model's image (``image_version``, else the model's pinned version,
        else latest now) and the current OS profile; data disks and the instance's model are kept."""
        with self._call("reimage", key, instance_ids) as call:
            self._reimage(call, "reimage", key, instance_ids, image_version, wipe_data=False)

    def reimage_all(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        """Reimage plus data disks recreated empty at the model's sizes (data is lost)."""
        with self._call("reimage_all", key, instance_ids) as call:
            if (found := self._scale_sets.get(key)) is not None and found.flexible:
                raise InvalidRequest(
                    f"Operation 'VirtualMachineScaleSets.reimageAll' is not allowed on Virtual Machine Scale Set "
                    f"'{key.name}' since it uses Flexible orchestration: reimage-all does not apply to Flexible "
                    "orchestration (reimage the VMs instead)",
                    code="OperationNotAllowed",
                    status=400,
                )
            self._reimage(call, "reimage_all", key, instance_ids, None, wipe_data=True)

    def restart(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        with self._call("restart", key, instance_ids) as call:
            scale_set = self._require(key)
            targets = self._targets(scale_set, instance_ids, call, honour_protection=True)
            failure = self.faults.take_in_flight("restart")
            for instance in targets:
                self._start(scale_set, instance, "restart", call.now, self.durations.restart, _no_change, failure)

    def delete_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        """Delete exactly these instances (protection from scale-in does not apply to an explicit
        delete); the capacity shrinks by as many."""
        with self._call("delete_instances", key, instance_ids) as call:
            scale_set = self._require(key)
            targets = self._targets(scale_set, instance_ids, call, honour_protection=False, allow_busy=True)
            for instance in targets:
                if instance.provisioning_state == "Deleting":
                    continue
                if not instance.surplus:
                    scale_set.capacity = max(0, scale_set.capacity - 1)
                self._start_delete(scale_set, instance, call.now)
            scale_set.etag += 1

    def delete(self, key: ScaleSetKey) -> None:
        """Start deleting the scale set and all its instances; a missing one is a no-op."""
        with self._call("delete", key) as call:
            scale_set = self._scale_sets.get(key)
            if scale_set is None or scale_set.deleting_at is not None:
                return
            at = call.now + self._seconds(self.durations.delete)
            scale_set.deleting_at = at
            for instance in scale_set.live():
                instance.token += 1
                instance.provisioning_state = "Deleting"
                instance.power_state = "stopping"
                instance.operation = "delete"
                instance.transition_at = at
                instance.health_at = None

            def gone(_: datetime) -> None:
                if self._scale_sets.get(key) is scale_set:
                    del self._scale_sets[key]

            self._schedule(at, gone)

    def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        with self._call("image", None):
            return self.catalog.latest(location, image)

    # -- autoscale settings and metrics (Microsoft.Insights), counted like the Compute calls -----

    def get_autoscale(self, target: ScaleSetKey) -> ObservedAutoscale | None:
        """The autoscale setting whose target is this scale set, whoever made it."""
        with self._call("autoscale_get", target):
            found = self.autoscale.targeting(target)
            return found.observe() if found is not None else None

    def list_autoscale(self, subscription_id: str, resource_group: str) -> list[SimAutoscale]:
        with self._call("autoscale_get", None):
            return self.autoscale.in_group(subscription_id, resource_group)

    def find_autoscale(self, key: AutoscaleKey) -> SimAutoscale | None:
        with self._call("autoscale_get", None):
            return self.autoscale.find(key)

    def apply_autoscale(
        self,
        desired: DesiredAutoscale,
        *,
        tags: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> bool:
        """Create or replace an autoscale setting (True: created). Its target must exist, and may
        have no other setting."""
        with self._call("autoscale_apply", desired.target) as call:
            if self._scale_sets.get(desired.target) is None:
                raise NotFound(
                    f"the target resource {desired.target.resource_id} of autoscale setting "
                    f"'{desired.key.name}' was not found",
                    code="ResourceNotFound",
                )
            _, created = self.autoscale.put(desired, call.now, tags or {}, extra or {})
            return created

    def delete_autoscale(self, key: AutoscaleKey) -> bool:
        """Delete an autoscale setting (False: there was none); the capacity stays where it is."""
        with self._call("autoscale_delete", None):
            return self.autoscale.delete(key)

    def get_metrics(
        self, key: ScaleSetKey, names: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MetricSample]]:
        """Per-instance samples of the named metrics in ``[start, end)``; an unknown name is refused
        (400) as Azure's metrics API does."""
        with self._call("metrics", key):
            scale_set = self._scale_sets.get(key)
            if scale_set is None:
                raise NotFound(f"scale set {key.name} not found (resource group {key.resource_group})")
            unknown = [name for name in names if metric_name(name) is None]
            if unknown:
                raise InvalidRequest(
                    f"Failed to find metric configuration for {', '.join(unknown)}. "
                    f"Valid metrics: {', '.join(METRICS)}",
                    code="BadRequest",
                    status=400,
                )
            return scale_set.metrics.samples(names, start, end)

    # == Azure's own upgrade policy (set by clients other than the operator; not counted) ==========

    def set_upgrade_policy(self, key: ScaleSetKey, policy: PlatformPolicy) -> None:
        """Store the ``upgradePolicy`` a client wrote and act on it as Azure does (Automatic: upgrade
        every stale instance now; Rolling: start a rolling upgrade if instances are stale). The
        ARM endpoint calls this after every write to the scale set; Manual changes nothing."""
        self.platform.apply_policy(self._require(key), policy, self._advance())

    def start_os_rolling_upgrade(self, key: ScaleSetKey) -> RollingUpgrade:
        """``osRollingUpgrade``: reimage every instance not on the latest image version, in batches."""
        scale_set = self._require(key)
        if scale_set.rolling is not None and scale_set.rolling.running:
            raise Conflict(
                f"a rolling upgrade is already in progress on scale set {key.name}", code="OperationNotAllowed"
            )
        return self.platform.start_os(scale_set, self._advance())

    def cancel_rolling_upgrade(self, key: ScaleSetKey) -> None:
        scale_set = self._require(key)
        if not self.platform.cancel(scale_set, self._advance()):
            raise Conflict(
                f"there is no rolling upgrade in progress on scale set {key.name} to cancel",
                code="OperationNotAllowed",
            )

    def rolling_upgrade(self, key: ScaleSetKey) -> RollingUpgrade | None:
        """The latest rolling upgrade the platform ran (model or OS), None if it never ran one."""
        return self._admin_scale_set(key).rolling

    def os_upgrade_history(self, key: ScaleSetKey) -> list[RollingUpgrade]:
        """OS rolling upgrades, newest first."""
        return list(reversed(self._admin_scale_set(key).os_history))

    # == admin and test helpers (not counted, no faults) =========================================

    def now(self) -> datetime:
        """Advance to the clock's time and return it."""
        return self._advance()

    def scale_set_keys(self) -> list[ScaleSetKey]:
        self._advance()
        return sorted(self._scale_sets, key=str)

    def find(
        self, name: str, *, resource_group: str | None = None, subscription_id: str | None = None
    ) -> list[ScaleSetKey]:
        """Scale sets called ``name`` (case-insensitive, like Azure), optionally filtered."""
        return [
            key
            for key in self.scale_set_keys()
            if key.name.lower() == name.lower()
            and (resource_group is None or key.resource_group.lower() == resource_group.lower())
            and (subscription_id is None or key.subscription_id.lower() == subscription_id.lower())
        ]

    def snapshot(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        """Like ``get`` but invisible to call accounting and faults (for tests and the admin API)."""
        self._advance()
        scale_set = self._scale_sets.get(key)
        return scale_set.observe() if scale_set is not None else None

    def model(self, key: ScaleSetKey) -> DesiredModel | None:
        """The stored model (without the password, which the simulator never keeps)."""
        self._advance()
        scale_set = self._scale_sets.get(key)
        return scale_set.model if scale_set is not None else None

    def details(self, key: ScaleSetKey) -> list[InstanceDetail]:
        scale_set = self._admin_scale_set(key)
        return [
            InstanceDetail(
                observed=i.observe(scale_set.model_hash),
                operation=i.operation,
                transition_at=i.transition_at,
                health_at=i.health_at,
                health_override=i.health_override,
                surplus=i.surplus,
            )
            for i in sorted(scale_set.instances.values(), key=lambda i: i.number)
        ]

    def set_health_override(self, key: ScaleSetKey, instance_id: str, health: HealthState | None) -> None:
        """Force what the health probe reports for an instance (None: back to simulated health)."""
        self._admin_instance(key, instance_id).health_override = health

    def set_protection(
        self,
        key: ScaleSetKey,
        instance_id: str,
        *,
        scale_in: bool | None = None,
        scale_set_actions: bool | None = None,
    ) -> None:
        if self._admin_scale_set(key).flexible:
            raise InvalidRequest(
                f"scale set {key.name} uses Flexible orchestration: its VMs have no protection policy "
                "(Azure protects them with ARM resource locks, which the simulator does not model)",
                code="OperationNotAllowed",
                status=400,
            )
        instance = self._admin_instance(key, instance_id)
        if scale_in is not None:
            instance.protect_from_scale_in = scale_in
        if scale_set_actions is not None:
            instance.protect_from_scale_set_actions = scale_set_actions

    def set_durations(self, **seconds: float) -> None:
        self.durations.update(**seconds)

    def set_load(self, key: ScaleSetKey, percent: float, instance_id: str | None = None) -> None:
        """The load (percent CPU) of every instance (clearing their own), or of one instance."""
        load = check_load(percent)
        if instance_id is not None:
            self._admin_instance(key, instance_id).load = load
            return
        scale_set = self._admin_scale_set(key)
        scale_set.load = load
        for instance in scale_set.instances.values():
            instance.load = None

    def loads(self, key: ScaleSetKey) -> tuple[float, dict[str, float | None]]:
        """The scale set's load and each instance's own (None: follows the scale set)."""
        scale_set = self._admin_scale_set(key)
        return scale_set.load, {i.instance_id: i.load for i in scale_set.live()}

    def latest_metrics(self, key: ScaleSetKey) -> tuple[datetime, dict[str, float]] | None:
        """The last minute's samples: when, and each reporting instance's load."""
        return self._admin_scale_set(key).metrics.latest()

    def throttle_for(self, seconds: float, retry_after: float | None = None) -> None:
        """Refuse every backend call with 429 for ``seconds`` of simulated time."""
        self.faults.throttle_until(self._advance() + self._seconds(seconds), retry_after)

    # == internals: time ==========================================================================

    def _advance(self) -> datetime:
        """Process every transition due by now, in time order (the clock never runs backwards)."""
        now = max(self.clock.now(), self._now)
        while self._events and self._events[0].at <= now:
            event = heapq.heappop(self._events)
            event.action(event.at)
        self._now = now
        return now

    def _schedule(self, at: datetime, action: Callable[[datetime], None]) -> None:
        self._event_seq += 1
        heapq.heappush(self._events, _Event(at, self._event_seq, action))

    @staticmethod
    def _seconds(value: float) -> timedelta:
        return timedelta(seconds=value)

    @contextmanager
    def _call(
        self, kind: OperationKind, key: ScaleSetKey | None, instance_ids: Sequence[str] = ()
    ) -> Iterator[_CallContext]:
        context = _CallContext(now=self._advance())
        error: str | None = None
        try:
            self.faults.check(kind, context.now)
            yield context
        except BackendError as exc:
            error = exc.code
            raise
        finally:
            self.calls.record(
                Call(
                    seq=self.calls.next_seq(),
                    at=context.now,
                    kind=kind,
                    key=key,
                    instance_ids=tuple(instance_ids),
                    error=error,
                    skipped=tuple(context.skipped),
                )
            )

    # == internals: lookups =======================================================================

    def _require(self, key: ScaleSetKey) -> SimScaleSet:
        scale_set = self._scale_sets.get(key)
        if scale_set is None:
            raise NotFound(f"scale set {key.name} not found (resource group {key.resource_group})")
        if scale_set.deleting_at is not None:
            raise Conflict(f"scale set {key.name} is being deleted", code="OperationNotAllowed")
        return scale_set

    def _targets(
        self,
        scale_set: SimScaleSet,
        instance_ids: Sequence[str],
        call: _CallContext,
        *,
        honour_protection: bool,
        allow_busy: bool = False,
    ) -> list[SimInstance]:
        ids = list(dict.fromkeys(instance_ids))
        missing = [i for i in ids if i not in scale_set.instances]
        if missing:
            raise NotFound(
                f"instance ID(s) {', '.join(missing)} not found in scale set {scale_set.key.name}",
                code="NotFound",
            )
        targets = [scale_set.instances[i] for i in ids]
        busy = [i for i in targets if i.busy]
        if busy and not allow_busy:
            listed = ", ".join(f"{i.instance_id} ({i.provisioning_state})" for i in busy)
            raise Conflict(
                f"another operation is in progress on instance(s) {listed} of scale set {scale_set.key.name}",
                code="OperationNotAllowed",
            )
        if honour_protection:
            call.skipped.extend(i.instance_id for i in targets if i.protect_from_scale_set_actions)
            targets = [i for i in targets if not i.protect_from_scale_set_actions]
        return targets

    def remove(self, key: ScaleSetKey) -> None:
        """Admin: make a scale set vanish at once, as if someone deleted it outside the operator."""
        self._admin_scale_set(key)
        del self._scale_sets[key]

    def _admin_scale_set(self, key: ScaleSetKey) -> SimScaleSet:
        self._advance()
        scale_set = self._scale_sets.get(key)
        if scale_set is None:
            raise NotFound(f"scale set {key.name} not found (resource group {key.resource_group})")
        return scale_set

    def _admin_instance(self, key: ScaleSetKey, instance_id: str) -> SimInstance:
        scale_set = self._admin_scale_set(key)
        instance = scale_set.instances.get(instance_id)
        if instance is None:
            raise NotFound(f"instance ID {instance_id} not found in scale set {key.name}", code="NotFound")
        return instance

    def _is_current(self, scale_set: SimScaleSet, instance: SimInstance, token: int) -> bool:
        return (
            self._scale_sets.get(scale_set.key) is scale_set
            and scale_set.instances.get(instance.instance_id) is instance
            and instance.token == token
        )

    # == internals: lifecycle =====================================================================

    def _create_scale_set(
        self, key: ScaleSetKey, model: DesiredModel, capacity: int, image: ObservedImage, now: datetime
    ) -> None:
        scale_set = SimScaleSet(
            key=key,
            model=model,
            model_hash=model.model_hash(),
            settings_hash=model.settings_hash(),
            capacity=capacity,
            created_at=now,
        )
        self._scale_sets[key] = scale_set
        self._schedule(next_sample_time(now), lambda at: self._minute(scale_set, at))
        if capacity == 0:
            scale_set.created = True
            return
        self._create_instances(scale_set, capacity, image, now, self.faults.take_in_flight("apply"))

        def created(_: datetime) -> None:
            scale_set.created = True

        self._schedule(now + self._seconds(self.durations.create), created)

    def _create_instances(
        self,
        scale_set: SimScaleSet,
        count: int,
        image: ObservedImage,
        now: datetime,
        failure: InFlightFailure | None,
    ) -> list[SimInstance]:
        """Create ``count`` instances with the current model (plus overprovisioned extras, which
        Flexible orchestration does not have)."""
        model = scale_set.model
        extra = max(1, round(count * OVERPROVISION_RATIO)) if model.overprovision and not scale_set.flexible else 0
        existing = [Slot(i.zone, i.fault_domain, i.update_domain) for i in scale_set.live()]
        # Flexible scale sets have no update domains (Azure maintains them fault domain by fault domain).
        domains = 1 if scale_set.flexible else UPDATE_DOMAIN_COUNT
        slots = place(existing, model.zones, model.platform_fault_domain_count, count + extra, domains)
        batch: list[SimInstance] = []
        for position, slot in enumerate(slots):
            instance = self._new_instance(scale_set, slot, image, now, surplus=position >= count)
            scale_set.instances[instance.instance_id] = instance
            batch.append(instance)
            self._start(scale_set, instance, "create", now, self.durations.create, _no_change, failure)
        if extra:
            self._schedule(
                now + self._seconds(self.durations.create),
                lambda at: self._drop_surplus(scale_set, batch, at),
            )
        return [i for i in batch if not i.surplus]

    def _new_instance(
        self, scale_set: SimScaleSet, slot: Slot, image: ObservedImage, now: datetime, *, surplus: bool
    ) -> SimInstance:
        """An instance with the next (never reused) number; Flexible ones are VMs named after the scale set."""
        model = scale_set.model
        number = scale_set.next_number
        scale_set.next_number += 1
        prefix = model.profile.osProfile.computerNamePrefix
        vm_name = self._flexible_vm_name(scale_set, number) if scale_set.flexible else None
        return SimInstance(
            number=number,
            name=flexible_computer_name(prefix, vm_name) if vm_name else computer_name(prefix, number),
            zone=slot.zone,
            fault_domain=slot.fault_domain,
            update_domain=slot.update_domain,
            created_at=now,
            applied_model_hash=scale_set.model_hash,
            built_from=model.image,
            image=image,
            data_disks=model.data_disk_sizes(),
            os_profile_fingerprint=model.os_profile_fingerprint(),
            surplus=surplus,
            vm_name=vm_name,
        )

    @staticmethod
    def _flexible_vm_name(scale_set: SimScaleSet, number: int) -> str:
        key = scale_set.key
        taken = {name.lower() for name in scale_set.instances}
        salt = 0
        while (name := flexible_vm_name(key.name, key.resource_id, number, salt)).lower() in taken:
            salt += 1
        return name

    def _drop_surplus(self, scale_set: SimScaleSet, batch: list[SimInstance], at: datetime) -> None:
        """Overprovisioning: keep the requested number (swapping a failed one for a good extra) and
        delete the extras, so the surviving IDs have gaps, as on Azure."""
        if self._scale_sets.get(scale_set.key) is not scale_set:
            return
        members = [i for i in batch if scale_set.instances.get(i.instance_id) is i and i.operation != "delete"]
        spares = [i for i in members if i.surplus and i.provisioning_state == "Succeeded"]
        for failed in (i for i in members if not i.surplus and i.provisioning_state == "Failed"):
            if not spares:
                break
            spare = spares.pop(0)
            spare.surplus, failed.surplus = False, True
        for instance in members:
            if instance.surplus:
                self._start_delete(scale_set, instance, at)

    def _minute(self, scale_set: SimScaleSet, at: datetime) -> None:
        """Once a simulated minute while the scale set exists: metric samples, then an autoscale run."""
        if self._scale_sets.get(scale_set.key) is not scale_set:
            return
        self._schedule(at + SAMPLE_INTERVAL, lambda later: self._minute(scale_set, later))
        if catching_up(at, self.clock.now()):
            return
        scale_set.metrics.record(at, scale_set.reporting_loads())
        if self.autoscale.targeting(scale_set.key) is not None:
            self._schedule(at + RUN_OFFSET, lambda run_at: self._autoscale_run(scale_set, run_at))

    def _autoscale_run(self, scale_set: SimScaleSet, at: datetime) -> None:
        """What Azure's autoscale does each run: evaluate the setting and change the capacity."""
        setting = self.autoscale.targeting(scale_set.key)
        if setting is None or self._scale_sets.get(scale_set.key) is not scale_set or scale_set.deleting_at:
            return
        names, window = metric_window(setting.settings)
        samples = scale_set.metrics.samples(names, at - window, at)
        busy = any(i.provisioning_state in ("Creating", "Deleting") for i in scale_set.instances.values())
        evaluation = self.autoscale.run(setting, scale_set.capacity, samples, at, busy)
        if evaluation.new_capacity is not None and evaluation.new_capacity != scale_set.capacity:
            self._resize(scale_set, evaluation.new_capacity, at)

    def _resize(self, scale_set: SimScaleSet, capacity: int, now: datetime) -> None:
        """A capacity change made inside the cloud (autoscale): instances come and go by the model."""
        scale_set.capacity = capacity
        scale_set.etag += 1
        current = len(scale_set.counted())
        if capacity > current:
            try:
                image = self.catalog.resolve(scale_set.model.location, scale_set.model.image)
            except BackendError:
                return  # the model's image is gone: the new capacity stands, no instance can be created
            self._create_instances(scale_set, capacity - current, image, now, None)
        elif capacity < current:
            self._scale_in(scale_set, current - capacity, now)

    def _scale_in(self, scale_set: SimScaleSet, count: int, now: datetime) -> None:
        rules = scale_set.model.scale_in_policy.rules
        candidates = [
            ScaleInCandidate(i.instance_id, i.zone, i.fault_domain, i.created_at, i.protect_from_scale_in, i.number)
            for i in scale_set.counted()
        ]
        for instance_id in select_for_scale_in(candidates, rules[0] if rules else "Default", count):
            self._start_delete(scale_set, scale_set.instances[instance_id], now)

    def _reimage(
        self,
        call: _CallContext,
        kind: OperationKind,
        key: ScaleSetKey,
        instance_ids: Sequence[str],
        image_version: str | None,
        *,
        wipe_data: bool,
    ) -> None:
        scale_set = self._require(key)
        targets = self._targets(scale_set, instance_ids, call, honour_protection=True)
        failure = self.faults.take_in_flight(kind)
        self._reimage_batch(scale_set, targets, call.now, image_version, failure, wipe_data=wipe_data)

    def _reimage_batch(
        self,
        scale_set: SimScaleSet,
        targets: Sequence[SimInstance],
        now: datetime,
        image_version: str | None,
        failure: InFlightFailure | None,
        *,
        wipe_data: bool = False,
    ) -> None:
        model = scale_set.model
        image = self.catalog.resolve(model.location, model.image, image_version)
        disks = model.data_disk_sizes() if wipe_data else None
        complete = _reimage(model.image, image, model.os_profile_fingerprint(), disks)
        kind = "reimage_all" if wipe_data else "reimage"
        for instance in targets:
            self._start(scale_set, instance, kind, now, self.durations.reimage, complete, failure)

    def _upgrade_batch(
        self, scale_set: SimScaleSet, targets: Sequence[SimInstance], now: datetime, failure: InFlightFailure | None
    ) -> None:
        model, model_hash = scale_set.model, scale_set.model_hash
        rebuilt: ObservedImage | None = None
        if any(i.built_from != model.image for i in targets):
            rebuilt = self.catalog.resolve(model.location, model.image)
        for instance in targets:
            new_image = rebuilt if instance.built_from != model.image else None
            disks = {lun: instance.data_disks.get(lun, size) for lun, size in model.data_disk_sizes().items()}
            complete = _upgrade(model.image, model_hash, new_image, disks)
            self._start(scale_set, instance, "upgrade", now, self.durations.upgrade, complete, failure)

    def _start(
        self,
        scale_set: SimScaleSet,
        instance: SimInstance,
        operation: str,
        now: datetime,
        duration: float,
        complete: Completion,
        failure: InFlightFailure | None,
    ) -> None:
        """Put an instance into Creating/Updating; at the end it becomes Succeeded (then health
        initializes) or, if an in-flight failure was injected for it, Failed."""
        fails = failure is not None and failure.affects(instance.instance_id)
        instance.token += 1
        token = instance.token
        instance.provisioning_state = "Creating" if operation == "create" else "Updating"
        instance.power_state = "running" if operation == "upgrade" else "starting"
        instance.health_state = "Initializing"
        instance.health_at = None
        instance.operation = operation
        instance.error = None
        at = now + self._seconds(duration)
        instance.transition_at = at

        def done(when: datetime) -> None:
            if not self._is_current(scale_set, instance, token):
                return
            instance.operation = None
            instance.transition_at = None
            instance.power_state = "running"
            if fails:
                assert failure is not None
                instance.provisioning_state = "Failed"
                instance.health_state = "Unhealthy"
                instance.error = InstanceError(failure.code, failure.message, operation)
                return
            complete(instance, when)
            instance.provisioning_state = "Succeeded"
            self._start_health(scale_set, instance, when)

        self._schedule(at, done)

    def _start_health(self, scale_set: SimScaleSet, instance: SimInstance, now: datetime) -> None:
        token = instance.token
        at = now + self._seconds(self.durations.health_delay)
        instance.health_state = "Initializing"
        instance.health_at = at

        def settled(_: datetime) -> None:
            if not self._is_current(scale_set, instance, token):
                return
            instance.health_at = None
            instance.health_state = "Unhealthy" if self.faults.is_bad(instance.image.version) else "Healthy"

        self._schedule(at, settled)

    def _start_delete(self, scale_set: SimScaleSet, instance: SimInstance, now: datetime) -> None:
        instance.token += 1
        token = instance.token
        instance.provisioning_state = "Deleting"
        instance.power_state = "stopping"
        instance.operation = "delete"
        instance.health_at = None
        at = now + self._seconds(self.durations.delete)
        instance.transition_at = at

        def gone(_: datetime) -> None:
            if self._is_current(scale_set, instance, token):
                del scale_set.instances[instance.instance_id]

        self._schedule(at, gone)


def _upgrade(
    image_reference: ImageReference, model_hash: str, new_image: ObservedImage | None, disks: dict[int, int]
) -> Completion:
    def complete(instance: SimInstance, at: datetime) -> None:
        instance.applied_model_hash = model_hash
        instance.last_model_update = at
        instance.data_disks = dict(disks)
        if new_image is not None:
            instance.image = new_image
            instance.built_from = image_reference

    return complete


def _reimage(
    image_reference: ImageReference,
    image: ObservedImage,
    os_profile_fingerprint: str,
    data_disks: dict[int, int] | None,
) -> Completion:
    def complete(instance: SimInstance, _: datetime) -> None:
        instance.image = image
        instance.built_from = image_reference
        instance.os_profile_fingerprint = os_profile_fingerprint
        if data_disks is not None:
            instance.data_disks = dict(data_disks)

    return complete


def _check_immutable(current: DesiredModel, new: DesiredModel) -> None:
    """Properties Azure refuses to change on an existing scale set."""
    changes: list[str] = []
    if new.location != current.location:
        changes.append(f"location ({current.location} -> {new.location})")
    if new.orchestration_mode != current.orchestration_mode:
        changes.append(f"orchestrationMode ({current.orchestration_mode} -> {new.orchestration_mode})")
    if new.platform_fault_domain_count != current.platform_fault_domain_count:
        changes.append("platformFaultDomainCount")
    old_prefix = current.profile.osProfile.computerNamePrefix
    if new.profile.osProfile.computerNamePrefix != old_prefix:
        changes.append("osProfile.computerNamePrefix")
    if not current.image.is_gallery and not new.image.is_gallery:
        if (new.image.publisher or "").lower() != (current.image.publisher or "").lower():
            changes.append("imageReference.publisher")
        if (new.image.offer or "").lower() != (current.image.offer or "").lower():
            changes.append("imageReference.offer")
    if changes:
        raise InvalidRequest(
            f"cannot change {', '.join(changes)} on an existing scale set",
            code="PropertyChangeNotAllowed",
            status=400,
        )


def _check_orchestration(model: DesiredModel) -> None:
    """Flexible orchestration spreads over at most 3 fault domains, and only 1 across zones."""
    fault_domains = model.platform_fault_domain_count
    if model.flexible and (fault_domains > 3 or (model.zones and fault_domains != 1)):
        raise InvalidRequest(
            f"platformFaultDomainCount {fault_domains} is not supported with Flexible orchestration: use 1 "
            "(max spreading)" + (" across zones" if model.zones else ", 2 or 3"),
            code="InvalidParameter",
            status=400,
        )
