"""Building the async Compute and Monitor clients: credential, ARM endpoint, CA bundle, timeouts, retries.

One ``ComputeManagementClient`` per subscription (a scale set and the gallery holding its image
may live in different subscriptions), and one ``MonitorManagementClient`` per subscription for the
autoscale settings and metrics (Microsoft.Insights), all sharing one credential and so one token
cache.

Two choices that matter for an operator:
- The SDK's own retry policy is off (``retry_total=0``). By default it sleeps inside the call on a
  429 or 5xx, honouring ``Retry-After``; here the error reaches the reconciler instead, which
  requeues the ScaleSet after ``Retry-After`` and reports it in status, without holding a worker.
- ``base_url`` and ``ca_bundle`` point the real SDK at the ARM-compatible simulator (HTTPS with a
  test CA); against Azure both stay unset.
- All clients share one aiohttp session whose connector holds the TLS context (built once, from
  ``ca_bundle`` or the system store). Handing azure-core a CA *path* instead makes it build a new
  SSL context per request, which aiohttp cannot pool: every call would pay a new TLS handshake.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import aiohttp
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline.transport import AioHttpTransport
from azure.mgmt.compute.aio import ComputeManagementClient
from azure.mgmt.monitor.aio import MonitorManagementClient

from scaleset_operator.backends.azure.credentials import CredentialConfig


@dataclass(frozen=True)
class AzureConfig:
    base_url: str | None = None
    """ARM endpoint; None means Azure public cloud (``https://management.azure.com``)."""
    ca_bundle: str | None = None
    """PEM file of CAs to trust instead of the system store (the simulator prints its path)."""
    credential: CredentialConfig = field(default_factory=CredentialConfig)
    default_subscription_id: str | None = None
    """Used to list platform image versions, which the protocol asks for without a scale set."""
    connection_timeout: float = 10.0
    read_timeout: float = 60.0
    polling_interval: float = 30.0
    """Seconds between LRO status polls when Azure sends no ``Retry-After``."""
    user_agent: str | None = None
    """Appended to the SDK's User-Agent (``shard/I/N`` when sharded: tells the shards apart in logs)."""


class ComputeClients:
    """Lazily built clients, one per subscription; ``close`` releases every HTTP session."""

    def __init__(self, config: AzureConfig, credential: AsyncTokenCredential) -> None:
        self.config = config
        self.credential = credential
        self._clients: dict[str, ComputeManagementClient] = {}
        self._monitors: dict[str, MonitorManagementClient] = {}
        self._session: aiohttp.ClientSession | None = None

    def _shared_session(self) -> aiohttp.ClientSession:
        """Created on first use, inside the running event loop (aiohttp requires one)."""
        if self._session is None:
            context = ssl.create_default_context(cafile=self.config.ca_bundle)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=context),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=True,
                auto_decompress=False,  # azure-core decodes bodies itself
            )
        return self._session

    def _transport(self) -> AioHttpTransport:
        return AioHttpTransport(
            session=self._shared_session(),
            session_owner=False,
            connection_timeout=self.config.connection_timeout,
            read_timeout=self.config.read_timeout,
        )

    def for_subscription(self, subscription_id: str) -> ComputeManagementClient:
        key = subscription_id.lower()
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = ComputeManagementClient(
                self.credential,
                subscription_id,
                base_url=self.config.base_url,
                transport=self._transport(),
                polling_interval=self.config.polling_interval,
                retry_total=0,
                user_agent=self.config.user_agent,
            )
        return client

    def monitor_for_subscription(self, subscription_id: str) -> MonitorManagementClient:
        """Autoscale settings and metrics (Microsoft.Insights), same endpoint, session and credential."""
        key = subscription_id.lower()
        client = self._monitors.get(key)
        if client is None:
            client = self._monitors[key] = MonitorManagementClient(
                self.credential,
                subscription_id,
                base_url=self.config.base_url,
                transport=self._transport(),
                retry_total=0,
            )
        return client

    @property
    def subscriptions(self) -> list[str]:
        return list(self._clients)

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        monitors, self._monitors = list(self._monitors.values()), {}
        for client in clients:
            await client.close()
        for monitor in monitors:
            await monitor.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.credential.close()
