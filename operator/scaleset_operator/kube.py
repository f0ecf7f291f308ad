"""The operator's Kubernetes I/O outside kopf: status patches, Secret reads, the hash key Secret, and
the rollout's ControllerRevisions and drain Jobs.

Uses the official ``kubernetes`` client in worker threads (it is synchronous), so a slow API call
never blocks the event loop that every ScaleSet shares.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any, cast

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from scaleset_operator import GROUP, VERSION
from scaleset_operator.cloud.secrets import KEY_BYTES, HashKey, SecretForbidden

__all__ = ["HASH_KEY_DATA", "HashKey", "HashKeyError", "KubeGateway", "load_config", "load_hash_key"]

HASH_KEY_DATA = "key"
"""The data key of the hash key Secret (``KEY_BYTES`` random bytes)."""


def load_config(kubeconfig: str | None = None) -> None:
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]


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
            found = await asyncio.to_thread(self._apps.read_namespaced_controller_revision, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self._plain(found)

    async def list_revisions(self, namespace: str, selector: str) -> list[str]:
        found = await asyncio.to_thread(
            self._apps.list_namespaced_controller_revision, namespace, label_selector=selector
        )
        return [str(item.metadata.name) for item in found.items if item.metadata is not None]

    async def delete_revision(self, namespace: str, name: str) -> None:
        try:
            await asyncio.to_thread(self._apps.delete_namespaced_controller_revision, name, namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise

    async def create_job(self, namespace: str, body: dict[str, Any]) -> bool:
        return await _create(self._batch.create_namespaced_job, namespace, body)

    async def list_jobs(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        found = await asyncio.to_thread(self._batch.list_namespaced_job, namespace, label_selector=selector)
        return [self._plain(item) for item in found.items]


async def _create(create: Any, namespace: str, body: dict[str, Any]) -> bool:
    try:
        await asyncio.to_thread(create, namespace, body)
    except ApiException as exc:
        if exc.status == 409:
            return False
        raise
    return True


class KubeGateway(RolloutObjectsGateway):
    """Status writes (status subresource, merge patch) and Secret reads; the rollout's ControllerRevisions
    and drain Jobs (``RolloutObjectsGateway``)."""

    def __init__(self) -> None:
        super().__init__()
        self._custom = client.CustomObjectsApi()
        self._core = client.CoreV1Api()

    async def patch_status(self, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
        body = {"status": status}
        try:
            await asyncio.to_thread(
                self._custom.patch_namespaced_custom_object_status, GROUP, VERSION, namespace, plural, name, body
            )
        except ApiException as exc:
            if exc.status != 404:  # deleted meanwhile: nothing to report on
                raise

    async def read_secret_value(self, namespace: str, name: str, key: str) -> str | None:
        """The decoded value, or None when the Secret or key does not exist. Never logged. Raises
        ``SecretForbidden`` when RBAC does not let the operator read it."""
        try:
            secret = await asyncio.to_thread(self._core.read_namespaced_secret, name, namespace)
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
        secret = await asyncio.to_thread(core.read_namespaced_secret, name, namespace)
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
        await asyncio.to_thread(core.create_namespaced_secret, namespace, body)
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
