"""``AzureBackend``: the ``Backend`` protocol on azure-mgmt-compute's async client.

Every protocol call is one Azure call where Azure has a batch call (an observation is two: the
scale set and the VM list; three for Flexible orchestration), so "one call per batch" holds on the
wire for Uniform scale sets. Each call first takes a token from the client-side budget
(``budget.py``), is counted in ``stats`` by outcome, and has its SDK exception translated to the
``cloud.errors`` vocabulary (``errors.py``). Long-running operations return once Azure accepted
them; their pollers finish in the background (``lro.py``).

=================  =====================================================  ==============
protocol           Azure call (Uniform)                                   budget
=================  =====================================================  ==============
get                virtualMachineScaleSets.get + VMs.list(instanceView)   low + high GET
apply              virtualMachineScaleSets.createOrUpdate (PUT, Manual;   put
                   If-Match with etag)
upgrade_instances  virtualMachineScaleSets.updateInstances (manualupgrade) update
reimage            virtualMachineScaleSets.reimage (instanceIds, exactVersion) update
reimage_all        virtualMachineScaleSets.reimageAll                     update
restart            virtualMachineScaleSets.restart                        update
delete_instances   virtualMachineScaleSets.deleteInstances                update
start              virtualMachineScaleSets.start                          update
deallocate         virtualMachineScaleSets.deallocate                     update
power_off          virtualMachineScaleSets.powerOff (skipShutdown)        update
redeploy           virtualMachineScaleSets.redeploy                       update
perform_mainten... virtualMachineScaleSets.performMaintenance             update
simulate_eviction  virtualMachineScaleSetVMs.simulateEviction, per VM     vm_update each
set_protection     virtualMachineScaleSetVMs.get + update (PUT), per VM   2 vm_update each
delete             virtualMachineScaleSets.delete (404: already gone)     delete (subscription)
latest_image_...   virtualMachineImages.list / galleryImageVersions.list  (cached by the reconciler)
get_autoscale      autoscaleSettings.listByResourceGroup (Insights)       -
apply_autoscale    autoscaleSettings.createOrUpdate (Insights)            -
delete_autoscale   autoscaleSettings.delete (Insights; 404: already gone) -
get_metrics        metrics.list (Insights, VMName eq '*')                 -
=================  =====================================================  ==============

The Insights calls (``autoscale.py``) are not Compute calls and take nothing from the Compute
budget; ARM's own limits apply to them.

Flexible orchestration (instance IDs are VM names): ``get`` is the scale set GET, the VM list
filtered to the scale set (``$filter='virtualMachineScaleSet/id' eq '...'``, instance views
expanded) and the scale set's VM list filtered to ``latestModelApplied eq false`` (low + 2 high
GET); manual upgrade and delete keep their batch calls with VM names; ``reimage`` and ``restart``
are one ``virtualMachines.reimage``/``restart`` per VM (Azure has no batch call for them), sent
together only when the per-subscription ``vm_update`` budget holds one token per VM, at most
``VM_CONCURRENCY`` in flight, not polled; ``reimage_all`` is refused without a call (it does not
apply to Flexible). docs/azure.md ("Flexible orchestration") says why.

Pinned reimage: ``reimage(image_version=...)`` (OS upgrade targets and rollbacks) sends Azure's
``exactVersion`` reimage parameter. Azure documents it as "the version the OS disk should be
reimaged to"; which image kinds honour it on real Azure is not verified here (docs/azure.md). With
no version the request carries none, and Azure decides (its documentation says the OS disk keeps its
existing version; the simulator resolves the model's version, like the fake backend).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.async_paging import AsyncItemPaged
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import models as sdk
from azure.mgmt.compute.aio import ComputeManagementClient
from azure.mgmt.compute.aio.operations import VirtualMachineScaleSetsOperations, VirtualMachinesOperations
from azure.mgmt.monitor import models as monitor

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.autoscale import MetricSample
from scaleset_operator.backends.azure import autoscale, facts, images, mapping
from scaleset_operator.backends.azure.budget import BudgetKind, CallBudget
from scaleset_operator.backends.azure.client import AzureConfig, ComputeClients
from scaleset_operator.backends.azure.credentials import build_credential
from scaleset_operator.backends.azure.errors import outcome, translate
from scaleset_operator.backends.azure.lro import OperationWatch
from scaleset_operator.backends.azure.observation import is_flexible, model_of, observe_flexible, observe_scale_set
from scaleset_operator.backends.azure.stats import CallStats
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale, ObservedAutoscale
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.errors import BackendError, InvalidRequest, Throttled
from scaleset_operator.cloud.observed import ObservedScaleSet
from scaleset_operator.cloud.protection import ProtectionPolicy
from scaleset_operator.cloud.refusals import CloudFacts

log = logging.getLogger(__name__)

EXPAND_INSTANCE_VIEW = "instanceView"
EXPAND_USER_DATA = "userData"
"""The scale set GET asks for its user data (Azure returns it only then): a push must carry it, or it is lost."""
VM_CONCURRENCY = 8
"""Calls on single VMs in flight at once (Flexible reimage and restart)."""
T = TypeVar("T")


class AzureBackend:
    name = "azure"

    def __init__(
        self,
        clients: ComputeClients,
        *,
        budget: CallBudget | None = None,
        stats: CallStats | None = None,
    ) -> None:
        self.clients = clients
        self.budget = budget if budget is not None else CallBudget()
        self.stats = stats if stats is not None else CallStats()
        self.operations = OperationWatch(self.stats)
        self._autoscale: dict[ScaleSetKey, monitor.AutoscaleSettingResource | None] = {}
        self._modes: dict[ScaleSetKey, str] = {}
        """Orchestration mode per scale set, as last observed (or written)."""

    @classmethod
    def from_config(
        cls,
        config: AzureConfig,
        *,
        credential: AsyncTokenCredential | None = None,
        budget: CallBudget | None = None,
        stats: CallStats | None = None,
    ) -> AzureBackend:
        """Build clients for ``config``; ``credential`` overrides ``config.credential`` (tests)."""
        credential = credential if credential is not None else build_credential(config.credential)
        return cls(ComputeClients(config, credential), budget=budget, stats=stats)

    # -- reads ----------------------------------------------------------------------------------

    async def get(self, key: ScaleSetKey) -> ObservedScaleSet | None:
        """Uniform: the scale set and its VM list. Flexible (known from an earlier observation or
        the model): the scale set, its virtual machines (one filtered list) and the names of those
        not on the latest model (one more filtered list): three calls, budgeted together."""
        flexible = self._modes.get(key) == "Flexible"
        kinds: tuple[BudgetKind, ...] = ("low_cost_get", "high_cost_get") + (("high_cost_get",) if flexible else ())
        async with self._call("get", key, *kinds):
            client = self._client(key)
            try:
                vmss = await client.virtual_machine_scale_sets.get(
                    key.resource_group, key.name, expand=EXPAND_USER_DATA
                )
            except ResourceNotFoundError:
                return None
            self._modes[key] = "Flexible" if is_flexible(vmss) else "Uniform"
            try:
                if is_flexible(vmss):
                    if not flexible:  # learnt just now: the third call still needs its token
                        self._take(key, ("high_cost_get",), "get")
                    return self._with_operation_errors(key, await self._observe_flexible(key, vmss))
                pager = client.virtual_machine_scale_set_vms.list(
                    key.resource_group, key.name, expand=EXPAND_INSTANCE_VIEW
                )
                return self._with_operation_errors(key, observe_scale_set(vmss, await self._all_pages(key, pager)))
            except ResourceNotFoundError:
                return None  # deleted between the calls

    def _with_operation_errors(self, key: ScaleSetKey, observed: ObservedScaleSet) -> ObservedScaleSet:
        """A Failed instance whose instance view does not say why gets its failed operation's error."""
        failures = self.operations.failures
        instances = []
        for instance in observed.instances:
            known = failures.get((key, instance.instance_id))
            if instance.provisioning_state != "Failed":
                failures.pop((key, instance.instance_id), None)
            elif instance.last_error is None and known is not None:
                instance = replace(instance, last_error=known)
            instances.append(instance)
        return replace(observed, instances=tuple(instances))

    async def _observe_flexible(self, key: ScaleSetKey, vmss: sdk.VirtualMachineScaleSet) -> ObservedScaleSet:
        client = self._client(key)
        vms = client.virtual_machines.list(
            key.resource_group,
            filter=f"'virtualMachineScaleSet/id' eq '{key.resource_id}'",
            expand=EXPAND_INSTANCE_VIEW,
        )
        scale_set_vms = client.virtual_machine_scale_set_vms.list(key.resource_group, key.name)
        machines = await self._all_pages(key, vms)
        return observe_flexible(vmss, machines, await self._all_pages(key, scale_set_vms))

    async def _all_pages(self, key: ScaleSetKey, pager: AsyncItemPaged[T]) -> list[T]:
        """Every item of a paged list; each page after the first is one more high-cost GET."""
        pages = pager.by_page()
        items: list[T] = []
        fetched = False
        while True:
            if fetched and getattr(pages, "continuation_token", None) is not None:
                self._take(key, ("high_cost_get",), "get")
            try:
                page = await pages.__anext__()
            except StopAsyncIteration:
                return items
            fetched = True
            items.extend([item async for item in page])

    async def scale_set_model(self, key: ScaleSetKey) -> tuple[dict[str, Any] | None, int] | None:
        """The model the scale set holds, shaped like the spec, and its capacity: one scale set GET
        with its user data (``scaleset-operator import``); None if it does not exist."""
        async with self._call("get", key, "low_cost_get"):
            try:
                vmss = await self._client(key).virtual_machine_scale_sets.get(
                    key.resource_group, key.name, expand=EXPAND_USER_DATA
                )
            except ResourceNotFoundError:
                return None
            return model_of(vmss), int(vmss.sku.capacity or 0) if vmss.sku is not None else 0

    async def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        async with self._call("latest_image_version", None):
            if image.id is not None:
                subscription = images.gallery_coordinates(image.id)[0]
                return await images.latest_gallery_version(self.clients.for_subscription(subscription), location, image)
            return await images.latest_platform_version(self._any_client(), location, image)

    async def cloud_facts(
        self, key: ScaleSetKey, location: str, image: ImageReference, version: str | None
    ) -> CloudFacts:
        async with self._call("cloud_facts", None):
            image_client = (
                self.clients.for_subscription(images.gallery_coordinates(image.id)[0])
                if image.id is not None
                else self._client(key)
            )
            return await facts.cloud_facts(self._client(key), image_client, location, image, version)

    # -- writes ---------------------------------------------------------------------------------

    async def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int, *, etag: str | None = None) -> None:
        body = mapping.scale_set(model, capacity)
        self._modes.setdefault(key, model.orchestration_mode)
        condition = MatchConditions.IfNotModified if etag is not None else None
        async with self._call("apply", key, "put"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_create_or_update(
                key.resource_group, key.name, body, etag=etag, match_condition=condition
            )
            self.operations.watch("apply", key, poller)

    async def upgrade_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        async with self._call("upgrade_instances", key, "update"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_update_instances(
                key.resource_group,
                key.name,
                sdk.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=list(instance_ids)),
            )
            self.operations.watch("upgrade_instances", key, poller, instance_ids)

    async def reimage(self, key: ScaleSetKey, instance_ids: Sequence[str], *, image_version: str | None = None) -> None:
        if await self._flexible(key):
            parameters = sdk.VirtualMachineReimageParameters(exact_version=image_version)
            await self._each_vm(
                "reimage",
                key,
                instance_ids,
                lambda c, vm: c.begin_reimage(key.resource_group, vm, parameters, polling=False),
            )
            return
        async with self._call("reimage", key, "update"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_reimage(
                key.resource_group,
                key.name,
                sdk.VirtualMachineScaleSetReimageParameters(
                    instance_ids=list(instance_ids), exact_version=image_version
                ),
            )
            self.operations.watch("reimage", key, poller, instance_ids)

    async def reimage_all(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        if await self._flexible(key):
            error = InvalidRequest(
                f"reimage-all does not apply to Flexible orchestration (scale set {key.name}): Azure has no "
                "reimage-all for virtual machines; reimage them (OS disk) or delete and recreate them instead",
                code="OperationNotAllowed",
                status=400,
            )
            self.stats.record("reimage_all", outcome(error))
            raise error
        async with self._call("reimage_all", key, "update"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_reimage_all(
                key.resource_group,
                key.name,
                sdk.VirtualMachineScaleSetVMInstanceIDs(instance_ids=list(instance_ids)),
            )
            self.operations.watch("reimage_all", key, poller, instance_ids)

    async def restart(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        if await self._flexible(key):
            await self._each_vm(
                "restart", key, instance_ids, lambda c, vm: c.begin_restart(key.resource_group, vm, polling=False)
            )
            return
        async with self._call("restart", key, "update"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_restart(
                key.resource_group,
                key.name,
                sdk.VirtualMachineScaleSetVMInstanceIDs(instance_ids=list(instance_ids)),
            )
            self.operations.watch("restart", key, poller, instance_ids)

    async def delete_instances(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        async with self._call("delete_instances", key, "update"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_delete_instances(
                key.resource_group,
                key.name,
                sdk.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=list(instance_ids)),
            )
            self.operations.watch("delete_instances", key, poller, instance_ids)

    # -- power, maintenance, eviction, protection ------------------------------------------------

    async def start(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._scale_set_action(
            "start",
            key,
            instance_ids,
            lambda ops, ids: ops.begin_start(key.resource_group, key.name, ids),
            lambda vms, vm: vms.begin_start(key.resource_group, vm, polling=False),
        )

    async def deallocate(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._scale_set_action(
            "deallocate",
            key,
            instance_ids,
            lambda ops, ids: ops.begin_deallocate(key.resource_group, key.name, ids),
            lambda vms, vm: vms.begin_deallocate(key.resource_group, vm, polling=False),
        )

    async def power_off(self, key: ScaleSetKey, instance_ids: Sequence[str], *, skip_shutdown: bool = False) -> None:
        skip = skip_shutdown or None  # Azure's default is a graceful shutdown: send the flag only when set
        await self._scale_set_action(
            "power_off",
            key,
            instance_ids,
            lambda ops, ids: ops.begin_power_off(key.resource_group, key.name, ids, skip_shutdown=skip),
            lambda vms, vm: vms.begin_power_off(key.resource_group, vm, skip_shutdown=skip, polling=False),
        )

    async def redeploy(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._scale_set_action(
            "redeploy",
            key,
            instance_ids,
            lambda ops, ids: ops.begin_redeploy(key.resource_group, key.name, ids),
            lambda vms, vm: vms.begin_redeploy(key.resource_group, vm, polling=False),
        )

    async def perform_maintenance(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        await self._scale_set_action(
            "perform_maintenance",
            key,
            instance_ids,
            lambda ops, ids: ops.begin_perform_maintenance(key.resource_group, key.name, ids),
            lambda vms, vm: vms.begin_perform_maintenance(key.resource_group, vm, polling=False),
        )

    async def simulate_eviction(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
        """Azure has no batch eviction: one call per instance (the scale set VM's for Uniform, the
        VM's own for Flexible), within the ``vm_update`` budget."""
        client = self._client(key)
        if await self._flexible(key):
            vms = client.virtual_machines
            await self._each(
                "simulate_eviction", key, instance_ids, lambda vm: vms.simulate_eviction(key.resource_group, vm)
            )
            return
        scale_set_vms = client.virtual_machine_scale_set_vms
        await self._each(
            "simulate_eviction",
            key,
            instance_ids,
            lambda i: scale_set_vms.simulate_eviction(key.resource_group, key.name, i),
        )

    async def set_protection(self, key: ScaleSetKey, policies: Sequence[ProtectionPolicy]) -> None:
        """Each instance's ``protectionPolicy``: a read-modify-write of the scale set VM (its GET, then
        its update, a PUT guarded by the VM's etag when Azure gives one), so nothing else of the VM is
        lost; two ``vm_update`` tokens per instance. Flexible VMs take the same call on the scale
        set's view of them (Compute api-version 2023-09-01 and later)."""
        vms = self._client(key).virtual_machine_scale_set_vms
        wanted = {p.instance_id: p for p in policies}

        async def protect(instance_id: str) -> None:
            policy = wanted[instance_id]
            vm = await vms.get(key.resource_group, key.name, instance_id)
            props = vm.properties or sdk.VirtualMachineScaleSetVMProperties()
            props.protection_policy = sdk.VirtualMachineScaleSetVMProtectionPolicy(
                protect_from_scale_in=policy.protect_from_scale_in,
                protect_from_scale_set_actions=policy.protect_from_scale_set_actions,
            )
            vm.properties = props
            condition = MatchConditions.IfNotModified if vm.etag else None
            await vms.begin_update(
                key.resource_group, key.name, instance_id, vm, etag=vm.etag, match_condition=condition, polling=False
            )

        await self._each("set_protection", key, list(wanted), protect, tokens=2)

    async def _scale_set_action(
        self,
        operation: str,
        key: ScaleSetKey,
        instance_ids: Sequence[str],
        batch: Callable[[VirtualMachineScaleSetsOperations, sdk.VirtualMachineScaleSetVMInstanceIDs], Awaitable[Any]],
        single: Callable[[VirtualMachinesOperations, str], Awaitable[object]],
    ) -> None:
        """One scale set call with the batch's instance IDs (Uniform), or one call per VM (Flexible)."""
        if await self._flexible(key):
            await self._each_vm(operation, key, instance_ids, single)
            return
        async with self._call(operation, key, "update"):
            ids = sdk.VirtualMachineScaleSetVMInstanceIDs(instance_ids=list(instance_ids))
            poller = await batch(self._client(key).virtual_machine_scale_sets, ids)
            self.operations.watch(operation, key, poller, instance_ids)

    async def delete(self, key: ScaleSetKey) -> None:
        async with self._call("delete", key, "delete"):
            try:
                poller = await self._client(key).virtual_machine_scale_sets.begin_delete(key.resource_group, key.name)
            except ResourceNotFoundError:
                return
            self.operations.watch("delete", key, poller)

    # -- autoscale settings and metrics (Microsoft.Insights) ------------------------------------

    async def get_autoscale(self, key: ScaleSetKey) -> ObservedAutoscale | None:
        async with self._call("get_autoscale", None):
            settings = self.clients.monitor_for_subscription(key.subscription_id).autoscale_settings
            found = None
            async for resource in settings.list_by_resource_group(key.resource_group):
                if (resource.target_resource_uri or "").lower() == key.resource_id.lower():
                    found = resource
                    break
            self._autoscale[key] = found
            return autoscale.observe_setting(found) if found is not None else None

    async def apply_autoscale(self, desired: DesiredAutoscale) -> None:
        existing = self._autoscale.get(desired.target)
        if existing is not None and (existing.name or "").lower() != desired.key.name.lower():
            existing = None  # someone else's setting: Azure refuses a second one, and says so
        body = autoscale.setting_body(desired, existing)
        async with self._call("apply_autoscale", None):
            settings = self.clients.monitor_for_subscription(desired.key.subscription_id).autoscale_settings
            stored = await settings.create_or_update(desired.key.resource_group, desired.key.name, body)
            self._autoscale[desired.target] = stored

    async def delete_autoscale(self, key: AutoscaleKey) -> None:
        async with self._call("delete_autoscale", None):
            settings = self.clients.monitor_for_subscription(key.subscription_id).autoscale_settings
            with suppress(ResourceNotFoundError):
                await settings.delete(key.resource_group, key.name)
            for target, resource in list(self._autoscale.items()):
                if resource is not None and (resource.name or "").lower() == key.name.lower():
                    self._autoscale[target] = None

    async def get_metrics(
        self, key: ScaleSetKey, names: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MetricSample]]:
        async with self._call("get_metrics", None):
            response = await self.clients.monitor_for_subscription(key.subscription_id).metrics.list(
                key.resource_id.lstrip("/"),
                timespan=autoscale.timespan(start, end),
                interval="PT1M",
                metricnames=",".join(names),
                aggregation="Average",
                filter=autoscale.PER_INSTANCE,
            )
            return autoscale.samples(response, names)

    async def close(self) -> None:
        await self.operations.close()
        await self.clients.close()

    # -- Flexible: one call per VM where Azure has no batch call ----------------------------------

    async def _flexible(self, key: ScaleSetKey) -> bool:
        """The orchestration mode, from the last observation or write (one scale set GET otherwise)."""
        if key not in self._modes:
            async with self._call("get", key, "low_cost_get"):
                vmss = await self._client(key).virtual_machine_scale_sets.get(key.resource_group, key.name)
                self._modes[key] = "Flexible" if is_flexible(vmss) else "Uniform"
        return self._modes[key] == "Flexible"

    async def _each_vm(
        self,
        operation: str,
        key: ScaleSetKey,
        names: Sequence[str],
        send: Callable[[VirtualMachinesOperations, str], Awaitable[object]],
    ) -> None:
        """One call per VM, ``VM_CONCURRENCY`` at a time, after taking one ``vm_update`` token per VM
        (all or none: a batch is sent whole or held back whole). The calls' long-running operations
        are not polled (one poller per VM would multiply the reads): the next observation shows each
        VM ``Updating`` then ``Succeeded`` or ``Failed``. If some calls fail, the first failure is
        raised, saying how many VMs accepted the work."""
        client = self._client(key).virtual_machines
        await self._each(operation, key, names, lambda name: send(client, name))

    async def _each(
        self,
        operation: str,
        key: ScaleSetKey,
        names: Sequence[str],
        send: Callable[[str], Awaitable[object]],
        *,
        tokens: int = 1,
    ) -> None:
        """``send`` once per instance, ``VM_CONCURRENCY`` at a time, after taking ``tokens`` ``vm_update``
        tokens per instance, all or none (see ``_each_vm``)."""
        kinds: list[BudgetKind] = ["vm_update"] * (len(names) * tokens)
        async with self._call(operation, key, *kinds):
            limit = asyncio.Semaphore(VM_CONCURRENCY)

            async def one(name: str) -> None:
                async with limit:
                    await send(name)

            results = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
            failed = [(n, r) for n, r in zip(names, results, strict=True) if isinstance(r, BaseException)]
            if failed:
                name, first = failed[0]
                log.warning(
                    "%s of scale set %s: %d of %d VM calls accepted; %s failed first: %s",
                    operation,
                    key.name,
                    len(names) - len(failed),
                    len(names),
                    name,
                    first,
                )
                raise first

    # -- internals ------------------------------------------------------------------------------

    def _client(self, key: ScaleSetKey) -> ComputeManagementClient:
        return self.clients.for_subscription(key.subscription_id)

    def _any_client(self) -> ComputeManagementClient:
        subscription = self.clients.config.default_subscription_id or next(iter(self.clients.subscriptions), None)
        if subscription is None:
            raise InvalidRequest(
                "listing platform image versions needs a subscription: set --azure-subscription-id "
                "(or AZURE_SUBSCRIPTION_ID), or observe a scale set first",
                code="NoSubscription",
            )
        return self.clients.for_subscription(subscription)

    def _take(self, key: ScaleSetKey, kinds: tuple[BudgetKind, ...], operation: str) -> None:
        try:
            self.budget.take(key, *kinds)
        except Throttled as exc:
            self.stats.record_throttle(operation, exc.retry_after, "client")
            raise

    @asynccontextmanager
    async def _call(self, operation: str, key: ScaleSetKey | None, *kinds: BudgetKind) -> AsyncIterator[None]:
        """Budget first, then the call; every outcome is counted, every SDK error translated."""
        try:
            if key is not None and kinds:
                self._take(key, kinds, operation)
            yield
        except BackendError as exc:
            self.stats.record(operation, outcome(exc))
            raise
        except Exception as exc:
            error = translate(exc)
            if error is None:
                self.stats.record(operation, "error")
                raise
            self.stats.record(operation, outcome(error))
            if isinstance(error, Throttled):
                self.stats.record_throttle(operation, error.retry_after, "server")
                if key is not None:
                    for kind in kinds:
                        self.budget.hold(key, kind, error.retry_after)
            raise error from exc
        else:
            self.stats.record(operation, "ok")
