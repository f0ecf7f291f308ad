"""The operator's Kubernetes I/O outside kopf: status patches, Secret reads, and the rollout's
ControllerRevisions and drain Jobs.

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
        """The decoded value, or None when the Secret or key does not exist. Never logged."""
        try:
            secret = await asyncio.to_thread(self._core.read_namespaced_secret, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        data = secret.data or {}
        if key not in data:
            return None
        return base64.b64decode(data[key]).decode()
