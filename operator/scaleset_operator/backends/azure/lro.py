"""Long-running operations: accepted now, watched in the background.

The protocol says instance operations return once the work is accepted, and the next observation
shows its progress (instances ``Updating`` -> ``Succeeded``/``Failed``). Waiting for the poller in
the reconcile pass would hold a ScaleSet for minutes per batch; dropping it would lose the one
place where Azure explains *why* an operation failed. So each poller runs to completion in its own
task: the outcome is counted (``<operation>.lro``) and a failure is logged with Azure's error code
and message, and kept per instance (``failures``) so the next observation can say why an instance
failed even where its instance view does not. A poll that itself fails (429, network) is counted
as ``poll_error`` and dropped: the operation goes on in Azure regardless. ``close`` cancels whatever is still polling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from azure.core.polling import AsyncLROPoller
from azure.core.polling.base_polling import OperationFailed

from scaleset_operator.backends.azure.errors import translate
from scaleset_operator.backends.azure.stats import CallStats
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.observed import InstanceError

log = logging.getLogger(__name__)


class OperationWatch:
    def __init__(self, stats: CallStats) -> None:
        self.stats = stats
        self._tasks: set[asyncio.Task[None]] = set()
        self.failures: dict[tuple[ScaleSetKey, str], InstanceError] = {}
        """(scale set, instance ID) -> Azure's error of the last failed operation on it."""

    def watch(
        self, operation: str, key: ScaleSetKey, poller: AsyncLROPoller[Any], instance_ids: Sequence[str] = ()
    ) -> None:
        task = asyncio.get_running_loop().create_task(
            self._follow(operation, key, poller, tuple(instance_ids)), name=f"lro:{operation}:{key.name}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def wait(self) -> None:
        """Let every watched operation finish (tests; the operator never waits)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _follow(
        self, operation: str, key: ScaleSetKey, poller: AsyncLROPoller[Any], instance_ids: tuple[str, ...]
    ) -> None:
        what = f"{operation} of scale set {key.name}" + (
            f" (instances {', '.join(instance_ids)})" if instance_ids else ""
        )
        try:
            await poller.result()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = translate(exc)
            if error is None:
                log.exception("%s: watching the operation failed", what)
                self.stats.record(f"{operation}.lro", "error")
                return
            if isinstance(exc.__cause__, OperationFailed):
                log.warning("%s failed: %s", what, error)
                self.stats.record(f"{operation}.lro", "failed")
                for instance_id in instance_ids:
                    self.failures[(key, instance_id)] = InstanceError(error.code, error.message, operation)
            else:
                # Polling itself failed (throttled, network): the operation may well succeed; the
                # next observation tells.
                log.info("%s: stopped polling (%s); the next observation shows the outcome", what, error)
                self.stats.record(f"{operation}.lro", "poll_error")
            return
        log.debug("%s succeeded", what)
        self.stats.record(f"{operation}.lro", "succeeded")

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
