"""``AzureBackend``: the ``Backend`` protocol on azure-mgmt-compute's async client.

Every protocol call is one Azure call (an observation is two: the scale set and the VM list), so
"one call per batch" holds on the wire. Each call first takes a token from the client-side budget
(``budget.py``), is counted in ``stats`` by outcome, and has its SDK exception translated to the
``cloud.errors`` vocabulary (``errors.py``). Long-running operations return once Azure accepted
them; their pollers finish in the background (``lro.py``).

=================  =====================================================  ==============
protocol           Azure call                                             budget
=================  =====================================================  ==============
get                virtualMachineScaleSets.get + VMs.list(instanceView)   low + high GET
apply              virtualMachineScaleSets.createOrUpdate (PUT, Manual)   put
upgrade_instances  virtualMachineScaleSets.updateInstances (manualupgrade) update
reimage            virtualMachineScaleSets.reimage (instanceIds, exactVersion) update
reimage_all        virtualMachineScaleSets.reimageAll                     update
restart            virtualMachineScaleSets.restart                        update
delete_instances   virtualMachineScaleSets.deleteInstances                update
delete             virtualMachineScaleSets.delete (404: already gone)     delete (subscription)
latest_image_...   virtualMachineImages.list / galleryImageVersions.list  (cached by the reconciler)
=================  =====================================================  ==============

Pinned reimage: ``reimage(image_version=...)`` (OS upgrade targets and rollbacks) sends Azure's
``exactVersion`` reimage parameter. Azure documents it as "the version the OS disk should be
reimaged to"; which image kinds honour it on real Azure is not verified here (docs/azure.md). With
no version the request carries none, and Azure decides (its documentation says the OS disk keeps its
existing version; the simulator resolves the model's version, like the fake backend).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import models as sdk
from azure.mgmt.compute.aio import ComputeManagementClient

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.backends.azure import images, mapping
from scaleset_operator.backends.azure.budget import BudgetKind, CallBudget
from scaleset_operator.backends.azure.client import AzureConfig, ComputeClients
from scaleset_operator.backends.azure.credentials import build_credential
from scaleset_operator.backends.azure.errors import outcome, translate
from scaleset_operator.backends.azure.lro import OperationWatch
from scaleset_operator.backends.azure.observation import observe_scale_set
from scaleset_operator.backends.azure.stats import CallStats
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.errors import BackendError, InvalidRequest, Throttled
from scaleset_operator.cloud.observed import ObservedScaleSet

log = logging.getLogger(__name__)

EXPAND_INSTANCE_VIEW = "instanceView"


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
        self._tags: dict[ScaleSetKey, dict[str, str]] = {}

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
        async with self._call("get", key, "low_cost_get", "high_cost_get"):
            client = self._client(key)
            try:
                vmss = await client.virtual_machine_scale_sets.get(key.resource_group, key.name)
            except ResourceNotFoundError:
                self._tags.pop(key, None)
                return None
            self._tags[key] = dict(vmss.tags or {})
            pages = client.virtual_machine_scale_set_vms.list(
                key.resource_group, key.name, expand=EXPAND_INSTANCE_VIEW
            ).by_page()
            vms: list[sdk.VirtualMachineScaleSetVM] = []
            fetched = False
            try:
                while True:
                    if fetched and getattr(pages, "continuation_token", None) is not None:
                        self._take(key, ("high_cost_get",), "get")  # every further page is a request
                    try:
                        page = await pages.__anext__()
                    except StopAsyncIteration:
                        break
                    fetched = True
                    vms.extend([vm async for vm in page])
            except ResourceNotFoundError:
                return None  # deleted between the two calls
            return observe_scale_set(vmss, vms)

    async def latest_image_version(self, location: str, image: ImageReference) -> str | None:
        async with self._call("latest_image_version", None):
            if image.id is not None:
                subscription = images.gallery_coordinates(image.id)[0]
                return await images.latest_gallery_version(self.clients.for_subscription(subscription), location, image)
            return await images.latest_platform_version(self._any_client(), location, image)

    # -- writes ---------------------------------------------------------------------------------

    async def apply(self, key: ScaleSetKey, model: DesiredModel, capacity: int) -> None:
        body = mapping.scale_set(model, capacity, self._tags.get(key))
        async with self._call("apply", key, "put"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_create_or_update(
                key.resource_group, key.name, body
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
        async with self._call("reimage_all", key, "update"):
            poller = await self._client(key).virtual_machine_scale_sets.begin_reimage_all(
                key.resource_group,
                key.name,
                sdk.VirtualMachineScaleSetVMInstanceIDs(instance_ids=list(instance_ids)),
            )
            self.operations.watch("reimage_all", key, poller, instance_ids)

    async def restart(self, key: ScaleSetKey, instance_ids: Sequence[str]) -> None:
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

    async def delete(self, key: ScaleSetKey) -> None:
        async with self._call("delete", key, "delete"):
            try:
                poller = await self._client(key).virtual_machine_scale_sets.begin_delete(key.resource_group, key.name)
            except ResourceNotFoundError:
                return
            self.operations.watch("delete", key, poller)

    async def close(self) -> None:
        await self.operations.close()
        await self.clients.close()

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
