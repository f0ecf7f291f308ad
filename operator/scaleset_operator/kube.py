"""The operator's Kubernetes I/O outside kopf: status patches and Secret reads.

Uses the official ``kubernetes`` client in worker threads (it is synchronous), so a slow API call
never blocks the event loop that every ScaleSet shares.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from scaleset_operator import GROUP, VERSION


def load_config(kubeconfig: str | None = None) -> None:
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]


class KubeGateway:
    """Status writes (status subresource, merge patch) and Secret reads."""

    def __init__(self) -> None:
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
