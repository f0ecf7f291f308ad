"""The operator's Kubernetes I/O outside kopf: status patches, Secret reads, a fresh read of one
object, the operator's own finalizer, the shards' Leases, the hash key Secret, and the rollout's
ControllerRevisions and drain Jobs.

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
from scaleset_operator.cloud.secrets import KEY_BYTES, HashKey, SecretForbidden
from scaleset_operator.sharding import LeaseConflict, LeaseRecord

__all__ = ["HASH_KEY_DATA", "HashKey", "HashKeyError", "KubeGateway", "load_config", "load_hash_key"]

T = TypeVar("T")

HASH_KEY_DATA = "key"
"""The data key of the hash key Secret (``KEY_BYTES`` random bytes)."""


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


class RolloutObjectsGateway:
    """ControllerRevisions (the revisions a rollout can go back to) and drain Jobs, as plain dicts."""

    def __init__(self) -> None:
        self._apps = client.AppsV1Api()
        self._batch = client.BatchV1Api()

    def _plain(self, found: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self._apps.api_client.sanitize_for_serialization(found))

    async def create_revision(self, namespace: str, body: dict[str, Any]) -> bool:
        """False when it exists already (a pass repeated after a crash)."""
        return await _create(self._apps.create_namespaced_controller_revision, namespace, body)

    async def read_revision(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            found = await _call(self._apps.read_namespaced_controller_revision, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self._plain(found)

    async def list_revisions(self, namespace: str, selector: str) -> list[str]:
        found = await _call(self._apps.list_namespaced_controller_revision, namespace, label_selector=selector)
        return [str(item.metadata.name) for item in found.items if item.metadata is not None]

    async def delete_revision(self, namespace: str, name: str) -> None:
        try:
            await _call(self._apps.delete_namespaced_controller_revision, name, namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise

    async def create_job(self, namespace: str, body: dict[str, Any]) -> bool:
        return await _create(self._batch.create_namespaced_job, namespace, body)

    async def list_jobs(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        found = await _call(self._batch.list_namespaced_job, namespace, label_selector=selector)
        return [self._plain(item) for item in found.items]


async def _create(create: Any, namespace: str, body: dict[str, Any]) -> bool:
    try:
        await _call(create, namespace, body)
    except ApiException as exc:
        if exc.status == 409:
            return False
        raise
    return True


class KubeGateway(RolloutObjectsGateway):
    """Status writes (status subresource, merge patch), Secret reads, object reads and finalizers; the
    rollout's ControllerRevisions and drain Jobs (``RolloutObjectsGateway``)."""

    def __init__(self) -> None:
        super().__init__()
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
        """The decoded value, or None when the Secret or key does not exist. Never logged. Raises
        ``SecretForbidden`` when RBAC does not let the operator read it."""
        try:
            secret = await _call(self._core.read_namespaced_secret, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            if exc.status == 403:
                raise SecretForbidden(f"secrets {name!r} is forbidden in namespace {namespace!r}") from None
            raise
        data = secret.data or {}
        if key not in data:
            return None
        return base64.b64decode(data[key]).decode()


class HashKeyError(RuntimeError):
    """The hash key Secret exists but cannot be used, or cannot be read or created (RBAC)."""


async def load_hash_key(namespace: str, name: str) -> tuple[HashKey, bool]:
    """The installation's hash key from Secret ``namespace/name``, created with a random key when
    missing (``create`` fails if another replica or shard created it first: then it is read, so all
    share one key). Returns (key, created). The key is never logged; its ``key_id`` may be."""
    core = client.CoreV1Api()
    try:
        secret = await _call(core.read_namespaced_secret, name, namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise HashKeyError(
                f"cannot read the hash key Secret {namespace}/{name}: {exc.status} {exc.reason}"
            ) from None
        secret = None
    if secret is not None:
        return _key_of(secret, namespace, name), False
    key = HashKey.generate()
    body = client.V1Secret(
        metadata=client.V1ObjectMeta(
            name=name,
            namespace=namespace,
            labels={"app.kubernetes.io/managed-by": "scaleset-operator", "app.kubernetes.io/component": "hash-key"},
            annotations={"scaleset.dev/description": "Key of the keyed secret fingerprints in model hashes; keep it."},
        ),
        type="Opaque",
        data={HASH_KEY_DATA: base64.b64encode(key.secret).decode()},
    )
    try:
        await _call(core.create_namespaced_secret, namespace, body)
    except ApiException as exc:
        if exc.status != 409:
            raise HashKeyError(
                f"cannot create the hash key Secret {namespace}/{name}: {exc.status} {exc.reason}"
            ) from None
        return await load_hash_key(namespace, name)
    return key, True


def _key_of(secret: Any, namespace: str, name: str) -> HashKey:
    raw = (secret.data or {}).get(HASH_KEY_DATA)
    if raw is None:
        raise HashKeyError(f"the hash key Secret {namespace}/{name} has no data key {HASH_KEY_DATA!r}")
    value = base64.b64decode(raw)
    if len(value) < KEY_BYTES:
        raise HashKeyError(
            f"the hash key in Secret {namespace}/{name} has {len(value)} bytes; at least {KEY_BYTES} are needed "
            f"(e.g. kubectl create secret generic {name} --from-literal={HASH_KEY_DATA}=$(openssl rand -hex 32))"
        )
    return HashKey(value)


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
