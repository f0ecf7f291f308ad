"""The operator's Kubernetes I/O outside kopf: status patches, Secret reads, a fresh read of one
object, the operator's own finalizer, and the shards' Leases.

Uses the official ``kubernetes`` client in worker threads (it is synchronous), so a slow API call
never blocks the event loop that every ScaleSet shares.
"""

from __future__ import annotations

import asyncio
import base64
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from typing import Any, TypeVar, cast

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from scaleset_operator import GROUP, VERSION
from scaleset_operator.sharding import LeaseConflict, LeaseRecord

T = TypeVar("T")


class ObjectChanged(Exception):
    """A precondition (``resourceVersion``) failed: read the object again and retry."""


_EXECUTOR: ThreadPoolExecutor | None = None
DEFAULT_CONCURRENCY = 32
REQUEST_TIMEOUT = (10.0, 30.0)
"""(connect, read) seconds for every call: without one, a call the API server never answers holds
its thread forever, and with it one of the fleet's passes (or the shard lease's renewal)."""


def load_config(kubeconfig: str | None = None, concurrency: int = DEFAULT_CONCURRENCY) -> None:
    """Load the client configuration, sized for ``concurrency`` calls in flight: the client is
    synchronous, so each call holds a worker thread (and a pooled connection) for its duration, and a
    fleet's status writes must not queue behind asyncio's default pool of a handful of threads."""
    global _EXECUTOR
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    settings = client.Configuration.get_default_copy()
    settings.connection_pool_maxsize = concurrency
    client.Configuration.set_default(settings)
    _EXECUTOR = ThreadPoolExecutor(concurrency, thread_name_prefix="kube")


async def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking client call on the kube threads (asyncio's default pool without load_config)."""
    kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, functools.partial(fn, *args, **kwargs))


class KubeGateway:
    """Status writes (status subresource, merge patch), Secret reads, object reads and finalizers."""

    def __init__(self) -> None:
        self._custom = client.CustomObjectsApi()
        self._core = client.CoreV1Api()

    async def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The object as stored now (None when gone): the first pass of a ScaleSet reads its status
        here instead of keeping every watched body in memory."""
        try:
            found = await _call(self._custom.get_namespaced_custom_object, GROUP, VERSION, namespace, plural, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return cast(dict[str, Any], found)

    async def set_finalizers(
        self, plural: str, namespace: str, name: str, finalizers: list[str], resource_version: str
    ) -> None:
        """Replace ``metadata.finalizers`` if the object is still at ``resource_version``; raises
        ``ObjectChanged`` otherwise (a merge patch replaces the list whole, so it must not race another
        controller adding its own finalizer)."""
        body = {"metadata": {"finalizers": finalizers, "resourceVersion": resource_version}}
        try:
            await _call(self._custom.patch_namespaced_custom_object, GROUP, VERSION, namespace, plural, name, body)
        except ApiException as exc:
            if exc.status == 409:
                raise ObjectChanged(f"{plural} {namespace}/{name} changed meanwhile") from None
            if exc.status != 404:
                raise

    async def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        body = {"status": status}
        try:
            await _call(
                self._custom.patch_namespaced_custom_object_status, GROUP, VERSION, namespace, plural, name, body
            )
        except ApiException as exc:
            if exc.status != 404:  # deleted meanwhile: nothing to report on
                raise

    async def read_secret_value(self, namespace: str, name: str, key: str) -> str | None:
        """The decoded value, or None when the Secret or key does not exist. Never logged."""
        try:
            secret = await _call(self._core.read_namespaced_secret, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        data = secret.data or {}
        if key not in data:
            return None
        return base64.b64decode(data[key]).decode()


LEASE_SET_LABEL = f"{GROUP}/lease-set"
SHARDS_ANNOTATION = f"{GROUP}/shards"
INDEX_ANNOTATION = f"{GROUP}/shard-index"
EPOCH_ANNOTATION = f"{GROUP}/layout-epoch"


class Leases:
    """The shards' coordination.k8s.io/v1 Leases in one namespace (``sharding.LeaseStore``)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._api = client.CoordinationV1Api()

    async def list(self, prefix: str) -> list[LeaseRecord]:
        found = await _call(
            self._api.list_namespaced_lease, self.namespace, label_selector=f"{LEASE_SET_LABEL}={prefix}"
        )
        return [_lease_record(item) for item in found.items]

    async def write(self, record: LeaseRecord) -> LeaseRecord:
        body: Any = _lease_body(record, self.namespace)  # the client takes a plain dict for a V1Lease
        try:
            if record.resource_version is None:
                written = await _call(self._api.create_namespaced_lease, self.namespace, body)
            else:
                written = await _call(self._api.replace_namespaced_lease, record.name, self.namespace, body)
        except ApiException as exc:
            if exc.status in (409, 404):
                raise LeaseConflict(f"lease {record.name} changed meanwhile") from None
            raise
        return _lease_record(written)


def _lease_body(record: LeaseRecord, namespace: str) -> dict[str, Any]:
    prefix = record.name.rsplit("-shard-", 1)[0]
    metadata: dict[str, Any] = {
        "name": record.name,
        "namespace": namespace,
        "labels": {LEASE_SET_LABEL: prefix},
        "annotations": {
            SHARDS_ANNOTATION: str(record.shards),
            INDEX_ANNOTATION: str(record.index),
            EPOCH_ANNOTATION: str(record.epoch),
        },
    }
    if record.resource_version is not None:
        metadata["resourceVersion"] = record.resource_version
    renewed = record.renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if record.renewed else None
    spec = {
        "holderIdentity": record.holder,
        "leaseDurationSeconds": max(1, round(record.duration)),
        "renewTime": renewed,
    }
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}


def _lease_record(lease: Any) -> LeaseRecord:
    annotations = lease.metadata.annotations or {}
    renewed = lease.spec.renew_time
    if renewed is not None and renewed.tzinfo is None:
        renewed = renewed.replace(tzinfo=UTC)
    return LeaseRecord(
        name=lease.metadata.name,
        holder=lease.spec.holder_identity or None,
        shards=int(annotations.get(SHARDS_ANNOTATION, "0")),
        index=int(annotations.get(INDEX_ANNOTATION, "0")),
        epoch=int(annotations.get(EPOCH_ANNOTATION, "0")),
        renewed=renewed,
        duration=float(lease.spec.lease_duration_seconds or 0),
        resource_version=lease.metadata.resource_version,
    )


class Peering:
    """Reads a kopf peering object's status (who is alive, with which priority)."""

    def __init__(self, name: str, namespace: str | None) -> None:
        self.name = name
        self.namespace = namespace
        self._custom = client.CustomObjectsApi()

    async def status(self) -> dict[str, Any]:
        try:
            if self.namespace is None:
                found = await _call(
                    self._custom.get_cluster_custom_object, "kopf.dev", "v1", "clusterkopfpeerings", self.name
                )
            else:
                found = await _call(
                    self._custom.get_namespaced_custom_object,
                    "kopf.dev",
                    "v1",
                    self.namespace,
                    "kopfpeerings",
                    self.name,
                )
        except ApiException as exc:
            if exc.status == 404:
                return {}
            raise
        return dict(cast(dict[str, Any], found).get("status") or {})
